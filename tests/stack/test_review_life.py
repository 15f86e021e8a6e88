"""The committee's side of a listing's life, on the real stack: networks are
ties, members recuse themselves, the queue filters and says what kind of
round is open, each round opening is a `queued` event, a complaint suspends a
listing and a complaint round reinstates it, a tick withdraws what expired
(the listing's term read from the config file), staff withdraw.

Then review alone, fed by a scripted validation stream (a ROUTER on
validation's port that answers review's pulls with the events a test
writes): an appeal reopens a rejected file once, an approved renewal
withdraws the listing it renews, an erasure pseudonymises the file and
redacts review's log."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rewinding  # noqa: E402
from essp_client import Client, pack, pull_all, secure_endpoint, stand_in, unpack  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")
stack = harness.Stack(BIN)
# The listing's term comes from the config file ($ESSP_HOME/essp.conf).
with open(os.path.join(stack.home, "essp.conf"), "w") as conf:
    conf.write("# committee settings\nESSP_LISTING_YEARS=2\n")
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"), ("Nadia Haddad", "ess_networks"),
           ("Lucie Garnier", "researchers"))
DAY = 86400
state = {}


def review_events(kind=None, app_id=None):
    events = pull_all(stack.port, "review")
    return [e for e in events if (kind is None or e["type"] == kind) and (app_id is None or e.get("id") == app_id)]


def in_review(fixture, seed, change=None):
    document = harness.fixture("valid", fixture)
    document["organisation"]["siret"] = harness.make_siret(seed)
    if change:
        change(document)
    receipt = Client(stack.port, "intake").call("submit", application=document, key="life-%d" % seed)
    assert receipt["type"] == "receipt", receipt
    stack.wait_state(receipt["id"], "in_review")
    return receipt["id"]


def vote(name, app_id, decision, motivation=None):
    client = stack.review_as(name)
    fields = dict(id=app_id, decision=decision)
    if motivation:
        fields["motivation"] = motivation
    reply = client.call("vote", **fields)
    client.close()
    return reply


def queue_item(name, app_id, **filters):
    client = stack.review_as(name)
    reply = client.call("queue", **filters)
    client.close()
    assert reply["type"] == "queue", reply
    items = [i for i in reply["items"] if i["id"] == app_id]
    return items[0] if items else None


def test_a_member_has_networks():
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)
    staff = stack.staff()
    # Nadia belongs to a network: her record is written again with it (her key stays).
    assert staff.call("member_remove", name="Nadia Haddad")["type"] == "member"
    reply = staff.call("member_add", name="Nadia Haddad", college="ess_networks",
                       networks=["cress GRAND est"], ties=[])
    assert reply["type"] == "member" and reply["networks"] == ["cress GRAND est"], reply
    listed = {m["name"]: m for m in staff.call("member_list")["members"]}
    assert listed["Nadia Haddad"]["networks"] == ["cress GRAND est"]
    assert listed["Claire Moreau"]["networks"] == []
    reply = staff.call("member_add", name="Vide", college="researchers", networks=["  "])
    assert reply["code"] == "invalid" and reply["field"] == "networks[0]", reply
    staff.close()


def test_a_file_entering_is_queued_and_a_shared_network_recuses():
    app_id = in_review("association-alsace-moselle-sans-rna.json", 5101)   # declares CRESS Grand Est
    state["listing"] = app_id
    queued = review_events("queued", app_id)
    assert [(e["round"], e["kind"]) for e in queued] == [(1, "review")], queued
    item = queue_item("Nadia Haddad", app_id)
    assert item["kind"] == "review" and item["recused"] is True, item
    assert {"role": "network", "network": "CRESS Grand Est"} in item["conflicts"], item["conflicts"]
    reply = vote("Nadia Haddad", app_id, "approve")
    assert reply["code"] == "forbidden" and reply["rule"] == "recused", reply
    assert "CRESS Grand Est" in reply["message"], reply
    assert queue_item("Claire Moreau", app_id)["recused"] is False


def test_a_member_recuses_themself():
    app_id = state["listing"]
    sophie = stack.review_as("Sophie Bernard")
    reason = "J'ai travaillé avec cette association l'an dernier."
    reply = sophie.call("recuse", id=app_id, reason=reason)
    assert reply["type"] == "recused" and reply["round"] == 1 and reply["duplicate"] is False, reply
    again = sophie.call("recuse", id=app_id, reason="autre chose")
    assert again["duplicate"] is True and again["reason"] == reason, again
    reply = sophie.call("recuse", id="nope", reason=reason)
    assert reply["code"] == "not_found", reply
    sophie.close()
    item = queue_item("Sophie Bernard", app_id)
    assert item["recused"] is True and item["recusal"]["reason"] == reason, item
    reply = vote("Sophie Bernard", app_id, "approve")
    assert reply["code"] == "forbidden" and reply["rule"] == "recused" and reason in reply["message"], reply
    assert vote("Claire Moreau", app_id, "approve")["type"] == "vote_ack"
    claire = stack.review_as("Claire Moreau")
    reply = claire.call("recuse", id=app_id, reason="trop tard")
    assert reply["code"] == "conflict" and reply["rule"] == "already_voted", reply
    claire.close()


def test_the_queue_filters():
    app_id = state["listing"]      # Strasbourg (67); Claire (researchers) has voted
    assert queue_item("Hervé Le Guen", app_id, department="67") is not None
    assert queue_item("Hervé Le Guen", app_id, department="44") is None
    assert queue_item("Hervé Le Guen", app_id, theme="territorial_anchoring") is not None
    assert queue_item("Hervé Le Guen", app_id, theme="csr_iso26000") is None
    assert queue_item("Hervé Le Guen", app_id, college="researchers") is None
    assert queue_item("Hervé Le Guen", app_id, college="local_authorities", department="67") is not None
    client = stack.review_as("Hervé Le Guen")
    page = client.call("queue", limit=1)
    assert len(page["items"]) == 1, page
    client.close()


def test_an_approval_sets_the_listing_term():
    app_id = state["listing"]
    assert vote("Hervé Le Guen", app_id, "approve")["type"] == "vote_ack"
    reply = vote("Lucie Garnier", app_id, "approve")
    assert reply["outcome"] == "approve", reply
    decided = review_events("decided", app_id)
    assert len(decided) == 1 and decided[0]["kind"] == "review", decided
    day = datetime.datetime.fromtimestamp(decided[0]["at"], datetime.timezone.utc).date()
    term = day.replace(year=day.year + 2)       # ESSP_LISTING_YEARS=2 from essp.conf
    expected = int(datetime.datetime(term.year, term.month, term.day, tzinfo=datetime.timezone.utc).timestamp())
    assert decided[0]["expires"] == expected, (decided[0]["expires"], expected)
    assert decided[0]["voters"] == ["Claire Moreau", "Hervé Le Guen", "Lucie Garnier"], decided[0]
    state["expires"] = expected
    stack.wait_state(app_id, ("approved", "published"))


def test_a_certificate_that_ends_earlier_ends_the_listing():
    ends = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()

    def short_agreement(document):
        document["organisation"]["esus"]["expires"] = ends
    app_id = in_review("societe-esus-boussole-rse-laval.json", 5102, short_agreement)
    for name in ("Claire Moreau", "Hervé Le Guen", "Lucie Garnier"):
        vote(name, app_id, "approve")
    decided = review_events("decided", app_id)
    expected = int(datetime.datetime.fromisoformat(ends).replace(tzinfo=datetime.timezone.utc).timestamp())
    assert decided[0]["expires"] == expected, decided
    staff = stack.staff()
    ticked = staff.call("tick", now=expected)
    staff.close()
    assert ticked["expired"] == [app_id] and ticked["more"] is False, ticked
    withdrawn = review_events("withdrawn", app_id)
    assert withdrawn[-1]["kind"] == "expired", withdrawn
    assert withdrawn[-1]["reason"] == "L'inscription a expiré le %s (échéance de l'agrément ESUS)." % ends


def test_a_complaint_suspends_and_a_complaint_round_reinstates():
    app_id = state["listing"]
    staff = stack.staff()
    reply = staff.call("complaint", id=app_id, reason="Un client signale une prestation non conforme.")
    assert reply == {"v": 1, "type": "ack", "rid": reply["rid"], "id": app_id, "state": "suspended"}, reply
    assert staff.call("complaint", id=app_id, reason="encore")["state"] == "suspended"
    staff.close()
    events = [e for e in review_events(app_id=app_id) if e["type"] in ("withdrawn", "queued")]
    assert [(e["type"], e.get("kind")) for e in events] == [
        ("queued", "review"), ("withdrawn", "suspended"), ("queued", "complaint")], events
    assert events[2]["round"] == 2
    assert "réclamation" in events[1]["reason"], events[1]
    item = queue_item("Claire Moreau", app_id)
    assert item["kind"] == "complaint" and item["round"] == 2, item
    assert item["complaint"] == "Un client signale une prestation non conforme.", item
    reply = vote("Claire Moreau", app_id, "approve")
    assert reply["code"] == "invalid" and reply["field"] == "decision" and reply["rule"] == "round_kind", reply
    reply = vote("Claire Moreau", app_id, "withdraw")
    assert reply["code"] == "invalid" and reply["field"] == "motivation", reply
    reply = vote("Nadia Haddad", app_id, "reinstate")
    assert reply["rule"] == "recused", "a network tie holds in every round: %s" % reply
    for name in ("Claire Moreau", "Hervé Le Guen"):
        assert vote(name, app_id, "reinstate")["type"] == "vote_ack"
    assert vote("Lucie Garnier", app_id, "reinstate")["outcome"] == "reinstate"
    decided = review_events("decided", app_id)
    assert decided[-1]["kind"] == "complaint" and decided[-1]["decision"] == "reinstate", decided[-1]
    assert decided[-1]["expires"] == state["expires"], "a reinstated listing keeps its term"
    assert "application" in decided[-1]


def test_a_tick_withdraws_what_is_due():
    app_id = state["listing"]
    staff = stack.staff()
    early = staff.call("tick", now=state["expires"] - 1)
    assert early["expired"] == [] and early["more"] is False, early
    due = staff.call("tick", now=state["expires"] + DAY)
    assert due["expired"] == [app_id] and due["now"] == state["expires"] + DAY, due
    assert staff.call("tick", now=state["expires"] + DAY)["expired"] == []
    withdrawn = review_events("withdrawn", app_id)[-1]
    day = datetime.datetime.fromtimestamp(state["expires"], datetime.timezone.utc).date().isoformat()
    assert withdrawn["kind"] == "expired", withdrawn
    assert withdrawn["reason"] == "L'inscription a expiré le %s (deux ans après l'approbation)." % day, withdrawn
    reply = staff.call("complaint", id=app_id, reason="trop tard")
    assert reply["code"] == "conflict" and reply["field"] == "id", reply
    staff.close()


def test_staff_withdraw_and_roles():
    app_id = in_review("scop-ancrage-conseil-nantes.json", 5103)
    staff = stack.staff()
    assert staff.call("withdraw", id=app_id, reason="Demande de l'accompagnateur.")["state"] == "withdrawn"
    withdrawn = review_events("withdrawn", app_id)
    assert [(e["kind"], e["reason"]) for e in withdrawn] == [("withdrawn", "Demande de l'accompagnateur.")]
    reply = staff.call("recuse", id=app_id, reason="x")
    assert reply["code"] == "forbidden" and reply["rule"] == "role", reply
    staff.close()
    claire = stack.review_as("Claire Moreau")
    for message_type, fields in (("complaint", dict(id=app_id, reason="x")), ("tick", {})):
        reply = claire.call(message_type, **fields)
        assert reply["code"] == "forbidden" and reply["rule"] == "role", reply
    claire.close()
    plain = Client(stack.port, "review")
    for message_type, fields in (("recuse", dict(id=app_id, reason="x")),
                                 ("complaint", dict(id=app_id, reason="x")), ("tick", {})):
        reply = plain.call(message_type, **fields)
        assert reply["code"] == "forbidden" and reply["rule"] == "authentication", reply
    plain.close()


# ------------------------------------------------- review alone, scripted upstream

class ScriptedValidation:
    """Validation's secure ROUTER (CURVE, its key written where review
    reads it), answering review's pulls with self.events."""

    def __init__(self, port, home):
        self.events = []
        self.lock = threading.Lock()
        self.stopped = False
        self.socket = zmq.Context.instance().socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        stand_in(self.socket, home, "validation")
        self.socket.bind(secure_endpoint(port, "validation"))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def append(self, event_type, **fields):
        with self.lock:
            self.events.append(dict(fields, seq=len(self.events) + 1, v=1, type=event_type,
                                    at=int(time.time())))

    def _reply(self, request):
        if request["type"] == "ping":
            return {"v": 1, "type": "pong", "rid": request["rid"], "service": "validation",
                    "head": len(self.events)}
        with self.lock:
            events = self.events[request["after"]:request["after"] + request.get("max", 100)]
            head = len(self.events)
        return {"v": 1, "type": "batch", "rid": request["rid"], "head": head, "events": events}

    def _serve(self):
        while not self.stopped:
            if not self.socket.poll(50):
                continue
            identity, data = self.socket.recv_multipart()
            request = unpack(data)
            reply = self._reply(request)
            if request["type"] == "pull" and not reply["events"]:
                time.sleep(0.05)   # an empty answer, a little later: no busy loop
            self.socket.send_multipart([identity, pack(reply)])

    def close(self):
        self.stopped = True
        self.thread.join()
        self.socket.close()


alone = harness.Stack(BIN)
upstream = {}


def alone_events(kind=None, app_id=None):
    return [e for e in pull_all(alone.port, "review")
            if (kind is None or e["type"] == kind) and (app_id is None or e.get("id") == app_id)]


def wait_for(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def alone_caught_up():
    """Waits until review alone has applied every event the scripted
    validation served so far: what it does with them is then done."""
    head = len(upstream["validation"].events)
    wait_for(lambda: rewinding.cursors(alone, "review")["validation"] == head,
             "review applying validation's stream up to %d" % head)


def alone_vote(name, app_id, decision, motivation=None):
    client = alone.review_as(name)
    fields = dict(id=app_id, decision=decision)
    if motivation:
        fields["motivation"] = motivation
    reply = client.call("vote", **fields)
    client.close()
    return reply


def validated(app_id, seed, renews=None):
    document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    document["organisation"]["siret"] = harness.make_siret(seed)
    fields = dict(id=app_id, revision=1, verdict="review", report={"findings": []}, application=document)
    if renews:
        fields["renews"] = renews
    upstream["validation"].append("validated", **fields)
    wait_for(lambda: alone_events("queued", app_id), "%s queued" % app_id)


def test_review_alone_pulls_a_scripted_validation():
    stack.cleanup()
    upstream["validation"] = ScriptedValidation(alone.port, alone.home)
    alone.start("review")
    assert alone_events() == []


def test_an_appeal_reopens_a_rejected_file_once():
    for name, college in MEMBERS[:3] + MEMBERS[4:]:
        alone.essp_json("member", "add", name, "--college", college)
    validated("APPEAL1", 6101)
    sophie = alone.review_as("Sophie Bernard")
    assert sophie.call("recuse", id="APPEAL1", reason="Ancienne salariée.")["type"] == "recused"
    sophie.close()
    for name in ("Claire Moreau", "Hervé Le Guen", "Lucie Garnier"):
        alone_vote(name, "APPEAL1", "reject", "Références insuffisantes.")
    assert alone_events("decided", "APPEAL1")[0]["decision"] == "reject"
    upstream["validation"].append("appealed", id="APPEAL1", revision=1, motivation="Voici deux références.")
    upstream["validation"].append("appealed", id="APPEAL1", revision=1, motivation="Encore.")
    wait_for(lambda: len(alone_events("queued", "APPEAL1")) == 2, "the appeal round")
    # The second appeal read too: it must not have opened a third round.
    alone_caught_up()
    queued = alone_events("queued", "APPEAL1")
    assert [(e["round"], e["kind"]) for e in queued] == [(1, "review"), (2, "appeal")], queued
    client = alone.review_as("Claire Moreau")
    item = [i for i in client.call("queue")["items"] if i["id"] == "APPEAL1"][0]
    client.close()
    assert item["kind"] == "appeal" and item["appeal"] == "Voici deux références." and item["votes"] == [], item
    reply = alone_vote("Sophie Bernard", "APPEAL1", "approve")
    assert reply["rule"] == "recused" and "Ancienne salariée." in reply["message"], reply
    for name in ("Claire Moreau", "Hervé Le Guen", "Lucie Garnier"):
        alone_vote(name, "APPEAL1", "approve")
    decided = alone_events("decided", "APPEAL1")
    assert [(d["kind"], d["decision"]) for d in decided] == [("review", "reject"), ("appeal", "approve")]
    assert decided[1]["expires"] > decided[1]["at"] and "application" in decided[1]


def test_an_approved_renewal_withdraws_the_listing_it_renews():
    validated("RENEW2", 6102, renews="APPEAL1")
    client = alone.review_as("Claire Moreau")
    item = [i for i in client.call("queue")["items"] if i["id"] == "RENEW2"][0]
    client.close()
    assert item["renews"] == "APPEAL1", item
    for name in ("Claire Moreau", "Hervé Le Guen", "Lucie Garnier"):
        alone_vote(name, "RENEW2", "approve")
    events = alone_events()
    decided = [e for e in events if e["type"] == "decided" and e["id"] == "RENEW2"][0]
    assert decided["renews"] == "APPEAL1"
    following = [e for e in events if e["seq"] == decided["seq"] + 1][0]
    assert following["type"] == "withdrawn" and following["id"] == "APPEAL1", following
    assert following["kind"] == "renewed" and "RENEW2" in following["reason"], following
    staff = alone.staff()
    far = decided["expires"] + 10 * 365 * DAY
    state["far"] = far
    ticked = staff.call("tick", now=far - 20 * 365 * DAY)
    assert ticked["expired"] == [], ticked
    staff.close()


def test_an_erasure_pseudonymises_and_redacts():
    before = [e for e in alone_events() if e.get("id") == "RENEW2"]
    assert {"queued", "decided"} <= {e["type"] for e in before}
    upstream["validation"].append("erased", id="RENEW2")
    wait_for(lambda: alone_events("withdrawn", "RENEW2"), "the erased withdrawal")
    after = {e["seq"]: e for e in alone_events() if e.get("id") == "RENEW2"}
    for event in before:
        redacted = after[event["seq"]]
        assert redacted["type"] == "redacted" and set(redacted) == {"seq", "v", "type", "at", "id"}, redacted
    last = alone_events("withdrawn", "RENEW2")
    assert len(last) == 1 and last[0]["kind"] == "erased", last
    assert last[0]["reason"] == "Données effacées à la demande de l'accompagnateur (RGPD).", last
    assert [e["type"] for e in alone_events(app_id="APPEAL1")].count("decided") == 2, "others untouched"
    staff = alone.staff()
    assert staff.call("tick", now=state["far"])["expired"] == [], "an erased listing leaves the expiry index"
    staff.close()
    client = alone.review_as("Hervé Le Guen")
    reply = client.call("recuse", id="RENEW2", reason="x")
    assert reply["code"] == "conflict" and reply["rule"] == "state", reply
    client.close()
    upstream["validation"].append("erased", id="RENEW2")      # a replay changes nothing
    alone_caught_up()
    assert len(alone_events("withdrawn", "RENEW2")) == 1
    # In review's LMDB the application and the report are not left under
    # the erased id; the other files' are there.
    assert alone.kill("review", signal.SIGTERM) == 0
    keys = lmdb_keys("applications")
    assert b"APPEAL1".hex() in keys and b"RENEW2".hex() not in keys, keys


def lmdb_keys(db):
    """The keys (hex) of one of review's databases, read while it is stopped."""
    directory = os.path.join(alone.home, "data", "review")
    result = subprocess.run([LMDB_EDIT, directory, db, "list"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines()]


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_a_member_has_networks,
            test_a_file_entering_is_queued_and_a_shared_network_recuses,
            test_a_member_recuses_themself,
            test_the_queue_filters,
            test_an_approval_sets_the_listing_term,
            test_a_certificate_that_ends_earlier_ends_the_listing,
            test_a_complaint_suspends_and_a_complaint_round_reinstates,
            test_a_tick_withdraws_what_is_due,
            test_staff_withdraw_and_roles,
            test_review_alone_pulls_a_scripted_validation,
            test_an_appeal_reopens_a_rejected_file_once,
            test_an_approved_renewal_withdraws_the_listing_it_renews,
            test_an_erasure_pseudonymises_and_redacts,
        ])
    finally:
        stack.cleanup()
        alone.cleanup()
        if "validation" in upstream:
            upstream["validation"].close()
