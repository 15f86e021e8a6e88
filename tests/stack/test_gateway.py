"""intake's HTTP gateway as an attacker meets it, against the four real
services: it binds apart from the internal ports (ESSP_HTTP_BIND), it
holds against slow and many clients (deadlines for a request's head and
body, a cap per address and one in all with room to spare: a legitimate
client is answered while 2,000 slow connections from 64 addresses are
open), a document nested too deep is a 400 at once, never a wait for
a core that cannot read it, and a submission the core took but did not
answer in time is said to be perhaps recorded, never lost, and is found
again by its key."""

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
HEAD_TIMEOUT = 6
BODY_TIMEOUT = 4
stack = harness.Stack(BIN, env={"ESSP_HTTP_BIND": "0.0.0.0", "ESSP_HTTP_RATE": "100000",
                                "ESSP_HTTP_BURST": "100000", "ESSP_HTTP_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
                                "ESSP_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT)})
stack.env.pop("ESSP_BIND", None)
HTTP_PORT = stack.port + 4
gateway = Gateway(HTTP_PORT, timeout=5.0)
counter = [700]
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")


def setup():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    stack.start()


def listening():
    """{port: set of local addresses} of the listening TCP sockets."""
    found = {}
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port = fields[1].split(":")
            if fields[3] != "0A":            # TCP_LISTEN
                continue
            if width == 8:
                text = socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1])
            else:
                raw = bytes.fromhex(address)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                text = socket.inet_ntop(socket.AF_INET6, raw)
            found.setdefault(int(port, 16), set()).add(text)
    return found


def test_only_the_gateway_listens_on_every_interface():
    ports = listening()
    assert ports.get(HTTP_PORT) == {"0.0.0.0"}, ports.get(HTTP_PORT)
    internal = [stack.port + offset for offset in (0, 1, 2, 3, 5, 6, 7, 8)]
    bound = {port: ports[port] for port in internal if port in ports}
    assert len(bound) >= 5, bound            # the four services and review's secure port at least
    assert all(addresses == {"127.0.0.1"} for addresses in bound.values()), bound
    lines = stack.essp_lines("endpoints")
    http = [line for line in lines if line["service"] == "intake-http"]
    assert http == [{"service": "intake-http", "endpoint": "http://127.0.0.1:%d/" % HTTP_PORT}], lines
    assert gateway.request("GET", "/healthz").status == 200


def test_essp_bind_no_longer_moves_the_gateway():
    """ESSP_BIND opens the internal ports (here intake's), never the
    gateway: without ESSP_HTTP_BIND it stays on loopback."""
    stack.kill("intake")
    saved = stack.env.pop("ESSP_HTTP_BIND")
    stack.env["ESSP_BIND"] = "0.0.0.0"
    try:
        stack.start("intake", ready=True)
        ports = listening()
        assert ports.get(HTTP_PORT) == {"127.0.0.1"}, ports.get(HTTP_PORT)
        assert ports.get(stack.port) == {"0.0.0.0"}, ports.get(stack.port)
    finally:
        stack.kill("intake")
        del stack.env["ESSP_BIND"]
        stack.env["ESSP_HTTP_BIND"] = saved
        stack.start("intake", ready=True)


def source_socket(address):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((address, 0))
    return s


def closed_by_peer(s):
    """True when the gateway closed s (EOF or reset), False while it is open."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def timed(method, path, **kwargs):
    started = time.monotonic()
    response = gateway.request(method, path, **kwargs)
    return response, time.monotonic() - started


def test_a_trickled_head_is_cut_at_its_deadline():
    s = source_socket("127.0.0.70")
    s.connect(("127.0.0.1", HTTP_PORT))
    started = time.monotonic()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    cut = None
    while time.monotonic() - started < HEAD_TIMEOUT + 6:
        try:
            s.sendall(b"X")                  # one byte a second: never idle
        except OSError:
            cut = time.monotonic() - started
            break
        if closed_by_peer(s):
            cut = time.monotonic() - started
            break
        s.setblocking(True)
        time.sleep(1)
    s.close()
    print("  head trickled one byte a second: cut after %.1f s (deadline %d s)" % (cut or -1, HEAD_TIMEOUT))
    assert cut is not None and HEAD_TIMEOUT - 1 <= cut <= HEAD_TIMEOUT + 2, cut


def test_a_trickled_body_is_cut_at_its_deadline():
    s = source_socket("127.0.0.71")
    s.connect(("127.0.0.1", HTTP_PORT))
    started = time.monotonic()
    s.sendall(b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n{\"organisation\":")
    cut = None
    received = b""
    while time.monotonic() - started < BODY_TIMEOUT + 6:
        try:
            s.sendall(b" ")
        except OSError:
            cut = time.monotonic() - started
            break
        s.setblocking(False)
        try:
            data = s.recv(4096)
            received += data
            if not data:
                cut = time.monotonic() - started
                break
        except BlockingIOError:
            pass
        except OSError:
            cut = time.monotonic() - started
            break
        s.setblocking(True)
        time.sleep(1)
    s.close()
    print("  body trickled one byte a second: cut after %.1f s (deadline %d s)" % (cut or -1, BODY_TIMEOUT))
    assert cut is not None and BODY_TIMEOUT - 1 <= cut <= BODY_TIMEOUT + 2, cut
    assert b"201" not in received, received[:200]


def test_one_address_gets_no_more_than_its_cap():
    sockets = []
    try:
        for _ in range(48):
            s = source_socket("127.0.0.72")
            s.connect(("127.0.0.1", HTTP_PORT))
            s.sendall(b"GET / HTTP/1.1\r\n")
            sockets.append(s)
        time.sleep(0.5)
        refused = sum(1 for s in sockets if closed_by_peer(s))
        print("  48 connections from one address: %d closed at once (cap 32)" % refused)
        assert refused == 16, refused
    finally:
        for s in sockets:
            s.close()


def test_a_client_is_answered_while_2000_slow_connections_are_open():
    sockets = []
    started = time.monotonic()
    try:
        for i in range(2000):
            s = source_socket("127.0.0.%d" % (2 + i % 64))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", HTTP_PORT))
            except BlockingIOError:
                pass
            sockets.append(s)
        opened = time.monotonic() - started
        # A head that never ends: a line now and a byte every second.
        time.sleep(0.5)
        for s in sockets:
            try:
                s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass
        times = []
        for round_ in range(4):
            for path in ("/", "/healthz", "/api/v1/charter"):
                response, took = timed("GET", path)
                assert response.status == 200, (path, response)
                times.append(took)
            for s in sockets:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            time.sleep(0.5)
        held = sum(1 for s in sockets if not closed_by_peer(s))
        print("  2000 slow connections from 64 addresses opened in %.2f s, %d held open; "
              "12 legitimate requests answered in %.3f s at most (mean %.3f s)"
              % (opened, held, max(times), sum(times) / len(times)))
        assert held >= 1990, held
        assert max(times) < 1.0, times
        # Then they are all cut at the head's deadline.
        deadline = started + HEAD_TIMEOUT + 4
        while time.monotonic() < deadline:
            alive = [s for s in sockets if not closed_by_peer(s)]
            if not alive:
                break
            time.sleep(0.25)
        alive = [s for s in sockets if not closed_by_peer(s)]
        print("  %d still open %.1f s after the first connect" % (len(alive), time.monotonic() - started))
        assert not alive, len(alive)
    finally:
        for s in sockets:
            s.close()
    assert gateway.request("GET", "/healthz").status == 200


def nested(levels):
    value = 0
    for _ in range(levels):
        value = [value]
    return value


# The nesting a JSON body may have (proto/wire.h): WIRE_DEPTH_MAX less the
# request envelope that carries the document to the core.
DOCUMENT_DEPTH_MAX = 32 - 1


def test_a_document_nested_too_deep_is_400_at_once():
    health = {"slowest": 0.0, "failed": 0}
    done = threading.Event()

    def poll():
        while not done.is_set():
            response, took = timed("GET", "/healthz")
            health["slowest"] = max(health["slowest"], took)
            if response.status != 200:
                health["failed"] += 1
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    report = []
    try:
        for where in ("top", "organisation"):
            for levels in (29, 30, 31, 32, 33, 100):
                counter[0] += 1
                document = harness.numbered_fixture(counter[0])
                if where == "top":
                    document["deep"] = nested(levels)
                    key, above = "deep", 1
                else:
                    document["organisation"]["deep"] = nested(levels)
                    key, above = "organisation.deep", 2
                response, took = timed("POST", "/api/v1/applications", body=json.dumps(document),
                                       headers={"Content-Type": "application/json"})
                report.append("%s/%d: %d %s in %.3f s" % (where, levels, response.status,
                                                         response.json().get("rule"), took))
                assert response.status == 400, (where, levels, response)
                error = response.json()
                # "deep" is no property of the schema, so a document the
                # depth limit lets through is still refused, by the schema:
                # the rule tells which of the two refused it.
                if above + levels > DOCUMENT_DEPTH_MAX:
                    # Named at the first array past the limit ("deep[0]...").
                    first = key + "[0]" * (DOCUMENT_DEPTH_MAX - above)
                    assert (error["rule"], error["field"]) == ("depth", first), (where, levels, error)
                else:
                    assert (error["rule"], error["field"]) == ("additionalProperties", key), \
                        (where, levels, error)
                assert took < 1.0, (where, levels, took)
    finally:
        done.set()
        poller.join()
    print("  " + "; ".join(report))
    print("  /healthz meanwhile: slowest %.3f s, %d failed" % (health["slowest"], health["failed"]))
    assert health["failed"] == 0 and health["slowest"] < 1.0, health


def test_a_submission_the_core_did_not_answer_in_time_is_not_said_lost():
    """intake's core blocked on its store's write lock (another writer
    holds it, as a disk that does not answer would): the gateway gives up
    after ESSP_HTTP_CORE_TIMEOUT_MS with 503 `unanswered`, which says the
    request may be recorded.  It was: once the lock is free the core
    commits it, and the same body with the same key gets that
    application's receipt back (`duplicate`), not a second application."""
    slow = harness.Stack(BIN, env={"ESSP_HTTP_CORE_TIMEOUT_MS": "500"})
    holder = None
    try:
        slow.start("intake")
        http = Gateway(slow.port + 4, timeout=10.0)
        holder = subprocess.Popen([LMDB_EDIT, os.path.join(slow.home, "data", "intake"), "applications", "hold"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert holder.stdout.readline() == b"held\n"
        counter[0] += 1
        document = harness.numbered_fixture(counter[0])
        first = http.post_json("/api/v1/applications", document, key="unanswered-1")
        assert first.status == 503 and first.headers.get("Retry-After") == "1", first
        assert first.json()["rule"] == "unanswered" and "may still be recorded" in first.json()["error"], first
        # A person asking for a new link meanwhile reads, in French, that
        # it may have been sent, not that nothing was done.
        page = http.request("POST", "/suivi/lien-perdu", "courriel=jl.brochard%40mep-vendee.example",
                            {"Content-Type": "application/x-www-form-urlencoded"})
        assert page.status == 503 and "Réponse en attente" in page.text(), page
        assert "peut-être été envoyé" in page.text() and "rien n'a été" not in page.text(), page.text()[:2000]
        holder.stdin.write(b"\n")
        holder.stdin.close()
        assert holder.wait(timeout=10) == 0
        again = http.post_json("/api/v1/applications", document, key="unanswered-1")
        assert again.status == 201 and again.json()["duplicate"] is True, again
        assert slow.essp_json("status", again.json()["id"])["revision"] == 1
    finally:
        if holder and holder.poll() is None:
            holder.kill()
        slow.cleanup()


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_only_the_gateway_listens_on_every_interface,
            test_essp_bind_no_longer_moves_the_gateway,
            test_a_trickled_head_is_cut_at_its_deadline,
            test_a_trickled_body_is_cut_at_its_deadline,
            test_one_address_gets_no_more_than_its_cap,
            test_a_client_is_answered_while_2000_slow_connections_are_open,
            test_a_document_nested_too_deep_is_400_at_once,
            test_a_submission_the_core_did_not_answer_in_time_is_not_said_lost,
        ])
    finally:
        stack.cleanup()
