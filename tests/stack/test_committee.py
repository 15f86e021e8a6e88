"""The committee through the essp tool, on the four real services: the
quorum read from $ESSP_HOME/essp.conf, recusal (a declared tie, a shared
network, a member stepping aside with a reason), ties and a missing college
keeping a file open, changes and a new round, the applicant's one appeal,
the queue's filters, `essp queue --follow` waking as a file is queued, and
a member's key replaced without losing their votes."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rewinding  # noqa: E402
from essp_client import Client, load_cert, pull_all, staff_client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-committee-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
TIED_SIRET = harness.make_siret(9001)
NETWORK = "Union des mutuelles de Vendée"
MEMBERS = (("Claire Moreau", "researchers", []),
           ("Hervé Le Guen", "local_authorities", []),
           ("Sophie Bernard", "ess_networks", []),
           ("Paul Lefèvre", "researchers", ["--tie", TIED_SIRET[:9]]),
           ("Nadia Ferhat", "ess_networks", ["--network", NETWORK]),
           ("Luc Martin", "local_authorities", []))
SILENCE = dict(timeout=1.0, tries=1)
counter = [100]


def fresh(name="mutuelle-entraide-vendee.json", siret=None):
    """A fixture with a SIRET and a name of its own."""
    counter[0] += 1
    return harness.numbered_fixture(counter[0], name=name, siret=siret)


def submit(document, *extra):
    path = harness.write_json(work, "app%d.json" % counter[0], document)
    return stack.essp_json("submit", path, *extra)


def queued(document, member="Claire Moreau"):
    """Submits and waits until intake shows in_review: the file is then in
    the member's queue already (intake says in_review on review's "queued")."""
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    assert receipt["id"] in [i["id"] for i in queue_items(member)], "in_review but not in %s's queue" % member
    return receipt["id"]


def queue_items(member, *filters):
    return stack.essp_lines("queue", "--as", member, *filters)


def wait_in_queue(app_id, member, timeout=20.0, **match):
    deadline = time.monotonic() + timeout
    while True:
        for item in queue_items(member):
            if item["id"] == app_id and all(item.get(k) == v for k, v in match.items()):
                return item
        if time.monotonic() > deadline:
            raise AssertionError("%s never in %s's queue with %s" % (app_id, member, match))
        time.sleep(0.05)


def still_open(app_id, member, voters):
    """After votes that decide nothing: review, which counts them in the
    transaction of the vote, keeps the round open (its queue lists only
    open files) with those votes; intake, once it has applied review's
    stream up to its head, still says in_review."""
    item = [i for i in queue_items(member) if i["id"] == app_id]
    assert len(item) == 1, "%s left %s's queue" % (app_id, member)
    assert item[0]["round"] == 1 and [v["member"] for v in item[0]["votes"]] == voters, item[0]
    head = rewinding.head(stack, "review")
    rewinding.wait_for(lambda: rewinding.cursors(stack, "intake")["review"] >= head,
                       "intake applying review's stream up to %d" % head, timeout=20)
    assert stack.essp_json("status", app_id)["state"] == "in_review"


def vote(app_id, decision, member, motivation="Le dossier doit préciser ses références."):
    args = [app_id, decision, "--as", member]
    if decision != "approve" and decision != "reinstate":
        args += ["--motivation", motivation]
    return stack.essp_json("vote", *args)


def refused(args, code, rule, exit_code=1):
    result = stack.essp(*args, check=False)
    assert result.returncode == exit_code, (args, result.returncode, result.stderr)
    assert ("essp: %s:" % code) in result.stderr and ("rule %s" % rule) in result.stderr, result.stderr
    return result.stderr


def setup():
    # The quorum of this committee comes from the config file, not the
    # environment: two votes, from two colleges (the default).
    assert "ESSP_QUORUM_VOTES" not in stack.env
    with open(os.path.join(stack.home, "essp.conf"), "w") as f:
        f.write("# the test committee\nESSP_QUORUM_VOTES=2\n")
    stack.start()
    for name, college, extra in MEMBERS:
        member = stack.essp_json("member", "add", name, "--college", college, *extra)
        assert member["name"] == name and member["college"] == college, member


def test_quorum_comes_from_the_config_file():
    app_id = queued(fresh())
    ack = vote(app_id, "approve", "Claire Moreau")
    assert ack["votes"] == 1 and "outcome" not in ack, ack
    assert stack.essp_json("status", app_id)["state"] == "in_review"
    ack = vote(app_id, "approve", "Hervé Le Guen")
    assert ack["votes"] == 2 and ack["outcome"] == "approve", "two votes are the quorum: %s" % ack
    stack.wait_state(app_id, "published")


def test_a_tie_recuses_and_the_recused_vote_is_refused_and_not_counted():
    app_id = queued(fresh(siret=TIED_SIRET), member="Paul Lefèvre")
    item = wait_in_queue(app_id, "Paul Lefèvre")
    assert item["recused"] is True, item
    message = refused(["vote", app_id, "approve", "--as", "Paul Lefèvre"], "forbidden", "recused")
    assert "field member" in message and TIED_SIRET[:9] in message, "the message names the tie: " + message
    # Not counted: Claire's vote alone is one vote, no decision.
    ack = vote(app_id, "approve", "Claire Moreau")
    assert ack["votes"] == 1 and "outcome" not in ack, ack
    item = wait_in_queue(app_id, "Hervé Le Guen")
    assert [v["member"] for v in item["votes"]] == ["Claire Moreau"], item
    assert vote(app_id, "approve", "Hervé Le Guen")["outcome"] == "approve"
    stack.wait_state(app_id, "published")


def test_a_shared_network_recuses():
    nadia = [m for m in stack.essp_lines("member", "list") if m["name"] == "Nadia Ferhat"][0]
    assert nadia.get("networks") == [NETWORK], nadia
    document = fresh()
    document["ties"] = {"networks": [NETWORK]}
    app_id = queued(document, member="Nadia Ferhat")
    assert wait_in_queue(app_id, "Nadia Ferhat")["recused"] is True
    assert wait_in_queue(app_id, "Sophie Bernard")["recused"] is False
    message = refused(["vote", app_id, "approve", "--as", "Nadia Ferhat"], "forbidden", "recused")
    assert NETWORK in message, "the message names the network: " + message
    vote(app_id, "reject", "Sophie Bernard", "Références non vérifiables.")
    assert vote(app_id, "reject", "Luc Martin", "Références non vérifiables.")["outcome"] == "reject"
    stack.wait_state(app_id, "rejected")


def test_a_member_steps_aside_with_a_reason_for_this_round_and_the_next():
    document = fresh()
    app_id = queued(document, member="Sophie Bernard")
    reason = "J'ai accompagné cette mutuelle en 2024."
    recused = stack.essp_json("recuse", app_id, "--as", "Sophie Bernard", "--reason", reason)
    assert recused == {"id": app_id, "member": "Sophie Bernard", "round": 1, "reason": reason,
                       "duplicate": False}, recused
    again = stack.essp_json("recuse", app_id, "--as", "Sophie Bernard", "--reason", reason)
    assert again["duplicate"] is True and again["round"] == 1, again
    item = wait_in_queue(app_id, "Sophie Bernard")
    assert item["recusal"]["reason"] == reason and item["recusal"]["at"] > 0, item
    message = refused(["vote", app_id, "approve", "--as", "Sophie Bernard"], "forbidden", "recused")
    assert reason in message, "the message gives the member's own reason: " + message
    # Once a member voted, stepping aside is too late.
    vote(app_id, "changes", "Claire Moreau", "Précisez la gouvernance.")
    refused(["recuse", app_id, "--as", "Claire Moreau", "--reason", "Trop tard"], "conflict", "already_voted")
    # The CLI checks what it can before sending.
    blank = stack.essp("recuse", app_id, "--as", "Luc Martin", "--reason", "  ", check=False)
    assert blank.returncode == 2 and "--reason" in blank.stderr, blank.stderr
    # The next round (changes, amended) keeps the recusal.
    assert vote(app_id, "changes", "Hervé Le Guen", "Précisez la gouvernance.")["outcome"] == "changes"
    stack.wait_state(app_id, "changes_requested")
    document["principles"]["governance"] += " Un membre, une voix."
    stack.essp_json("amend", app_id, harness.write_json(work, "recused-amended.json", document))
    wait_in_queue(app_id, "Luc Martin", round=2)
    refused(["vote", app_id, "approve", "--as", "Sophie Bernard"], "forbidden", "recused")


def test_a_tie_of_votes_keeps_the_file_open():
    app_id = queued(fresh())
    vote(app_id, "approve", "Claire Moreau")
    ack = vote(app_id, "reject", "Hervé Le Guen", "Aucune référence vérifiable.")
    assert ack["votes"] == 2 and "outcome" not in ack, "one against one decides nothing: %s" % ack
    still_open(app_id, "Sophie Bernard", ["Claire Moreau", "Hervé Le Guen"])
    assert vote(app_id, "approve", "Sophie Bernard")["outcome"] == "approve"
    stack.wait_state(app_id, "published")


def test_a_missing_college_keeps_the_file_open():
    app_id = queued(fresh())
    vote(app_id, "approve", "Claire Moreau")
    ack = vote(app_id, "approve", "Paul Lefèvre")
    assert ack["votes"] == 2 and "outcome" not in ack, "two researchers are one college: %s" % ack
    still_open(app_id, "Luc Martin", ["Claire Moreau", "Paul Lefèvre"])
    assert vote(app_id, "approve", "Luc Martin")["outcome"] == "approve"
    stack.wait_state(app_id, "published")


def test_changes_then_amended_opens_a_new_round_keeping_the_first():
    document = fresh()
    app_id = queued(document)
    vote(app_id, "changes", "Claire Moreau", "Détaillez vos références.")
    vote(app_id, "changes", "Hervé Le Guen", "Détaillez vos références.")
    stack.wait_state(app_id, "changes_requested")
    document["references"][0]["summary"] += " Trois sessions de restitution."
    assert stack.essp_json("amend", app_id, harness.write_json(work, "amended.json", document))["revision"] == 2
    item = wait_in_queue(app_id, "Claire Moreau", round=2)
    assert item["kind"] == "review" and item["votes"] == [], item
    # A vote that names round 1, read before the amendment, counts for nothing.
    sophie = stack.review_as("Sophie Bernard")
    stale = sophie.call("vote", id=app_id, decision="approve", round=1)
    assert stale["type"] == "error" and (stale["code"], stale["field"], stale["rule"]) == \
        ("conflict", "round", "stale"), stale
    zero = sophie.call("vote", id=app_id, decision="approve", round=0)
    assert (zero["code"], zero["field"]) == ("invalid", "round"), zero
    sophie.close()
    assert wait_in_queue(app_id, "Claire Moreau", round=2)["votes"] == [], "nothing counted"
    claire = stack.review_as("Claire Moreau")
    ack = claire.call("vote", id=app_id, decision="approve", round=2)
    claire.close()
    assert ack["type"] == "vote_ack" and ack["round"] == 2 and ack["votes"] == 1, ack
    vote(app_id, "approve", "Hervé Le Guen")
    status = stack.wait_state(app_id, "published")
    assert [(d["round"], d["decision"]) for d in status["decisions"]] == [(1, "changes"), (2, "approve")]


def test_an_appeal_opens_one_new_round_where_earlier_voters_vote_again():
    app_id = queued(fresh())
    vote(app_id, "reject", "Claire Moreau", "Aucune référence ESS.")
    vote(app_id, "reject", "Hervé Le Guen", "Aucune référence ESS.")
    stack.wait_state(app_id, "rejected")
    blank = stack.essp("appeal", app_id, "--motivation", " ", check=False)
    assert blank.returncode == 2 and "--motivation" in blank.stderr, blank.stderr
    intake = staff_client(stack.port, "intake")
    reply = intake.call("appeal", id=app_id, motivation="   ")
    assert reply["code"] == "invalid" and reply["field"] == "motivation" and reply["rule"] == "required", reply
    motivation = "Nos références ESS figurent en annexe : ADMR et Vendée Insertion."
    ack = stack.essp_json("appeal", app_id, "--motivation", motivation, "--key", "appeal-1")
    # Recorded; still rejected until review opens the appeal round.
    assert ack == {"id": app_id, "state": "rejected"}, ack
    again = stack.essp_json("appeal", app_id, "--motivation", motivation, "--key", "appeal-1")
    assert again["id"] == app_id and again["state"] in ("rejected", "in_review"), \
        "retried with the same key: the same answer, in the state the file is in now: %s" % again
    stack.wait_state(app_id, "in_review")
    item = [i for i in queue_items("Claire Moreau") if i["id"] == app_id][0]
    assert item["kind"] == "appeal" and item["round"] == 2 and item["appeal"] == motivation \
        and item["votes"] == [], item
    # Claire rejected in round 1; in the appeal round she votes again.
    vote(app_id, "approve", "Claire Moreau")
    assert vote(app_id, "approve", "Sophie Bernard")["outcome"] == "approve"
    status = stack.wait_state(app_id, "published")
    assert [(d["round"], d["decision"]) for d in status["decisions"]] == [(1, "reject"), (2, "approve")], status
    queued_events = [e for e in pull_all(stack.port, "review") if e["id"] == app_id and e["type"] == "queued"]
    assert [(e["round"], e["kind"]) for e in queued_events] == [(1, "review"), (2, "appeal")], queued_events
    # Once only, and only a rejection.
    refused(["appeal", app_id, "--motivation", "Encore une fois."], "conflict", "appeal_used")
    other = queued(fresh())
    refused(["appeal", other, "--motivation", "Pourquoi pas."], "conflict", "state")
    intake.close()


def test_queue_filters():
    laval = fresh("societe-esus-boussole-rse-laval.json")
    laval["offer"]["themes"] = ["continuous_improvement", "sustainable_development"]
    in_laval = queued(laval, member="Luc Martin")
    in_vendee = queued(fresh(), member="Luc Martin")
    ids = lambda *filters: [i["id"] for i in queue_items("Luc Martin", *filters)]  # noqa: E731
    assert in_vendee in ids("--department", "85") and in_laval not in ids("--department", "85")
    assert in_laval in ids("--department", "53") and in_vendee not in ids("--department", "53")
    assert in_vendee in ids("--theme", "csr_iso26000") and in_laval not in ids("--theme", "csr_iso26000")
    assert in_laval in ids("--theme", "sustainable_development")
    # A college filter: the files no member of that college has voted on.
    vote(in_vendee, "approve", "Claire Moreau")
    assert in_vendee not in ids("--college", "researchers") and in_laval in ids("--college", "researchers")
    assert in_vendee in ids("--college", "local_authorities")
    both = ids("--college", "local_authorities", "--department", "53")
    assert in_laval in both and in_vendee not in both
    bad = stack.essp("queue", "--as", "Luc Martin", "--college", "artists", check=False)
    assert bad.returncode == 2 and "--college" in bad.stderr, bad.stderr
    bad = stack.essp("queue", "--as", "Luc Martin", "--department", "Vendée", check=False)
    assert bad.returncode == 2 and "--department" in bad.stderr, bad.stderr


class Follower:
    """`essp queue --as MEMBER --follow` running, each line read with the
    time it arrived."""

    def __init__(self, member):
        self.process = subprocess.Popen([os.path.join(BIN, "essp"), "queue", "--as", member, "--follow"],
                                        env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), json.loads(line)))

    def wait_for(self, app_id, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, item in self.lines:
                if item["id"] == app_id:
                    return at, item
            time.sleep(0.01)
        raise AssertionError("--follow never printed %s: %s" % (app_id, self.process.stderr.read()
                                                                if self.process.poll() is not None else ""))

    def ids(self):
        return [item["id"] for _, item in self.lines]

    def stop(self, sig):
        self.process.send_signal(sig)
        code = self.process.wait(timeout=5)
        self.thread.join(timeout=5)
        return code, self.process.stderr.read()


def queued_at(app_id, timeout=20.0):
    """The moment review's `queued` event for app_id is on its stream,
    seen by a held pull (with the staff key: review's stream is private)."""
    client = staff_client(stack.port, "review")
    after = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            reply = client.call("pull", extra_wait=1.0, after=after, max=1000, wait=500)
            for event in reply["events"]:
                after = event["seq"]
                if event["type"] == "queued" and event["id"] == app_id:
                    return time.monotonic()
    finally:
        client.close()
    raise AssertionError("no queued event for %s" % app_id)


def test_queue_follow_sees_a_new_file_within_a_second():
    # Luc was away: the files queued meanwhile are what he sees first.
    missed = queued(fresh(), member="Claire Moreau")
    follower = Follower("Luc Martin")
    try:
        follower.wait_for(missed)
        time.sleep(0.5)
        receipt = submit(fresh())
        seen_at = queued_at(receipt["id"])
        printed_at, item = follower.wait_for(receipt["id"])
        delay = printed_at - seen_at
        print("    queue --follow printed the new file %.0f ms after it was queued" % (delay * 1000))
        assert delay < 1.0, "printed %.2f s after it was queued" % delay
        assert item["round"] == 1 and item["kind"] == "review", item
        # More activity: a decision, another file.  Nothing printed twice.
        vote(missed, "approve", "Claire Moreau")
        vote(missed, "approve", "Hervé Le Guen")
        third = submit(fresh())
        follower.wait_for(third["id"])
        ids = follower.ids()
        assert len(ids) == len(set(ids)), "each file once per round: %s" % ids
    finally:
        code, err = follower.stop(signal.SIGINT)
    assert code == 0, "SIGINT ends --follow cleanly: %d %s" % (code, err)
    follower = Follower("Luc Martin")
    follower.wait_for(third["id"])
    code, err = follower.stop(signal.SIGTERM)
    assert code == 0, "SIGTERM ends --follow cleanly: %d %s" % (code, err)


def test_member_rekey_refuses_the_old_key_and_keeps_the_votes():
    app_id = queued(fresh(), member="Luc Martin")
    vote(app_id, "approve", "Luc Martin")
    old = load_cert(stack.key_path("member", "Luc Martin"))
    with_old = Client(stack.port, "review", keys=old, server_key=stack.server_key())
    assert with_old.call("queue")["member"] == "Luc Martin"
    with_old.close()
    rekeyed = stack.essp_json("member", "rekey", "Luc Martin")
    assert rekeyed == {"member": "Luc Martin", "key": stack.key_path("member", "Luc Martin")}, rekeyed
    new = load_cert(stack.key_path("member", "Luc Martin"))
    assert new[0] != old[0] and new[1] != old[1], "a new key pair"
    old_client = Client(stack.port, "review", keys=old, server_key=stack.server_key(), **SILENCE)
    try:
        reply = old_client.call("queue")
        raise AssertionError("the old key is still answered: %s" % reply)
    except TimeoutError:
        pass
    finally:
        old_client.close()
    # The vote cast with the old key is still Luc's.
    item = wait_in_queue(app_id, "Claire Moreau")
    assert [v["member"] for v in item["votes"]] == ["Luc Martin"], item
    assert app_id not in [i["id"] for i in queue_items("Luc Martin")], "he voted on it already"
    refused(["vote", app_id, "reject", "--as", "Luc Martin", "--motivation", "Finalement non."],
            "conflict", "already_voted")
    other = queued(fresh(), member="Luc Martin")
    assert vote(other, "approve", "Luc Martin")["votes"] == 1
    result = stack.essp("member", "rekey", "Personne", check=False)
    assert result.returncode == 1 and "no member named 'Personne'" in result.stderr, result.stderr


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_quorum_comes_from_the_config_file,
            test_a_tie_recuses_and_the_recused_vote_is_refused_and_not_counted,
            test_a_shared_network_recuses,
            test_a_member_steps_aside_with_a_reason_for_this_round_and_the_next,
            test_a_tie_of_votes_keeps_the_file_open,
            test_a_missing_college_keeps_the_file_open,
            test_changes_then_amended_opens_a_new_round_keeping_the_first,
            test_an_appeal_opens_one_new_round_where_earlier_voters_vote_again,
            test_queue_filters,
            test_queue_follow_sees_a_new_file_within_a_second,
            test_member_rekey_refuses_the_old_key_and_keeps_the_votes,
        ])
    finally:
        stack.cleanup()
