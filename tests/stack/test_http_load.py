"""Many clients posting applications to intake's HTTP gateway at once, on
loopback: every post gets a 201 (nothing refused for load, nothing lost),
each accepted application is in intake's stream exactly once and readable
with its token, and the gateway keeps answering its health check while the
load lasts.  Bounded: CLIENTS x POSTS applications, a few seconds."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import pull_all  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
CLIENTS = int(os.environ.get("ESSP_LOAD_CLIENTS", "32"))
POSTS = int(os.environ.get("ESSP_LOAD_POSTS", "25"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "100000", "ESSP_HTTP_BURST": "100000",
                                "ESSP_HTTP_PER_ADDRESS": "1000"})
gateway = Gateway(stack.port + 4, timeout=60)


def test_many_clients_post_at_once_and_nothing_is_lost():
    template = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    results = [[] for _ in range(CLIENTS)]
    health = []
    done = threading.Event()

    def client(n):
        for i in range(POSTS):
            document = dict(template, organisation=dict(template["organisation"]))
            seed = 10000 + n * POSTS + i
            document["organisation"]["siret"] = harness.make_siret(seed)
            document["organisation"]["name"] = "Mutuelle de charge %d" % seed
            started = time.monotonic()
            try:
                response = gateway.post_json("/api/v1/applications", document)
                results[n].append((response.status, response.json() if response.status == 201 else response.body,
                                   time.monotonic() - started))
            except OSError as error:
                results[n].append((0, repr(error), time.monotonic() - started))

    def monitor():
        while not done.is_set():
            started = time.monotonic()
            try:
                status = gateway.request("GET", "/healthz").status
            except OSError:
                status = 0
            health.append((status, time.monotonic() - started))
            time.sleep(0.05)

    watcher = threading.Thread(target=monitor)
    watcher.start()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.monotonic() - started
    done.set()
    watcher.join()

    flat = [r for rs in results for r in rs]
    codes = {}
    for status, _, _ in flat:
        codes[status] = codes.get(status, 0) + 1
    latencies = sorted(r[2] for r in flat)
    print("%d posts from %d clients in %.2f s: %.0f/s; latency median %.0f ms, p99 %.0f ms, max %.0f ms; "
          "codes %s; health checks %d, slowest %.0f ms"
          % (len(flat), CLIENTS, elapsed, len(flat) / elapsed, 1000 * latencies[len(latencies) // 2],
             1000 * latencies[int(len(latencies) * 0.99)], 1000 * latencies[-1], codes, len(health),
             1000 * max(h[1] for h in health)), flush=True)
    assert len(flat) == CLIENTS * POSTS
    assert codes == {201: CLIENTS * POSTS}, codes
    assert health and all(status == 200 for status, _ in health), health
    assert max(h[1] for h in health) < 2.0

    receipts = {r[1]["id"]: r[1]["token"] for r in flat}
    assert len(receipts) == CLIENTS * POSTS, "two posts got the same id"
    events = pull_all(stack.port, "intake")
    submitted = [e["id"] for e in events if e["type"] == "submitted"]
    assert len(submitted) == len(set(submitted)) == CLIENTS * POSTS, len(submitted)
    assert set(submitted) == set(receipts)
    for app_id in list(receipts)[:: max(1, len(receipts) // 40)]:
        response = gateway.status(app_id, receipts[app_id])
        assert response.status == 200 and response.json()["id"] == app_id, response


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([test_many_clients_post_at_once_and_nothing_is_lost])
    finally:
        stack.cleanup()
