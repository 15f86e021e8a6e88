"""Health, as an operator reads it: `essp ping` shows every service ready
with the streams it follows, and so do the metrics ports' /healthz,
intake's gateway's and the desk's (200); then, one fault at a time, the
consumer says what it waits for (exit 4, 503) and is ready again once the
fault is gone:
  - a producer stopped (SIGSTOP of validation): its heartbeats stop, its
    consumers drop the connection and connect anew in vain, and review and
    intake say "following validation: no connection for N s (validation
    down, or not admitting keys/allowed/service-review.cert)";
  - a producer killed (publication, whose stream is public): intake says
    "following publication: no connection for N s (publication down or
    unreachable)";
  - a producer's public key missing from keys/ when its consumer starts:
    "producer key keys/intake.cert missing";
  - a producer's store put back to an older copy (tests/stack/rewinding.py):
    "stopped: rewind of review (head H < cursor C)", rewound in the table,
    in /healthz and in the metrics (essp_consumer_rewound 1).
Each check waits for the state to become true (the connection dropped,
a restart), bounded; no fixed sleep."""

import json
import os
import re
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import desk_web  # noqa: E402
import rewinding  # noqa: E402
from essp_client import DESK_HTTP_OFFSET, HTTP_OFFSET, SERVICES, Client, metrics_url  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_TIMEOUT_MS": "500", "ESSP_RETRIES": "2"})
FOLLOWS = {"intake": ["validation", "review", "publication"], "validation": ["intake"],
           "review": ["validation"], "publication": ["review"]}


def http_json(url):
    """(status, JSON body) of a GET, 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def ping(service):
    """essp ping SERVICE: (exit code, its table)."""
    result = stack.essp("ping", service, check=False)
    return result.returncode, result.stdout


def wait_for(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.2)


def wait_until(call, accept, what):
    """call's result, once accept takes it (wait_for's bounds)."""
    return wait_for(lambda: (lambda r: r if accept(r) else None)(call()), what)


def row(table, service):
    """The first row of a service in essp ping's table, split in cells."""
    for line in table.splitlines():
        if line.startswith(service + " "):
            return line.split()
    raise AssertionError("no row for %s in:\n%s" % (service, table))


def waiting_lines(table):
    return [line.strip()[len("waiting: "):] for line in table.splitlines() if line.strip().startswith("waiting: ")]


def ready_again(service):
    return lambda: ping(service)[0] == 0


def test_every_service_is_ready():
    for service in SERVICES:
        code, table = wait_until(lambda: ping(service), lambda r: r[0] == 0, "%s to be ready" % service)
        cells = row(table, service)
        assert cells[1] == "yes", table
        # Every stream it follows, with cursor, head, lag and rewound.
        followed = re.findall(r"^\s*(?:%s\s+yes\s+\d+\s+)?(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(no|YES)$" % service,
                              table, re.M)
        assert [f[0] for f in followed] == FOLLOWS[service], table
        assert all(f[4] == "no" for f in followed), table
        assert waiting_lines(table) == [], table
        # The metrics port serves the snapshot the loop publishes every
        # 200 ms: it follows the request's answer within that.
        status, health = wait_until(lambda: http_json(metrics_url(stack.port, service, "/healthz")),
                                    lambda r: r[0] == 200, "%s's /healthz to say ready" % service)
        assert health["ready"] is True and health["service"] == service, health
        assert [s["producer"] for s in health["streams"]] == FOLLOWS[service], health
    status, health = http_json("http://127.0.0.1:%d/healthz" % (stack.port + HTTP_OFFSET))
    assert status == 200 and health["status"] == "ok" and health["service"] == "intake", health
    assert [s["producer"] for s in health["streams"]] == FOLLOWS["intake"], health
    desk_web.start_desk(stack)
    status, health = http_json("http://127.0.0.1:%d/healthz" % (stack.port + DESK_HTTP_OFFSET))
    assert status == 200 and health["ready"] is True and health["service"] == "desk", health
    code, table = ping("desk")
    assert code == 0 and row(table, "desk")[1] == "yes", table


def test_a_stopped_producer_is_what_its_consumers_wait_for():
    validation = stack.processes["validation"]
    validation.send_signal(signal.SIGSTOP)
    try:
        # Not ready as soon as validation is silent for 5 s; the connection
        # is dropped once its heartbeats have been missing for 3 s, and
        # stays so while it is stopped: wait for that state.
        code, table = wait_until(lambda: ping("review"), lambda r: r[0] == 4 and "no connection" in r[1],
                                 "review to say it has no connection to validation")
        assert row(table, "review")[1] == "NO", table
        lines = waiting_lines(table)
        assert len(lines) == 1 and re.fullmatch(
            r"following validation: no connection for \d+ s \(validation down, or not admitting "
            r"keys/allowed/service-review\.cert\)", lines[0]), table
        # The metrics port serves the figures the service last published
        # (every 200 ms): it says the same at its next publication.
        status, health = wait_until(
            lambda: http_json(metrics_url(stack.port, "review", "/healthz")),
            lambda r: r[0] == 503 and r[1]["waiting"][:1]
            and r[1]["waiting"][0].startswith("following validation: no connection for"),
            "review's /healthz to say it has no connection")
        assert health["ready"] is False and len(health["waiting"]) == 1, health
        # Intake's gateway says it too, of its own stream from validation.
        status, health = wait_until(lambda: http_json("http://127.0.0.1:%d/healthz" % (stack.port + HTTP_OFFSET)),
                                    lambda r: r[0] == 503, "intake's /healthz to say it waits for validation")
        assert health["status"] == "not_ready", health
        assert any(w.startswith("following validation:") for w in health["waiting"]), health
        # validation itself does not answer at all: exit 3, DOWN.
        code, table = ping("validation")
        assert code == 3 and row(table, "validation")[1] == "DOWN", table
    finally:
        validation.send_signal(signal.SIGCONT)
    wait_for(ready_again("review"), "review to be ready again")
    wait_for(ready_again("intake"), "intake to be ready again")


def test_a_killed_producer_is_what_its_consumers_wait_for():
    stack.kill("publication")
    code, table = wait_until(lambda: ping("intake"), lambda r: r[0] == 4 and "publication: no connection" in r[1],
                             "intake to say it has no connection to publication")
    assert any(re.fullmatch(r"following publication: no connection for \d+ s \(publication down or unreachable\)",
                            w)
               for w in waiting_lines(table)), table
    stack.start("publication")
    wait_for(ready_again("intake"), "intake to be ready once publication is back")


def test_a_missing_producer_key_is_said():
    stack.kill("validation", signal.SIGTERM)
    key = os.path.join(stack.home, "keys", "intake.cert")
    shutil.move(key, key + ".away")
    try:
        stack.start("validation", ready=False)
        code, table = wait_until(lambda: ping("validation"), lambda r: r[0] == 4,
                                 "validation to say the key is missing")
        assert waiting_lines(table) == ["producer key keys/intake.cert missing"], table
    finally:
        shutil.move(key + ".away", key)
    wait_for(ready_again("validation"), "validation to be ready once the key is back")


def test_a_rewind_is_what_its_readers_say():
    rewound = rewinding.RewoundStack(BIN)
    try:
        rewound.run()
        other = rewound.stack
        for reader in ("publication", "intake"):
            result = other.essp("ping", reader, check=False)
            assert result.returncode == 4, result.stdout
            expected = "stopped: rewind of review (head %d < cursor %d)" % (rewinding.head(other, "review"),
                                                                             rewound.before)
            assert expected in waiting_lines(result.stdout), result.stdout
            assert re.search(r"^\s*(?:%s\s+NO\s+\d+\s+)?review\s+%d\s+\d+\s+\d+\s+YES$" % (reader, rewound.before),
                             result.stdout, re.M), result.stdout

            def rewound_in_metrics():
                with urllib.request.urlopen(metrics_url(other.port, reader), timeout=5) as reply:
                    text = reply.read().decode()
                return 'essp_consumer_rewound{service="%s",producer="review"} 1' % reader in text
            wait_for(rewound_in_metrics, "%s's metrics to say the rewind" % reader)
            status, health = http_json(metrics_url(other.port, reader, "/healthz"))
            assert status == 503 and expected in health["waiting"], health
    finally:
        rewound.cleanup()


def main():
    try:
        stack.start()
        harness.run([test_every_service_is_ready, test_a_stopped_producer_is_what_its_consumers_wait_for,
                     test_a_killed_producer_is_what_its_consumers_wait_for, test_a_missing_producer_key_is_said,
                     test_a_rewind_is_what_its_readers_say])
    finally:
        stack.cleanup()


if __name__ == "__main__":
    main()
