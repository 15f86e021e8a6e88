"""The crash test: applications submitted and voted on while each service in
turn is killed with SIGKILL and started again.  At the end every
application is in exactly one state, none is missing or duplicated, every
stream holds each event exactly once, and the publication stream holds
each approved entry exactly once, in order, without gaps."""

import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import SERVICES, Client, pull_all, staff_client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
COUNT = int(os.environ.get("ESSP_CRASH_APPLICATIONS", "500"))
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
# Intake's index writes (idempotency keys, SIRETs, addresses) reach their
# trees in sweeps once 16 wait, instead of 4,096: in this test they go
# through many sweeps, some cut by the kills (services/intake/index_batch.h).
stack = harness.Stack(BIN, env={"ESSP_INDEX_BATCH": "16"})


def applications():
    """COUNT applications, each with its own SIRET; one in ten has a SIRET
    whose checksum is wrong and must end incomplete."""
    templates = [harness.fixture("valid", n) for n in harness.fixture_names("valid")]
    documents = []
    for i in range(COUNT):
        document = templates[i % len(templates)]
        document = dict(document, organisation=dict(document["organisation"]))
        siret = harness.make_siret(100000 + i)
        if i % 10 == 7:
            siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)
        document["organisation"]["siret"] = siret
        document["organisation"]["name"] = "%s n°%d" % (document["organisation"]["name"], i)
        documents.append(document)
    return documents


class Chaos:
    """Runs a share of the work while one service is killed with SIGKILL
    in the middle of it and started again: the kill comes once a third of
    the share is done, so it always lands while requests and events flow."""

    def __init__(self):
        self.kills = collections.Counter()

    def during(self, service, items, work):
        third = threading.Event()
        errors = []

        def worker():
            try:
                work(items, lambda done: done * 3 >= len(items) and third.set())
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                third.set()

        thread = threading.Thread(target=worker)
        thread.start()
        third.wait()
        stack.kill(service)
        self.kills[service] += 1
        time.sleep(0.05)
        stack.start(service)
        thread.join()
        assert not errors, errors[:3]


def submit_chunk(documents, receipts):
    def work(indices, progress):
        client = Client(stack.port, "intake", timeout=1.0, tries=100)
        try:
            for done, i in enumerate(indices, 1):
                reply = client.call("submit", application=documents[i], key="crash-%d" % i)
                assert reply["type"] == "receipt", reply
                receipts[i] = reply
                progress(done)
        finally:
            client.close()
    return work


def vote_chunk():
    def work(ids, progress):
        # Each member votes with their own key.
        clients = {name: stack.review_as(name, timeout=1.0, tries=100) for name, _ in MEMBERS}
        try:
            for done, app_id in enumerate(ids, 1):
                for name, _ in MEMBERS:
                    client = clients[name]
                    # in_review: review has the file, one vote is enough.
                    reply = client.call("vote", id=app_id, decision="approve")
                    assert reply["type"] == "vote_ack", reply
                progress(done)
        finally:
            for client in clients.values():
                client.close()
    return work


def states(ids):
    client = staff_client(stack.port, "intake", timeout=1.0, tries=100)
    try:
        replies = {i: client.call("status", id=i) for i in ids}
        bad = [r for r in replies.values() if r["type"] != "status"]
        assert not bad, bad[:3]
        return {i: r["state"] for i, r in replies.items()}
    finally:
        client.close()


def wait_states(ids, allowed, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        current = states(ids)
        pending = {i: s for i, s in current.items() if s not in allowed}
        if not pending:
            return current
        if time.monotonic() > deadline:
            raise AssertionError("%d files stuck, e.g. %s" % (len(pending), list(pending.items())[:5]))
        time.sleep(0.2)


def test_crash():
    stack.start()
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)
    documents = applications()

    chaos = Chaos()
    receipts = [None] * COUNT
    rounds = 2 * len(SERVICES)
    for r in range(rounds):
        share = list(range(r, COUNT, rounds))
        chaos.during(SERVICES[r % len(SERVICES)], share, submit_chunk(documents, receipts))
    ids = [r["id"] for r in receipts]
    assert len(set(ids)) == COUNT, "one id per application"
    settled = wait_states(ids, ("in_review", "incomplete"))
    to_vote = [i for i in ids if settled[i] == "in_review"]
    for r in range(len(SERVICES)):
        chaos.during(SERVICES[(r + 1) % len(SERVICES)], to_vote[r::len(SERVICES)], vote_chunk())
    wait_states(to_vote, ("published",))
    assert all(chaos.kills[s] >= 3 for s in SERVICES), chaos.kills
    print("kills:", dict(chaos.kills), flush=True)

    # Every application is in exactly the state its content calls for.
    final = states(ids)
    for i, app_id in enumerate(ids):
        expected = "incomplete" if i % 10 == 7 else "published"
        assert final[app_id] == expected, (i, app_id, final[app_id])

    # Each stream holds each event exactly once (pull_all checks seq has no gap).
    submitted = pull_all(stack.port, "intake")
    assert sorted(e["id"] for e in submitted) == sorted(ids), "one submission each, none lost"
    validated = pull_all(stack.port, "validation")
    assert sorted(e["id"] for e in validated) == sorted(ids), "one report each"
    decided = [e for e in pull_all(stack.port, "review") if e["type"] == "decided"]
    assert sorted(e["id"] for e in decided) == sorted(to_vote), "one decision each"
    published = pull_all(stack.port, "publication")
    assert [e["seq"] for e in published] == list(range(1, len(published) + 1))
    assert all(e["type"] == "upsert" for e in published)
    assert sorted(e["id"] for e in published) == sorted(to_vote), "each approved entry once"
    listed = stack.essp_lines("directory")
    assert len(listed) == len(to_vote)

    # A key sent again still gives its first receipt, and a SIRET under
    # review or listed takes no second application: the indexes kept every
    # write across the kills, in their trees or in the writes still waiting.
    client = Client(stack.port, "intake", timeout=1.0, tries=100)
    try:
        for i in range(0, COUNT, 7):
            again = client.call("submit", application=documents[i], key="crash-%d" % i)
            assert again["type"] == "receipt" and again["id"] == ids[i] and again["duplicate"], (i, again)
        for i in (0, COUNT // 2, COUNT - 1):
            other = client.call("submit", application=documents[i], key="crash-other-%d" % i)
            assert other["type"] == "error" and other["code"] == "conflict", (i, other)
            assert other["field"] == "application.organisation.siret", (i, other)
    finally:
        client.close()


if __name__ == "__main__":
    try:
        harness.run([test_crash])
    finally:
        stack.cleanup()
