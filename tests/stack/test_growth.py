"""Every service starts with a 1 MiB LMDB map and must grow it while it
works: a batch that meets MDB_MAP_FULL is rolled back, the map doubles and
the batch runs again, with nothing lost and nothing applied twice."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import SERVICES, Client, pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
COUNT = 300
stack = harness.Stack(BIN, env={"ESSP_MAP_MB": "1"})


def test_maps_grow_under_load():
    stack.start()
    for name, college in (("A", "researchers"), ("B", "local_authorities"), ("C", "ess_networks")):
        assert stack.essp_json("member", "add", name, "--college", college)["name"] == name
    voters = {name: stack.review_as(name) for name in "ABC"}
    template = harness.fixture("valid", harness.fixture_names("valid")[0])
    intake = Client(stack.port, "intake")
    ids = []
    for i in range(COUNT):
        document = dict(template, organisation=dict(template["organisation"]))
        document["organisation"]["siret"] = harness.make_siret(500000 + i)
        reply = intake.call("submit", application=document, key="growth-%d" % i)
        assert reply["type"] == "receipt", reply
        ids.append(reply["id"])
    # The committee's queue pages through every file (100 per reply).
    for _ in range(600):
        queue = stack.essp_lines("queue", "--as", "A")
        if len(queue) == COUNT:
            break
        time.sleep(0.05)
    assert sorted(item["id"] for item in queue) == sorted(ids)
    for app_id in ids:
        for name in "ABC":
            assert voters[name].call("vote", id=app_id, decision="approve")["type"] == "vote_ack"
    published = []
    deadline = time.monotonic() + 120
    while len(published) < COUNT:
        assert time.monotonic() < deadline, "%d of %d published after 120 s" % (len(published), COUNT)
        published = pull_all(stack.port, "publication")
    assert sorted(e["id"] for e in published) == sorted(ids)
    assert [e["seq"] for e in published] == list(range(1, COUNT + 1))
    grown = [s for s in SERVICES if "LMDB map grown" in stack.log(s)]
    assert len(grown) >= 3, "maps grown in %s" % grown
    intake.close()
    for client in voters.values():
        client.close()


def test_a_backlog_of_large_events_is_consumed():
    """Review is down while 300 applications with 50 references each are
    validated: the backlog it then pulls holds far more objects than one
    request may, and must still be consumed, every file reaching the queue."""
    stack.kill("review", signal.SIGTERM)
    template = harness.fixture("valid", harness.fixture_names("valid")[0])
    reference = dict(template["references"][0], summary="Diagnostic RSE.")
    intake = Client(stack.port, "intake")
    ids = []
    for i in range(300):
        document = dict(template, organisation=dict(template["organisation"]),
                        references=[reference] * 50)
        document["organisation"]["siret"] = harness.make_siret(600000 + i)
        reply = intake.call("submit", application=document, key="backlog-%d" % i)
        assert reply["type"] == "receipt", reply
        ids.append(reply["id"])
    intake.close()
    validation = Client(stack.port, "validation")
    while validation.call("ping")["head"] < COUNT + 300:
        time.sleep(0.05)
    validation.close()
    stack.start("review")
    stack.essp_json("member", "add", "D", "--college", "researchers")
    queued = []
    for _ in range(600):
        queued = [item["id"] for item in stack.essp_lines("queue", "--as", "D")]
        if len(queued) == 300:
            break
        time.sleep(0.1)
    assert sorted(queued) == sorted(ids), "%d of 300 files reached the committee" % len(queued)


if __name__ == "__main__":
    try:
        harness.run([test_maps_grow_under_load, test_a_backlog_of_large_events_is_consumed])
    finally:
        stack.cleanup()
