"""Memory returns after a backlog: under 150 applications/s, review is
stopped (SIGSTOP) for 30 s and continued; once every service has caught
up, each one's own memory (RssAnon in /proc/PID/status: not the shared
libraries, not LMDB's file pages) is back within 2 MiB of what it was idle
before, within 60 s."""

import json
import os
import re
import signal
import sys
import threading
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import SERVICES, Client, endpoint, pack, unpack  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
RATE = 150            # applications per second
STALL_S = 30          # review stopped this long
LOAD_S = STALL_S + 10  # the load runs 5 s before the stall and 5 s after
SLACK_KIB = 2048      # the bound: back within 2 MiB of idle
RETURN_S = 60         # ... one minute after the catch-up
stack = harness.Stack(BIN)
template = harness.fixture("valid", harness.fixture_names("valid")[0])
seeds = iter(range(800000, 900000))
idle = {}
peak = {service: 0 for service in SERVICES}


def rss_anon(service):
    with open("/proc/%d/status" % stack.processes[service].pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon for %s" % service)


def application():
    seed = next(seeds)
    document = dict(template, organisation=dict(template["organisation"]))
    document["organisation"]["siret"] = harness.make_siret(seed)
    return seed, document


def submit_at(rate, seconds, during=None):
    """Submits `rate` applications a second for `seconds` on one DEALER,
    replies read as they come; during(elapsed) is called every 0.1 s.
    Returns the ids of the receipts."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint(stack.port, "intake"))
    ids, sent = [], 0
    started = time.monotonic()
    next_hook = 0.0
    while True:
        elapsed = time.monotonic() - started
        due = min(int(elapsed * rate), int(rate * seconds))
        while sent < due:
            seed, document = application()
            socket.send(pack(dict(v=1, type="submit", rid=seed, application=document, key="mem-%d" % seed)))
            sent += 1
        while socket.poll(0):
            reply = unpack(socket.recv())
            assert reply["type"] == "receipt", reply
            ids.append(reply["id"])
        if during and elapsed >= next_hook:
            during(elapsed)
            next_hook = elapsed + 0.1
        if sent == int(rate * seconds) and len(ids) == sent:
            break
        assert elapsed < seconds + 30, "%d of %d receipts" % (len(ids), sent)
        socket.poll(5)
    socket.close()
    return ids


def wait_caught_up(last_id, timeout):
    """Every service has applied everything: the last application is
    in_review at intake, which learns it from review's stream, which review
    wrote after validation's, in order."""
    stack.wait_state(last_id, "in_review", timeout=timeout)
    heads = {}
    for service in SERVICES:
        client = Client(stack.port, service)
        heads[service] = client.call("ping")["head"]
        client.close()
    return heads


def test_idle():
    """Idle: started, every stream followed, nothing asked yet (as
    essp-bench reads it)."""
    stack.start()
    time.sleep(1)
    idle.update({service: rss_anon(service) for service in SERVICES})
    print("idle RssAnon (KiB):", idle, flush=True)


def test_a_stall_of_review_under_load():
    review = stack.processes["review"]
    stopped = []

    def during(elapsed):
        if not stopped and elapsed >= 5:
            review.send_signal(signal.SIGSTOP)
            stopped.append(elapsed)
        elif len(stopped) == 1 and elapsed >= 5 + STALL_S:
            review.send_signal(signal.SIGCONT)
            stopped.append(elapsed)
        for service in SERVICES:
            peak[service] = max(peak[service], rss_anon(service))

    ids = submit_at(RATE, LOAD_S, during)
    assert len(stopped) == 2
    heads = wait_caught_up(ids[-1], 120)
    caught_up = time.monotonic()
    print("caught up: heads", heads, flush=True)
    sampler = threading.Event()
    while True:
        now = {service: rss_anon(service) for service in SERVICES}
        for service in SERVICES:
            peak[service] = max(peak[service], now[service])
        over = {s: now[s] - idle[s] for s in SERVICES if now[s] > idle[s] + SLACK_KIB}
        if not over:
            break
        assert time.monotonic() - caught_up < RETURN_S, \
            "RssAnon still over idle + 2 MiB %d s after the catch-up (KiB over idle): %s; idle %s, peak %s, now %s" \
            % (RETURN_S, over, idle, peak, now)
        sampler.wait(1.0)
    print("back within bounds %.1f s after the catch-up" % (time.monotonic() - caught_up))
    print("RssAnon (KiB) idle / peak / back:", {s: (idle[s], peak[s], now[s]) for s in SERVICES}, flush=True)
    sampler.wait(3.0)
    print("RssAnon (KiB) 3 s later:", {s: rss_anon(s) for s in SERVICES}, flush=True)
    largest = [line for line in open(os.path.join(stack.home, "log", "review.log")) if "largest turn" in line]
    print("review:", largest[-1].strip() if largest else "no large turn logged", flush=True)
    # The backlog came in bounded turns: 128 events at most (ESSP_PULL_MAX).
    events = int(re.search(r"(\d+) stream events", json.loads(largest[-1])["msg"]).group(1)) if largest else 0
    assert 0 < events <= 128, largest


if __name__ == "__main__":
    try:
        harness.run([test_idle, test_a_stall_of_review_under_load])
    finally:
        stack.cleanup()
