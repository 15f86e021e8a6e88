"""Headless Chromium driven over the DevTools protocol, with nothing but
the Python standard library: a minimal WebSocket client (RFC 6455, text
frames, client-side masking) and the few protocol calls browser tests need.

    with Browser() as browser:
        page = browser.page()
        page.goto("http://127.0.0.1:7704/")
        page.eval("document.title")
        page.screenshot("/tmp/form.png")
        page.tab()
        page.type("ecole")

Chromium is Debian's package (/usr/bin/chromium, or $ESSP_CHROMIUM), run
with a fresh profile in a temporary directory, no network services of its
own, and killed at the end."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--no-default-browser-check",
    "--remote-debugging-port=0",
]


class WebSocket:
    """One client WebSocket connection (text messages only)."""

    def __init__(self, url, timeout=30.0):
        parts = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                   % (parts.path, parts.hostname, parts.port, key))
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake refused")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n")[0]:
            raise ConnectionError(status.decode(errors="replace"))
        self.buffer = rest

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text):
        payload = text.encode("utf-8")
        header = bytearray([0x81])
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack("!H", length)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + mask + masked)

    def recv(self):
        message = b""
        while True:
            first, second = self._read(2)
            opcode, final = first & 0x0F, first & 0x80
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode == 0x9:                      # ping: answer pong
                self.sock.sendall(bytes([0x8A, 0x80]) + os.urandom(4))
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if final:
                    return message.decode("utf-8")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Page:
    """One tab: calls, events, and what tests do with a page."""

    def __init__(self, ws_url, timeout=30.0):
        self.ws = WebSocket(ws_url, timeout)
        self.timeout = timeout
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(method)

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    del self.events[: i + 1]
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError("no %s" % method)
            self.events.append(json.loads(self.ws.recv()))

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def goto(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def navigating(self, expression):
        """Runs an expression that leaves the page (a click on a submit
        button, a form.submit()) and waits for the next page to load."""
        self.events.clear()
        self.eval(expression)
        self.wait_event("Page.loadEventFired")

    def wait_for(self, expression, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.1)

    def set_viewport(self, width, height, mobile=False, scale=1):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale,
                  mobile=mobile)

    def phone(self, width=375, height=740):
        """A phone's screen: narrow, touch-sized, two device pixels a CSS pixel."""
        self.set_viewport(width, height, mobile=True, scale=2)

    def key(self, key, code=None, virtual=0, text=None):
        """Presses and releases a key, as a person at a keyboard."""
        codes = dict(key=key, code=code or key, windowsVirtualKeyCode=virtual, nativeVirtualKeyCode=virtual)
        down = dict(codes, text=text) if text else codes
        self.call("Input.dispatchKeyEvent", type="keyDown", **down)
        self.call("Input.dispatchKeyEvent", type="keyUp", **codes)

    def tab(self):
        self.key("Tab", virtual=9)

    def enter(self):
        self.key("Enter", virtual=13, text="\r")

    def type(self, text):
        """Text typed into the focused element."""
        self.call("Input.insertText", text=text)

    def disable_javascript(self, disabled=True):
        self.call("Emulation.setScriptExecutionDisabled", value=disabled)

    def screenshot(self, path, full_page=True, clip=None, unclipped=False):
        """The page as a PNG: the viewport, the whole page, or the part
        clip = (x, y, width, height) of the page.  unclipped: the whole
        page as Chromium captures it beyond the viewport without a clip,
        in device pixels (a phone's screen at its scale)."""
        params = {"format": "png"}
        if unclipped:
            params["captureBeyondViewport"] = True
        elif clip:
            x, y, width, height = clip
            params["clip"] = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        elif full_page:
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        self.ws.close()


class Browser:
    """A headless Chromium with a fresh profile; a context manager."""

    def __init__(self, executable=None, timeout=30.0, window_size=None):
        self.executable = executable or os.environ.get("ESSP_CHROMIUM") or shutil.which("chromium") \
            or "/usr/bin/chromium"
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="essp-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        window = ["--window-size=%d,%d" % window_size] if window_size else []
        self.process = subprocess.Popen(
            [self.executable] + CHROMIUM_FLAGS + window + ["--user-data-dir=" + self.profile, "about:blank"],
            stdout=self.log, stderr=self.log, start_new_session=True)
        self.port = self._devtools_port()
        self.pages = []

    def _devtools_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited with %s" % self.process.returncode)
            try:
                with open(path) as f:
                    line = f.readline().strip()
                if line:
                    return int(line)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    def _json(self, method, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path)
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def page(self):
        target = self._json("PUT", "/json/new?about:blank")
        page = Page(target["webSocketDebuggerUrl"], self.timeout)
        self.pages.append(page)
        return page

    def close(self):
        for page in self.pages:
            page.close()
        # Chromium's helpers (its network service, the renderers) share its
        # process group: all of them are killed before the profile is
        # removed, or one still writes its state into it afterwards.  A
        # killed process writes nothing more, reaped or not.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=15)
        self.log.close()
        # Chromium keeps its singleton socket in a folder of its own under
        # the temporary directory, which the profile links to: gone with it.
        try:
            singleton = os.path.dirname(os.readlink(os.path.join(self.profile, "SingletonSocket")))
            if os.path.basename(singleton).startswith("org.chromium.Chromium."):
                shutil.rmtree(singleton, ignore_errors=True)
        except OSError:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
