"""Logs of what happened (README: Journaux): a submission, a status read
with its token, a vote, the decision it makes, an erasure, a desk login
and a lost-link request each leave one JSON line with their type, outcome,
application id and actor in the log of the service that handled them, and
the events they caused one line in the log of each service that applied
them.  Every private field of the application holds a canary, and the
token, the password and the e-mail addresses are known: no log file of the
stack holds any of them."""

import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_web  # noqa: E402
import harness  # noqa: E402
from essp_client import Client  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
# One vote decides, so that the test sees a decision without a committee.
stack = harness.Stack(BIN, env={"ESSP_QUORUM_VOTES": "1", "ESSP_QUORUM_COLLEGES": "1"})
MEMBER = "Zoé Vérifie"
CONTACT = "zq7-contact@prive.example"
DESK_EMAIL = "zq7-membre@prive.example"
DESK_PASSWORD = "zq7 mot de passe canari très long 2026"
# A private value in every field the schema does not mark x-public.
CANARIES = {
    "contact name": "Zq7canary Contactname",
    "contact e-mail": CONTACT,
    "contact phone": "+33 (0)6 91 82 73 64",
    "purpose": "zq7canary-purpose",
    "governance": "zq7canary-governance",
    "surplus": "zq7canary-surplus",
    "reference summary": "zq7canary-summary",
    "reference SIREN": "914627358",          # sent as "914 627 358", stored as digits
    "trained person": "Zq7canary Trainee",
    "motivation": "zq7canary-motivation",
}
life = {}


def canary_application():
    document = harness.numbered_fixture(7301)
    org = document["organisation"]
    org["private_contact"] = {"name": CANARIES["contact name"], "email": CONTACT,
                              "phone": CANARIES["contact phone"]}
    principles = document["principles"]
    for key in ("purpose", "governance", "surplus"):
        principles[key] = CANARIES[key] + " " + principles[key]
    document["references"][0]["client_siren"] = "914 627 358"   # CANARIES["reference SIREN"]
    document["references"][0]["summary"] = CANARIES["reference summary"] + " " + document["references"][0]["summary"]
    document["trained_people"] = [{"name": CANARIES["trained person"], "session_date": "2025-03-14"}]
    return document


def lines(service, **match):
    """The lines of a service's log with every field of match."""
    return [line for line in stack.log_lines(service)
            if all(line.get(k) == v for k, v in match.items())]


def one(service, **match):
    found = lines(service, **match)
    assert len(found) == 1, "%s: %d lines with %s, expected one: %s" % (
        service, len(found), match, json.dumps(stack.log_lines(service)[-30:], ensure_ascii=False))
    return found[0]


def wait_letter(address, timeout=20.0):
    """Waits for essp-notify's letter to address in the Maildir: notify
    applied the event that asked for it, and logged it, before."""
    deadline = time.monotonic() + timeout
    while True:
        for path in glob.glob(os.path.join(stack.home, "mail", "new", "*.eml")):
            with open(path, "rb") as f:
                if address.encode() in f.read():
                    return
        assert time.monotonic() < deadline, "no letter to %s" % address
        time.sleep(0.05)


def setup():
    stack.start()
    stack.start("notify")
    desk_web.start_desk(stack)
    stack.essp_json("member", "add", MEMBER, "--college", "researchers")


def test_a_submission_and_a_status_read_over_http():
    gateway = Gateway(stack.port + 4)
    response = gateway.post_json("/api/v1/applications", canary_application(), key="logs-1")
    assert response.status == 201, response
    receipt = response.json()
    life.update(id=receipt["id"], token=receipt["token"])
    submit = one("intake", kind="request", type="submit", id=life["id"])
    assert submit["outcome"] == "ok" and isinstance(submit["us"], int) and submit["us"] >= 0, submit
    assert "actor" not in submit and "rule" not in submit, submit
    http = one("intake", kind="http", method="POST", path="/api/v1/applications")
    assert http["status"] == 201 and http["us"] >= submit["us"], http
    assert gateway.status(life["id"], life["token"]).status == 200
    one("intake", kind="request", type="status", id=life["id"], outcome="ok")
    one("intake", kind="http", method="GET", path="/api/v1/applications/" + life["id"], status=200)
    # A wrong token: refused, with its code and rule.
    assert gateway.status(life["id"], "x" * 43).status == 404
    refused = [line for line in lines("intake", kind="request", type="status", id=life["id"])
               if line["outcome"] != "ok"]
    assert len(refused) == 1 and refused[0]["outcome"] == "not_found" and refused[0]["rule"], refused


def test_the_events_each_service_applied():
    # in_review: intake applied review's "queued", which review appended
    # while applying validation's "validated", which validation appended
    # while applying intake's "submitted"; each logs once it commits.
    stack.wait_state(life["id"], "in_review")
    event = one("validation", kind="event", stream="intake", type="submitted", id=life["id"])
    assert event["outcome"] == "ok" and event["seq"] >= 1, event
    one("review", kind="event", stream="validation", type="validated", id=life["id"], outcome="ok")
    one("intake", kind="event", stream="review", type="queued", id=life["id"], outcome="ok")
    wait_letter(CONTACT)
    one("notify", kind="event", stream="intake", type="submitted", id=life["id"], outcome="ok")


def test_a_vote_and_the_decision_it_makes():
    ack = stack.essp_json("vote", life["id"], "approve", "--as", MEMBER, "--motivation", CANARIES["motivation"])
    assert ack["outcome"] == "approve", ack
    vote = one("review", kind="request", type="vote", id=life["id"])
    assert vote["outcome"] == "ok" and vote["actor"] == MEMBER, vote
    # published: intake applied publication's "upsert", appended while
    # publication applied review's "decided".
    stack.wait_state(life["id"], "published")
    one("publication", kind="event", stream="review", type="decided", id=life["id"], outcome="ok")
    one("intake", kind="event", stream="publication", type="upsert", id=life["id"], outcome="ok")
    # A vote on a file nobody knows: refused, with its code and rule.
    unknown = "zzzzzzzzzzzzzzzz"
    refused = stack.essp("vote", unknown, "approve", "--as", MEMBER, check=False)
    assert refused.returncode == 1, refused.stderr
    line = one("review", kind="request", type="vote", id=unknown)
    assert line["outcome"] == "not_found" and line["rule"] and line["actor"] == MEMBER, line


def test_a_desk_login():
    staff = desk_web.staff_person(stack)
    link = desk_web.add_member(staff, "Zq7 Membre Bureau", DESK_EMAIL, "researchers")
    life["invitation"] = link.rsplit("/", 1)[1]
    person = desk_web.Person(stack.port + 11)
    assert person.accept_invitation(link, password=DESK_PASSWORD).status == 200
    person = desk_web.Person(stack.port + 11)
    page = person.login(DESK_EMAIL, DESK_PASSWORD)
    assert page.status == 200 and "Mes dossiers" in page.text, page
    login = one("desk", kind="http", method="POST", path="/connexion", actor="Zq7 Membre Bureau")
    assert login["status"] == 303, login
    assert lines("desk", kind="http", method="GET", path="/comite", actor="Zq7 Membre Bureau", status=200)
    # The invitation's link: its token cut from the path.
    assert lines("desk", kind="http", method="POST", path="/invitation/\u2026")
    # The desk's core answered its web threads through the same shell.
    assert lines("desk", kind="request", outcome="ok")


def test_a_lost_link_and_an_erasure():
    gateway = Gateway(stack.port + 4)
    assert gateway.post_json("/api/v1/token-reissue", {"contact": CONTACT}).status == 202
    one("intake", kind="request", type="token_reissue", outcome="ok")
    erased = stack.essp_json("erase", life["id"])
    assert erased["id"] == life["id"], erased
    erase = one("intake", kind="request", type="erase", id=life["id"])
    assert erase["outcome"] == "ok" and erase["actor"] == "operator", erase


def test_no_log_holds_a_secret():
    secrets = dict(CANARIES, token=life["token"], password=DESK_PASSWORD, invitation=life["invitation"],
                   desk_email=DESK_EMAIL, staff_email="equipe@cress-pdl.example", staff_password=desk_web.PASSWORD)
    # Stopped first: every line any service will write is in its file.
    assert set(stack.stop().values()) == {0}
    files = sorted(glob.glob(os.path.join(stack.home, "log", "*")))
    assert any(f.endswith("desk.log") for f in files) and any(f.endswith("notify.log") for f in files), files
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for what, secret in secrets.items():
            assert secret.encode() not in data, "%s: the %s %r is in it" % (path, what, secret)
        if path.endswith(".log"):
            for raw in data.splitlines():
                json.loads(raw)


def teardown():
    stack.stop()
    stack.cleanup()


def run_all():
    setup()
    try:
        harness.run([test_a_submission_and_a_status_read_over_http, test_the_events_each_service_applied,
                     test_a_vote_and_the_decision_it_makes, test_a_desk_login,
                     test_a_lost_link_and_an_erasure, test_no_log_holds_a_secret])
    finally:
        teardown()


if __name__ == "__main__":
    run_all()
