"""How intake applies the committee's events, in every order its three
upstream streams can deliver them: the real intake process, its real LMDB,
and, in place of validation, review and publication, streams served here
(the pull protocol of proto/README.md 6.3), so that each event comes
exactly when the test says.  Covered: an appeal round (queued, decided
kind appeal with an expiry), a complaint seen by review first and by
publication first (suspended, reinstated, listed again, late events that
change nothing), a complaint round that withdraws, an expiry (then a
renewal of the expired listing), what an erased application still
records, and the history each leaves, verified."""

import os
import sys
import threading
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rewinding  # noqa: E402
from essp_client import PUBLIC_STREAMS, Client, load_cert, pack, stand_in, unpack  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
UPSTREAMS = ("validation", "review", "publication")


class Upstreams:
    """The three streams intake follows, served from lists: append an event
    and intake's held pull gets it.  Validation's and review's are private:
    served over CURVE, with keys written in home as the real services'."""

    def __init__(self, home):
        self.context = zmq.Context.instance()
        self.sockets, self.ports = {}, {}
        for name in UPSTREAMS:
            socket = self.context.socket(zmq.ROUTER)
            socket.setsockopt(zmq.LINGER, 0)
            if name not in PUBLIC_STREAMS:
                stand_in(socket, home, name)
            self.ports[name] = socket.bind_to_random_port("tcp://127.0.0.1")
            self.sockets[name] = socket
        self.events = {name: [] for name in UPSTREAMS}
        self.held = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def env(self):
        return {"ESSP_%s_%sENDPOINT" % (name.upper(), "" if name in PUBLIC_STREAMS else "SECURE_"):
                "tcp://127.0.0.1:%d" % port for name, port in self.ports.items()}

    def append(self, name, event_type, **fields):
        with self.lock:
            stream = self.events[name]
            stream.append(dict({"seq": len(stream) + 1, "v": 1, "type": event_type,
                                "at": int(time.time())}, **fields))

    def _answer(self, name, envelope, request):
        after, limit = request["after"], request.get("max", 100)
        stream = self.events[name]
        batch = stream[after:after + limit]
        reply = {"v": 1, "type": "batch", "rid": request["rid"], "head": len(stream), "events": batch}
        self.sockets[name].send_multipart(envelope + [pack(reply)])

    def _serve(self):
        poller = zmq.Poller()
        for socket in self.sockets.values():
            poller.register(socket, zmq.POLLIN)
        while self.running:
            ready = dict(poller.poll(20))
            with self.lock:
                for name, socket in self.sockets.items():
                    if socket in ready:
                        frames = socket.recv_multipart()
                        request = unpack(frames[-1])
                        if request.get("type") == "pull":
                            self.held.append((name, frames[:-1], request,
                                              time.monotonic() + request.get("wait", 0) / 1000.0))
                still = []
                for name, envelope, request, deadline in self.held:
                    if len(self.events[name]) > request["after"] or time.monotonic() >= deadline:
                        self._answer(name, envelope, request)
                    else:
                        still.append((name, envelope, request, deadline))
                self.held = still

    def close(self):
        self.running = False
        self.thread.join()
        for socket in self.sockets.values():
            socket.close()


stack = harness.Stack(BIN)
upstreams = Upstreams(stack.home)
stack.env.update(upstreams.env())
intake = None
counter = [700]
VOTERS = ["Claire Moreau", "Hervé Le Guen", "Sophie Bernard"]
EXPIRES = 1890345600             # 2029-11-26


def submit(**extra):
    counter[0] += 1
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = harness.make_siret(counter[0])
    receipt = intake.call("submit", application=document, **extra)
    assert receipt["type"] == "receipt", receipt
    return receipt["id"], document


def status(app_id):
    return intake.call("status", id=app_id)


def wait_for(app_id, predicate, what):
    deadline = time.monotonic() + 20
    while True:
        current = status(app_id)
        if predicate(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError("%s: %s never came: %s" % (app_id, what, current))
        time.sleep(0.02)


def caught_up(*names):
    """Waits until intake has applied every event served so far on each
    upstream named: what it will do with them is then done, so that what
    did not change can be asserted."""
    for name in names:
        head = len(upstreams.events[name])
        rewinding.wait_for(lambda: rewinding.cursors(stack, "intake")[name] == head,
                           "intake applying %s's stream up to %d" % (name, head), timeout=20)


def history_whats(app_id):
    reply = intake.call("history", id=app_id)
    assert reply["verified"] is True, reply
    return reply["count"]


def settle(app_id, count):
    """Waits until the application has `count` history records."""
    deadline = time.monotonic() + 20
    while history_whats(app_id) < count:
        if time.monotonic() > deadline:
            raise AssertionError("%s: history stayed at %d records" % (app_id, history_whats(app_id)))
        time.sleep(0.02)
    assert history_whats(app_id) == count


def decided(app_id, decision, round_=1, kind="review", motivations=(), document=None, **fields):
    event = dict(id=app_id, revision=1, round=round_, decision=decision, motivations=list(motivations),
                 voters=VOTERS, kind=kind, **fields)
    if document is not None:
        event["application"] = document
    upstreams.append("review", "decided", **event)


def listed(app_id):
    """validated, decided approve, upsert: a published listing."""
    app_id_, document = app_id
    upstreams.append("validation", "validated", id=app_id_, revision=1, verdict="review",
                     report={"charter": "2018.1", "verdict": "review", "criteria": []})
    decided(app_id_, "approve", document=document, expires=EXPIRES)
    upstreams.append("publication", "upsert", id=app_id_, version=1, entry={"id": app_id_})
    wait_for(app_id_, lambda s: s["state"] == "published", "published")
    return app_id_


def setup():
    global intake
    stack.start("intake")
    # Status and history without the applicant's token: the staff key.
    intake = stack.staff("intake")


def test_an_appeal_round():
    app_id, document = submit()
    upstreams.append("validation", "validated", id=app_id, revision=1, verdict="review",
                     report={"charter": "2018.1", "verdict": "review", "criteria": []})
    decided(app_id, "reject", motivations=["Références insuffisantes."])
    wait_for(app_id, lambda s: s["state"] == "rejected", "rejected")
    ack = intake.call("appeal", id=app_id, motivation="Voici trois références de plus.")
    assert ack["type"] == "ack" and ack["state"] == "rejected", ack
    settle(app_id, 4)
    assert status(app_id)["state"] == "rejected", "in_review only once review opens the appeal round"
    upstreams.append("review", "queued", id=app_id, revision=1, round=2, kind="appeal")
    settle(app_id, 5)
    assert status(app_id)["state"] == "in_review"
    decided(app_id, "approve", round_=2, kind="appeal", document=document, expires=EXPIRES)
    current = wait_for(app_id, lambda s: s["state"] == "approved", "approved after the appeal")
    assert current["expires"] == EXPIRES, current
    assert [(d["round"], d["decision"], d["kind"]) for d in current["decisions"]] == \
        [(1, "reject", "review"), (2, "approve", "appeal")], current
    upstreams.append("publication", "upsert", id=app_id, version=1, entry={"id": app_id})
    wait_for(app_id, lambda s: s["state"] == "published", "published")
    records = intake.call("history", id=app_id)["records"]
    assert len(records) == 7


def test_a_complaint_seen_by_review_first():
    app_id = listed(submit())
    upstreams.append("review", "withdrawn", id=app_id, kind="suspended",
                     reason="Une réclamation est examinée par le comité.")
    current = wait_for(app_id, lambda s: s["state"] == "suspended", "suspended")
    assert current["reason"] == "Une réclamation est examinée par le comité.", current
    upstreams.append("review", "queued", id=app_id, revision=1, round=2, kind="complaint")
    upstreams.append("publication", "withdraw", id=app_id, reason="suspended")
    settle(app_id, 7)
    assert status(app_id)["state"] == "suspended"
    decided(app_id, "reinstate", round_=2, kind="complaint", expires=EXPIRES)
    current = wait_for(app_id, lambda s: s["state"] == "approved", "reinstated")
    assert "reason" not in current, current
    upstreams.append("publication", "upsert", id=app_id, version=2, entry={"id": app_id})
    wait_for(app_id, lambda s: s["state"] == "published", "listed again")


def test_a_complaint_seen_by_publication_first():
    app_id = listed(submit())
    records = history_whats(app_id)
    # Publication withdraws, then lists again after the reinstatement, all
    # before intake reads review's side.
    upstreams.append("publication", "withdraw", id=app_id, reason="suspended")
    wait_for(app_id, lambda s: s["state"] == "suspended", "suspended by publication")
    upstreams.append("publication", "upsert", id=app_id, version=2, entry={"id": app_id})
    wait_for(app_id, lambda s: s["state"] == "published", "listed again")
    # Review's side arrives late: it changes nothing, and is recorded.
    upstreams.append("review", "withdrawn", id=app_id, kind="suspended", reason="Réclamation.")
    decided(app_id, "reinstate", round_=2, kind="complaint", expires=EXPIRES)
    settle(app_id, records + 4)
    assert status(app_id)["state"] == "published"


def test_a_late_listing_does_not_lift_a_suspension():
    app_id, document = submit()
    upstreams.append("validation", "validated", id=app_id, revision=1, verdict="review",
                     report={"charter": "2018.1", "verdict": "review", "criteria": []})
    decided(app_id, "approve", document=document, expires=EXPIRES)
    upstreams.append("review", "withdrawn", id=app_id, kind="suspended", reason="Réclamation.")
    wait_for(app_id, lambda s: s["state"] == "suspended", "suspended")
    # The listing made before the complaint reaches intake only now.
    upstreams.append("publication", "upsert", id=app_id, version=1, entry={"id": app_id})
    upstreams.append("publication", "withdraw", id=app_id, reason="suspended")
    settle(app_id, 5)
    assert status(app_id)["state"] == "suspended"


def test_a_complaint_round_that_withdraws():
    app_id = listed(submit())
    upstreams.append("review", "withdrawn", id=app_id, kind="suspended", reason="Réclamation.")
    wait_for(app_id, lambda s: s["state"] == "suspended", "suspended")
    decided(app_id, "withdraw", round_=2, kind="complaint",
            motivations=["Pratiques contraires à la charte.", "Clients mal informés."])
    current = wait_for(app_id, lambda s: s["state"] == "withdrawn", "withdrawn")
    assert current["reason"] == "Pratiques contraires à la charte. | Clients mal informés.", current
    assert current["withdrawn_kind"] == "withdrawn", current
    upstreams.append("publication", "withdraw", id=app_id, reason="withdrawn")
    caught_up("publication")
    # Publication's withdraw, seen after the committee's, keeps the committee's reason.
    after = status(app_id)
    assert (after["state"], after["withdrawn_kind"], after["reason"]) == \
        ("withdrawn", "withdrawn", current["reason"]), after


def test_an_expiry_then_a_renewal():
    app_id = listed(submit())
    siret = status(app_id)["siret"]
    upstreams.append("review", "withdrawn", id=app_id, kind="expired",
                     reason="L'inscription a expiré le 2029-11-26 (durée de l'inscription).")
    current = wait_for(app_id, lambda s: s["state"] == "withdrawn", "expired")
    assert current["withdrawn_kind"] == "expired" and current["reason"].startswith("L'inscription a expiré")
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = siret
    receipt = intake.call("submit", application=document, renews=app_id)
    assert receipt["type"] == "receipt" and status(receipt["id"])["renews"] == app_id, receipt
    # A listing withdrawn by the staff cannot be renewed.
    other = listed(submit())
    upstreams.append("review", "withdrawn", id=other, kind="withdrawn", reason="Demande de la structure.")
    wait_for(other, lambda s: s["state"] == "withdrawn", "withdrawn")
    document["organisation"]["siret"] = status(other)["siret"]
    refused = intake.call("submit", application=document, renews=other)
    assert refused["code"] == "invalid" and refused["field"] == "renews" and refused["rule"] == "state", refused


def test_after_an_erasure_only_its_ends_are_recorded():
    app_id = listed(submit())
    staff = Client(stack.port, "intake", keys=load_cert(stack.key_path("staff", "operator")),
                   server_key=load_cert(os.path.join(stack.home, "keys", "intake.cert"))[0])
    staff.address = "tcp://127.0.0.1:%d" % (stack.port + 6)
    assert staff.call("erase", id=app_id)["type"] == "ack"
    count = history_whats(app_id)
    # Events about the file that were on their way: none brings personal
    # data back; review's end of the file is recorded (publication's, which
    # finds the file withdrawn already, is not).
    upstreams.append("validation", "validated", id=app_id, revision=1, verdict="review",
                     report={"charter": "2018.1", "verdict": "review", "criteria": [], "note": "personnel"})
    decided(app_id, "approve", round_=2, motivations=["Motivation personnelle."])
    upstreams.append("review", "withdrawn", id=app_id, kind="erased", reason="Données effacées à la demande.")
    upstreams.append("publication", "withdraw", id=app_id, reason="erased")
    settle(app_id, count + 1)
    caught_up(*UPSTREAMS)
    assert history_whats(app_id) == count + 1
    current = status(app_id)
    assert current["state"] == "withdrawn" and current["reason"] == "erased", current
    assert current["report"] is None and len(current["decisions"]) == 1, current
    assert "Motivation personnelle" not in str(intake.call("history", id=app_id)["records"])


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_an_appeal_round, test_a_complaint_seen_by_review_first,
                     test_a_complaint_seen_by_publication_first, test_a_late_listing_does_not_lift_a_suspension,
                     test_a_complaint_round_that_withdraws, test_an_expiry_then_a_renewal,
                     test_after_an_erasure_only_its_ends_are_recorded])
    finally:
        stack.cleanup()
        upstreams.close()
