"""deploy/nginx/essp.conf in front of the real gateway: Debian's nginx,
TLS with a self-signed certificate made here, the four real services
behind it.  A browser's request goes through; the framing tricks that
smuggle a second request past a proxy are refused by nginx, and the
smuggled request (an application with an Idempotency-Key of its own)
never reaches the gateway: sent afterwards straight to the gateway with
the same key, it is new, not a duplicate.  The gateway believes nginx's
X-Real-IP (ESSP_TRUSTED_PROXY): clients behind it get rate-limit buckets
of their own, while a forged X-Real-IP sent straight to the gateway
changes nothing."""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

# nginx connects to the gateway from 127.0.0.1: the gateway believes its
# X-Real-IP, and only from there.
# One request a second refills a bucket: a burst (30) spent is seen at once.
stack = harness.Stack(BIN, env={"ESSP_TRUSTED_PROXY": "127.0.0.1", "ESSP_HTTP_RATE": "1"})
gateway = Gateway(stack.port + 4)
proxy_dir = tempfile.mkdtemp(prefix="essp-nginx-")
proxy_port = harness.free_base_port()
nginx = None
counter = [500]


def site_config():
    """deploy/nginx/essp.conf as shipped, with only what a deployment
    changes: the addresses, the certificate's paths, the upstream port.
    The port-80 redirect is left out (no privileged port in a test)."""
    with open(os.path.join(harness.ROOT, "deploy", "nginx", "essp.conf")) as f:
        text = f.read()
    redirect = re.search(r"# HTTP is only a door to HTTPS\.\nserver \{.*?\n\}\n", text, re.S)
    assert redirect, "the redirect server block is where the test expects it"
    text = text.replace(redirect.group(0), "")
    text = text.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % proxy_port)
    text = re.sub(r"\n\s*listen \[::\]:443 ssl http2;", "", text)
    text = text.replace("server 127.0.0.1:7704;", "server 127.0.0.1:%d;" % (stack.port + 4))
    text = text.replace("/etc/ssl/certs/essp.pem", os.path.join(proxy_dir, "essp.pem"))
    text = text.replace("/etc/ssl/private/essp.key", os.path.join(proxy_dir, "essp.key"))
    return text


def setup():
    global nginx
    stack.start()
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", os.path.join(proxy_dir, "essp.key"),
                    "-out", os.path.join(proxy_dir, "essp.pem")], check=True, capture_output=True)
    with open(os.path.join(proxy_dir, "site.conf"), "w") as f:
        f.write(site_config())
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(proxy_dir, "nginx.conf"), "w") as f:
        f.write(user + "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\n"
                "error_log %s/error.log info;\nevents { worker_connections 256; }\n"
                "http {\n  access_log %s/access.log;\n  client_body_temp_path %s/body;\n"
                "  proxy_temp_path %s/proxy;\n  include %s/site.conf;\n}\n"
                % ((proxy_dir,) * 6))
    check = subprocess.run([NGINX, "-t", "-p", proxy_dir, "-c", os.path.join(proxy_dir, "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-p", proxy_dir, "-c", os.path.join(proxy_dir, "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", proxy_port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start: " + error_log()
            time.sleep(0.05)


def error_log():
    try:
        with open(os.path.join(proxy_dir, "error.log")) as f:
            return f.read()[-3000:]
    except OSError:
        return ""


def tls_exchange(raw, wait=5.0):
    """Sends raw bytes over TLS to nginx; returns what came back before
    the connection closed or `wait` seconds passed, and the time taken."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=wait) as plain:
        with context.wrap_socket(plain, server_hostname="localhost") as s:
            s.sendall(raw)
            received = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            except (socket.timeout, ssl.SSLError, ConnectionResetError):
                pass
    return received, time.monotonic() - started


def status_of(response):
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(match.group(1)) if match else None


def smuggled_application():
    """A valid application and a key of its own, as a raw POST."""
    counter[0] += 1
    document = harness.numbered_fixture(counter[0])
    key = "smuggled-%d-%d" % (os.getpid(), counter[0])
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    request = (b"POST /api/v1/applications HTTP/1.1\r\nHost: localhost\r\n"
               b"Content-Type: application/json\r\nIdempotency-Key: " + key.encode() + b"\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return document, key, request


def assert_never_reached_the_gateway(document, key):
    """The same application with the same key, straight to the gateway:
    a first submission (duplicate false), so nothing came through before."""
    response = gateway.post_json("/api/v1/applications", document, key=key)
    assert response.status == 201, response
    assert response.json()["duplicate"] is False, "the smuggled request reached the gateway: %r" % response


def test_a_browser_request_goes_through_tls():
    received, _ = tls_exchange(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status_of(received) == 200, received[:300]
    assert "Candidater".encode() in received or b"<!DOCTYPE html>" in received, received[:300]
    head = received.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nstrict-transport-security: max-age=" in head, head
    assert b"\r\nserver: nginx\r\n" in head, "nginx names its version: %r" % head
    received, _ = tls_exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status_of(received) == 200 and b'"ok"' in received, received[:300]


def test_an_application_goes_through_tls():
    document, key, request = smuggled_application()
    received, _ = tls_exchange(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
    assert status_of(received) == 201, received[:400]
    again = gateway.post_json("/api/v1/applications", document, key=key)
    assert again.status == 201 and again.json()["duplicate"] is True, again


def smuggle(head):
    """An outer request whose head is `head` and whose body, as a
    lenient server would frame it, ends early and leaves the smuggled
    application as a second request on the connection."""
    document, key, inner = smuggled_application()
    outer = head + b"0\r\n\r\n" + inner
    received, seconds = tls_exchange(outer)
    return document, key, received, seconds


def test_content_length_with_chunked_is_refused():
    document, key, received, seconds = smuggle(
        b"POST /api/v1/applications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert status_of(received) == 400, received[:300]
    assert received.count(b"HTTP/1.1 ") == 1, "a second response: %r" % received[:600]
    assert seconds < 5, seconds
    assert_never_reached_the_gateway(document, key)


def test_two_content_lengths_are_refused():
    document, key, received, _ = smuggle(
        b"POST /api/v1/applications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nContent-Length: 0\r\n\r\n")
    assert status_of(received) == 400, received[:300]
    assert received.count(b"HTTP/1.1 ") == 1, received[:600]
    assert_never_reached_the_gateway(document, key)


def test_an_unknown_transfer_coding_is_refused_at_once():
    document, key, received, seconds = smuggle(
        b"POST /api/v1/applications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"TE: gzip, chunked\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
    assert status_of(received) in (400, 501), received[:300]
    assert seconds < 5, "answered after %.1f s" % seconds
    assert received.count(b"HTTP/1.1 ") == 1, received[:600]
    assert_never_reached_the_gateway(document, key)


def test_an_obfuscated_chunked_is_refused():
    document, key, received, _ = smuggle(
        b"POST /api/v1/applications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n")
    assert status_of(received) in (400, 501), received[:300]
    assert received.count(b"HTTP/1.1 ") == 1, received[:600]
    assert_never_reached_the_gateway(document, key)


def test_a_request_without_host_is_refused():
    received, _ = tls_exchange(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status_of(received) == 400, received[:300]


def test_a_method_the_gateway_does_not_answer_stops_at_nginx():
    received, _ = tls_exchange(b"DELETE /api/v1/applications/x HTTP/1.1\r\nHost: localhost\r\n"
                               b"Connection: close\r\n\r\n")
    assert status_of(received) == 405, received[:300]


def tls_status(source, path):
    """GET path through nginx from the loopback address source: the status."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.settimeout(5)
    plain.bind((source, 0))
    plain.connect(("127.0.0.1", proxy_port))
    with context.wrap_socket(plain, server_hostname="localhost") as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        received = b""
        while b"\r\n" not in received:
            chunk = s.recv(4096)
            if not chunk:
                break
            received += chunk
    return status_of(received)


def direct_status(source, real_ip):
    """GET /api/v1/charter straight to the gateway from source, with a
    forged X-Real-IP: the status."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect(("127.0.0.1", stack.port + 4))
    with s:
        s.sendall(b"GET /api/v1/charter HTTP/1.1\r\nHost: x\r\nX-Real-IP: " + real_ip.encode()
                  + b"\r\nConnection: close\r\n\r\n")
        received = b""
        while b"\r\n" not in received:
            chunk = s.recv(4096)
            if not chunk:
                break
            received += chunk
    return status_of(received)


def spend(request, limit=200):
    """Sends requests until one is refused with 429: how many were answered."""
    for answered in range(limit):
        status = request()
        if status == 429:
            return answered
        assert status == 200, status
    raise AssertionError("never limited after %d requests" % limit)


def test_clients_behind_the_proxy_get_buckets_of_their_own():
    """nginx sets X-Real-IP from the client's address: two clients, two
    buckets, though both reach the gateway from nginx's address."""
    answered = spend(lambda: tls_status("127.0.0.2", "/api/v1/charter"))
    assert 30 <= answered <= 40, answered        # the burst, and what refilled meanwhile
    assert tls_status("127.0.0.3", "/api/v1/charter") == 200


def test_a_forged_x_real_ip_changes_nothing_straight_to_the_gateway():
    """Not from the proxy's address, X-Real-IP is not believed: a new
    value each time still spends the bucket of the TCP peer, and naming
    someone else's address spends nothing of theirs."""
    forged = iter("10.9.%d.%d" % (i // 250, i % 250) for i in range(100000))
    answered = spend(lambda: direct_status("127.0.0.4", next(forged)))
    assert 30 <= answered <= 40, answered
    assert direct_status("127.0.0.5", "127.0.0.4") == 200


def cleanup():
    if nginx:
        nginx.terminate()
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
    stack.cleanup()
    shutil.rmtree(proxy_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_a_browser_request_goes_through_tls,
            test_an_application_goes_through_tls,
            test_content_length_with_chunked_is_refused,
            test_two_content_lengths_are_refused,
            test_an_unknown_transfer_coding_is_refused_at_once,
            test_an_obfuscated_chunked_is_refused,
            test_a_request_without_host_is_refused,
            test_a_method_the_gateway_does_not_answer_stops_at_nginx,
            test_clients_behind_the_proxy_get_buckets_of_their_own,
            test_a_forged_x_real_ip_changes_nothing_straight_to_the_gateway,
        ])
    finally:
        cleanup()
