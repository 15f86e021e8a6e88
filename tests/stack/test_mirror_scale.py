"""essp-mirror catches up a directory of 100,000 entries from zero (ESSP_MIRROR_SCALE
entries when set: the sanitizer pass, where each entry costs several
times more, checks the same with fewer): a stand-in review service feeds
the real publication service 100,000 approvals (publication projects,
signs and indexes each), then one mirror is killed with SIGKILL in the
middle of its catch-up and resumes while a fresh one starts from nothing
beside it; both must end with exactly 100,000 entries, pages and rows,
and the feed's last 50.  The times are printed."""

import concurrent.futures
import html
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
SCALE = int(os.environ.get("ESSP_MIRROR_SCALE", "100000"))


def timed_once(site):
    """Runs a mirror until it has caught up: its exit code and seconds."""
    started = time.monotonic()
    code = site.once(timeout=1200)
    return code, time.monotonic() - started


def applied(site):
    """The last seq the mirror has committed: "cursor" in its store's meta
    (services/mirror/main.c), 8 bytes big-endian; 0 before its first
    commit.  mdb_dump reads it beside the running mirror."""
    dump = subprocess.run(["mdb_dump", "-s", "meta", site.data], capture_output=True, text=True, timeout=60)
    if dump.returncode != 0:
        return 0
    lines = dump.stdout.split("HEADER=END\n", 1)[-1].split("\n")
    for key, value in zip(lines[0::2], lines[1::2]):
        if key.strip() == b"cursor".hex():
            return int(value.strip(), 16)
    return 0


def resumed_from(site):
    """The seqs the mirror said it follows the stream from, start after start."""
    with open(site.log_path, errors="replace") as f:
        return [int(seq) for seq in re.findall(r"following \S+ from seq (\d+) into", f.read())]


def test_catch_up_a_directory_of_100000_entries_from_zero():
    stack = harness.Stack(BIN)
    review = None
    try:
        template = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
        review = publishing.start_publication_alone(stack)
        started = time.monotonic()
        for i in range(SCALE):
            review.append("g%06d" % i, publishing.generated_application(i, template))
        generated = time.monotonic() - started
        publishing.wait_head(stack, SCALE)
        ingested = time.monotonic() - started
        # A first mirror is killed in the middle of its catch-up, once its
        # store holds a quarter of the entries (it commits a batch at a
        # time) ...
        mirror = publishing.Mirror(stack)
        mirror.start()
        mirror.wait_for(lambda: applied(mirror) >= SCALE // 4, timeout=600, what="a quarter of the entries")
        assert mirror.kill(signal.SIGKILL) == -signal.SIGKILL, "the mirror ended before it was killed"
        killed_at = applied(mirror)
        assert 0 < killed_at < SCALE, "killed with %d of %d entries applied" % (killed_at, SCALE)
        # ... and a fresh one starts from zero while the killed one resumes,
        # two readers of the stream at once: both must end exact.
        fresh = publishing.Mirror(stack, "fresh")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = {site: pool.submit(timed_once, site) for site in (fresh, mirror)}
        (fresh_code, caught_up), (resumed_code, resumed) = runs[fresh].result(), runs[mirror].result()
        assert fresh_code == 0, fresh.log()
        assert resumed_code == 0, mirror.log()
        # The killed one went on from what it had committed, not from zero.
        assert resumed_from(mirror) == [0, killed_at], \
            "the killed mirror started from seqs %s, not 0 then %d" % (resumed_from(mirror), killed_at)
        print("%d entries: generated in %.1f s, all published (signed) %.1f s after the first; "
              "beside each other, a mirror caught up from zero in %.1f s and the killed one resumed "
              "in %.1f s from seq %d" % (SCALE, generated, ingested, caught_up, resumed, killed_at), flush=True)
        for site in (fresh, mirror):
            entries = json.loads(site.read("annuaire.json"))
            assert len(entries) == SCALE
            assert len({e["id"] for e in entries}) == SCALE
            assert [e["organisation"]["name"] for e in entries] == sorted(e["organisation"]["name"]
                                                                         for e in entries)
            assert len(site.pages()) == SCALE
            assert site.read("annuaire.csv").count("\n") == SCALE + 1
            assert sorted(publishing.feed_seqs(site)) == list(range(SCALE - 49, SCALE + 1))
        page = html.unescape(fresh.read("accompagnateurs/g004242.html"))  # SCALE > 4242
        assert "<h1>Structure 004242 de l'économie sociale</h1>" in page
    finally:
        if review:
            review.close()
        stack.cleanup()


if __name__ == "__main__":
    harness.run([test_catch_up_a_directory_of_100000_entries_from_zero])
