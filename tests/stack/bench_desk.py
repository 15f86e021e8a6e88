"""essp-desk's figures: how long « Mes dossiers » takes with 50 files in
the member's queue, over real HTTP (p50, p99, max of 500 requests, one
after the other, as one member reloading), and the desk's resident memory
idle (just started, and again after the run).

    /usr/bin/python3 tests/stack/bench_desk.py build/bin [REQUESTS]

The stack is the real one on loopback (tests/stack/harness.py), with the
default durable configuration; every page is a `queue` request to review
with the member's key and a page drawn from its 50 items."""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import desk_web  # noqa: E402
import harness  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 500
FILES = 50


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:")):
                yield line.split(":")[0], int(line.split()[1])


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


stack = harness.Stack(BIN)
try:
    stack.start()
    desk_web.start_desk(stack)
    time.sleep(2.0)
    pid = stack.processes["desk"].pid
    idle = dict(rss_kib(pid))
    staff = desk_web.staff_person(stack)
    member = desk_web.member_person(stack, staff, "Claire Moreau", "claire@comite.example", "researchers")
    intake = Client(stack.port, "intake")
    ids = [intake.call("submit", application=harness.numbered_fixture(n))["id"] for n in range(1, FILES + 1)]
    for app_id in ids:
        stack.wait_state(app_id, "in_review")
    page = member.get("/comite")
    assert "%d dossiers attendent votre vote" % FILES in page.text, page
    for path in ("/comite", "/comite/liste"):
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            page = member.request("GET", path)
            times.append((time.perf_counter() - started) * 1000.0)
            assert page.status == 200
        print("%-14s %d files, %d requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d bytes"
              % (path, FILES, REQUESTS, percentile(times, 50), percentile(times, 99), max(times),
                 len(page.raw.encode())))
    after = dict(rss_kib(pid))
    print("essp-desk idle, just started: VmRSS %d KiB (own memory, RssAnon, %d KiB)"
          % (idle["VmRSS"], idle["RssAnon"]))
    print("essp-desk after the run:      VmRSS %d KiB (RssAnon %d KiB)" % (after["VmRSS"], after["RssAnon"]))
finally:
    stack.cleanup()
