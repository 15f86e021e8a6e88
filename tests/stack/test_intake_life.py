"""intake's part of a listing's life through the real services: the ids it
gives (time-ordered, 16 characters), an appeal
over HTTP (the API and the applicant's page: its rules, its idempotency
key, the state and the history it leaves), a renewal over HTTP (what it
may renew, the SIRET rule it passes, renews in the stream and the status),
and the erasure of an application by a staff key on intake's CURVE endpoint
(refused elsewhere and to a member key; what the record keeps, the log
redacted, the history still verified with its whys gone; a second erasure
changes nothing; no document and no report left in intake's LMDB)."""

import datetime
import os
import signal
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client, load_cert, pull_all, staff_client  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "100000", "ESSP_HTTP_BURST": "100000"})
gateway = Gateway(stack.port + 4)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
REJECTION = "Les références ne montrent pas d'accompagnement de structures de l'ESS."
APPEAL = "Nos trois dernières missions auprès de coopératives figurent désormais au dossier."
counter = [400]
life = {}


def fresh(seed=None):
    counter[0] += 1
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = harness.make_siret(seed or counter[0])
    return document


def submit(document, renews=None):
    path = "/api/v1/applications" + ("?renews=" + renews if renews else "")
    return gateway.post_json(path, document)


def vote_all(app_id, decision, motivation=None):
    for name, _ in MEMBERS:
        args = [app_id, decision, "--as", name] + (["--motivation", motivation] if motivation else [])
        stack.essp_json("vote", *args)


def decided(document, decision, motivation=None):
    receipt = submit(document).json()
    stack.wait_state(receipt["id"], "in_review")
    vote_all(receipt["id"], decision, motivation)
    stack.wait_state(receipt["id"], {"approve": "published", "reject": "rejected"}[decision])
    return receipt


def page(app_id, token, path="", **fields):
    body = urllib.parse.urlencode(dict(jeton=token, **fields)).encode()
    return gateway.request("POST", "/suivi/%s%s" % (app_id, path), body,
                           {"Content-Type": "application/x-www-form-urlencoded"})


def appeal(app_id, token, motivation, key=None):
    return gateway.post_json("/api/v1/applications/%s/appeal" % app_id, {"motivation": motivation},
                             token=token, key=key)


def expect_error(response, status, rule, field):
    assert response.status == status, response
    body = response.json()
    assert body["rule"] == rule and body["field"] == field, body


def history(app_id):
    lines = stack.essp_lines("history", app_id)
    return lines[:-1], lines[-1]


def setup():
    stack.start()
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)


CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
EPOCH_2020_MS = 1577836800000


def test_ids_follow_the_submission_time():
    """16 characters: the milliseconds since 2020 (8), then 8 random ones."""
    ids = []
    for _ in range(5):
        before = int(time.time() * 1000)
        app_id = submit(fresh()).json()["id"]
        after = int(time.time() * 1000)
        assert len(app_id) == 16 and all(c in CROCKFORD for c in app_id), app_id
        at = 0
        for c in app_id[:8]:
            at = at * 32 + CROCKFORD.index(c)
        assert before - 5 <= EPOCH_2020_MS + at <= after + 5, (app_id, before, after)
        ids.append(app_id)
    prefixes = [app_id[:8] for app_id in ids]
    assert prefixes == sorted(prefixes) and len(set(ids)) == len(ids), ids


def test_an_appeal_over_http():
    receipt = decided(fresh(), "reject", REJECTION)
    app_id, token = receipt["id"], receipt["token"]
    shown = page(app_id, token)
    assert shown.status == 200 and "Faire appel de la décision" in shown.text()
    assert 'action="/suivi/%s/appel"' % app_id in shown.text()
    # Refused: no token, a wrong token, a blank motivation, a body that is not one.
    expect_error(gateway.post_json("/api/v1/applications/%s/appeal" % app_id, {"motivation": APPEAL}),
                 401, "required", "Authorization")
    expect_error(appeal(app_id, "x" * 43, APPEAL), 404, "exists", "id")
    expect_error(appeal("zzzzzzzzzzzz", token, APPEAL), 404, "exists", "id")
    expect_error(appeal(app_id, token, "  \n "), 400, "required", "motivation")
    expect_error(gateway.post_json("/api/v1/applications/%s/appeal" % app_id, {"why": APPEAL}, token=token),
                 400, "additionalProperties", "why")
    assert stack.essp_json("status", app_id)["state"] == "rejected"
    # Accepted once; the same key gives the same answer; another appeal is refused.
    first = appeal(app_id, token, APPEAL, key="appeal-1")
    # Recorded; the file stays rejected until review opens the appeal round.
    assert first.status == 200 and first.json() == {"id": app_id, "state": "rejected"}, first
    again = appeal(app_id, token, "autre chose", key="appeal-1")
    assert again.status == 200 and again.json()["id"] == app_id, again
    assert again.json()["state"] in ("rejected", "in_review"), again
    expect_error(appeal(app_id, token, "Encore."), 409, "appeal_used", "id")
    # Review opens the appeal round (validation passes the appeal on to it):
    # the file is before the committee again.
    status = stack.wait_state(app_id, "in_review")
    assert status["appeal"]["motivation"] == APPEAL, status
    events = [e for e in pull_all(stack.port, "intake") if e["type"] == "appealed" and e["id"] == app_id]
    assert len(events) == 1 and events[0]["motivation"] == APPEAL and events[0]["revision"] == 1, events
    records, last = history(app_id)
    appealed = [r for r in records if r["what"] == "appealed"]
    assert len(appealed) == 1 and appealed[0]["who"] == "applicant" and appealed[0]["why"] == APPEAL, records
    assert appealed[0]["state"] == "rejected" and last["verified"] is True, records
    shown = page(app_id, token)
    assert "Appel déposé le" in shown.text() and 'action="/suivi/%s/appel"' % app_id not in shown.text()
    # An application that is not rejected cannot be appealed.
    listed = decided(fresh(), "approve")
    expect_error(appeal(listed["id"], listed["token"], APPEAL), 409, "state", "id")
    life["listed"] = listed


def test_an_appeal_from_the_applicants_page():
    receipt = decided(fresh(), "reject", REJECTION)
    app_id, token = receipt["id"], receipt["token"]
    blank = page(app_id, token, "/appel", motivation=" ")
    assert blank.status == 400 and "Motivation manquante" in blank.text(), blank
    shown = page(app_id, token, "/appel", motivation=APPEAL)
    assert shown.status == 200 and "Appel déposé le" in shown.text(), shown
    # Sent twice (a double click): the page again, one appeal.
    assert page(app_id, token, "/appel", motivation=APPEAL).status == 200
    assert stack.essp_json("status", app_id)["appeal"]["motivation"] == APPEAL
    assert len([e for e in pull_all(stack.port, "intake")
                if e["type"] == "appealed" and e["id"] == app_id]) == 1


def test_a_renewal_over_http():
    listed = life["listed"]
    siret = stack.essp_json("status", listed["id"])["siret"]
    # The same SIRET without renews is refused while the listing is open.
    same = fresh()
    same["organisation"]["siret"] = siret
    expect_error(submit(same), 409, "unique", "organisation.siret")
    expect_error(submit(same, renews="zzzzzzzzzzzz"), 400, "exists", "renews")
    expect_error(submit(fresh(), renews=listed["id"]), 400, "same_siret", "renews")
    rejected = decided(fresh(), "reject", REJECTION)
    other = fresh()
    other["organisation"]["siret"] = stack.essp_json("status", rejected["id"])["siret"]
    expect_error(submit(other, renews=rejected["id"]), 400, "state", "renews")
    renewal = submit(same, renews=listed["id"])
    assert renewal.status == 201, renewal
    renewal = renewal.json()
    assert renewal["id"] != listed["id"]
    assert gateway.status(renewal["id"], renewal["token"]).json()["renews"] == listed["id"]
    assert stack.essp_json("status", listed["id"])["state"] == "published"
    events = [e for e in pull_all(stack.port, "intake") if e["type"] == "submitted" and e["id"] == renewal["id"]]
    assert [e.get("renews") for e in events] == [listed["id"]], events
    # One renewal at a time.
    expect_error(submit(same, renews=listed["id"]), 409, "unique", "organisation.siret")
    assert listed["id"] in page(renewal["id"], renewal["token"]).text()


def intake_secure(role, name):
    client = Client(stack.port, "intake", keys=load_cert(stack.key_path(role, name)),
                    server_key=load_cert(os.path.join(stack.home, "keys", "intake.cert"))[0])
    client.address = "tcp://127.0.0.1:%d" % (stack.port + 6)
    return client


def test_an_erasure_by_the_staff():
    receipt = decided(fresh(), "reject", REJECTION)
    app_id, token = receipt["id"], receipt["token"]
    assert appeal(app_id, token, APPEAL).status == 200
    before = stack.essp_json("status", app_id)
    refused = Client(stack.port, "intake").call("erase", id=app_id)
    assert refused["code"] == "forbidden" and refused["rule"] == "authentication", refused
    member = intake_secure("member", MEMBERS[0][0]).call("erase", id=app_id)
    assert member["code"] == "forbidden" and member["rule"] == "role", member
    staff = intake_secure("staff", "operator")
    assert staff.call("erase", id="zzzzzzzzzzzz")["code"] == "not_found"
    ack = staff.call("erase", id=app_id)
    assert ack["type"] == "ack" and ack["id"] == app_id and ack["state"] == "withdrawn", ack
    status = stack.essp_json("status", app_id)
    assert status["state"] == "withdrawn" and status["reason"] == "erased", status
    for gone in ("name", "siret"):
        assert gone not in status, status
    assert status["report"] is None and status["appeal"] == {"at": before["appeal"]["at"], "at_iso": before["appeal"]["at_iso"]}, status
    # Every instant essp prints in unix seconds has its ISO 8601 beside it, with the Paris offset.
    erased = datetime.datetime.fromisoformat(status["erased_at_iso"])
    assert erased.utcoffset() in (datetime.timedelta(hours=1), datetime.timedelta(hours=2)), status
    assert erased.timestamp() == status["erased_at"], status
    assert [d["decision"] for d in status["decisions"]] == ["reject"], status
    assert "motivations" not in status["decisions"][0] and len(status["decisions"][0]["voters"]) == 3, status
    full = staff_client(stack.port, "intake").call("status", id=app_id, with_application=True)
    assert full["type"] == "status" and "application" not in full, full
    # The log: every earlier event about the id redacted, then "erased".
    events = [e for e in pull_all(stack.port, "intake") if e.get("id") == app_id]
    assert [e["type"] for e in events] == ["redacted"] * (len(events) - 1) + ["erased"], events
    assert all(set(e) == {"seq", "v", "type", "at", "id"} for e in events[:-1]), events
    # The history: verified, no why left but the erasure's.
    records, last = history(app_id)
    assert last["verified"] is True, last
    erased_at = [r["what"] for r in records].index("erased")
    assert all(r["why"] == "" for r in records[:erased_at]), records
    assert records[erased_at]["who"] == "staff operator" and records[erased_at]["state"] == "withdrawn"
    text = str(staff_client(stack.port, "intake").call("history", id=app_id)["records"])
    assert "ESS" not in text and "coopératives" not in text
    # The applicant's page says what became of the file.
    shown = page(app_id, token)
    assert shown.status == 200 and "ont été effacées" in shown.text(), shown
    # Again: the same answer, nothing more.
    head = len(pull_all(stack.port, "intake"))
    again = staff.call("erase", id=app_id)
    assert {k: v for k, v in again.items() if k != "rid"} == {k: v for k, v in ack.items() if k != "rid"}, again
    assert len(pull_all(stack.port, "intake")) == head
    # In intake's LMDB nothing is left under the id but the pseudonymised
    # record and the history: no document, no report (the other
    # applications' reports are there).
    assert stack.kill("intake", signal.SIGTERM) == 0
    try:
        key = app_id.encode().hex()
        documents, reports = lmdb_keys("documents"), lmdb_keys("reports")
        assert documents and key not in documents, documents
        assert reports and key not in reports, reports
    finally:
        stack.start("intake")


def test_a_key_resent_after_an_erasure():
    """A submit resent with its key is answered with its first receipt;
    once the application is erased, what the key was sent with is gone,
    and the resend is refused (the key's conflict, the message saying
    why), with nothing appended to the log."""
    document = fresh()
    key = "erasure-%d" % counter[0]
    client = Client(stack.port, "intake")
    first = client.call("submit", key=key, application=document)
    assert first["type"] == "receipt", first
    again = client.call("submit", key=key, application=document)
    assert again["type"] == "receipt" and again["duplicate"] is True and again["id"] == first["id"], again
    ack = intake_secure("staff", "operator").call("erase", id=first["id"])
    assert ack["type"] == "ack", ack
    head = len(pull_all(stack.port, "intake"))
    refused = client.call("submit", key=key, application=document)
    assert refused["code"] == "conflict" and refused["field"] == "key" and refused["rule"] == "unique", refused
    assert "since been erased" in refused["message"] and "new key" in refused["message"], refused
    assert len(pull_all(stack.port, "intake")) == head


def lmdb_keys(db):
    """The keys (hex) of one of intake's databases, read while it is stopped."""
    directory = os.path.join(stack.home, "data", "intake")
    result = subprocess.run([LMDB_EDIT, directory, db, "list"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines()]


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_ids_follow_the_submission_time, test_an_appeal_over_http, test_an_appeal_from_the_applicants_page, test_a_renewal_over_http,
                     test_an_erasure_by_the_staff, test_a_key_resent_after_an_erasure])
    finally:
        stack.cleanup()
