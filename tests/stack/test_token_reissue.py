"""A lost tracking link, through the real services: the applicant's token
reaches notify only sealed to notify's key (intake's `submitted`, then
`token_reissued`), opened here with python3-nacl as notify would; a reissue
asked by the contact's address (another case, spaces around) makes a new
token at once and kills the old one (404, as an unknown id); an unknown
address gets the same reply and nothing happens; a fourth request within
the hour issues nothing; the French page « J'ai perdu mon lien de suivi »
and the JSON route answer the same sentence whatever happened.  And what
notify and the desk read from review: members' e-mails and digests
(essp member add --email, essp member update), and `pending`, asked with
notify's own key and by essp pending."""

import html
import os
import signal
import subprocess
import sys
import urllib.parse

import zmq
from zmq.utils import z85
from nacl.public import PrivateKey, SealedBox

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client, pull_all  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")
# The gateway's own rate limit out of the way: this test counts intake's,
# and six lost-link requests per client address.
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "100000", "ESSP_HTTP_BURST": "100000",
                                "ESSP_HTTP_REISSUE_PER_HOUR": "6"})
gateway = Gateway(stack.port + 4)
CONTACT = "jl.brochard@mep-vendee.example"
SENT_FR = ("Si une candidature en cours ou publiée correspond à cette adresse, un nouveau lien de suivi "
           "vient d'y être envoyé. L'ancien lien ne fonctionne plus.")
notify = {}


def write_notify_cert():
    """notify's key pair, registered in the certificate store as
    auth_server_cert registers a service's (keys/allowed/service-notify.cert,
    name notify, role service), before intake starts."""
    public, secret = zmq.curve_keypair()
    allowed = os.path.join(stack.home, "keys", "allowed")
    os.makedirs(allowed, exist_ok=True)
    with open(os.path.join(allowed, "service-notify.cert"), "w", encoding="utf-8") as f:
        f.write('#   ZeroMQ CURVE Public Certificate\n\nmetadata\n    name = "notify"\n    role = "service"\n'
                'curve\n    public-key = "%s"\n' % public.decode("ascii"))
    notify["keys"] = (public, secret)
    notify["box"] = SealedBox(PrivateKey(z85.decode(secret)))


def setup():
    write_notify_cert()
    stack.start()
    for name, college in (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities")):
        stack.essp("member", "add", name, "--college", college)


def intake_events(after=0, kind=None):
    return [e for e in pull_all(stack.port, "intake", after=after) if kind is None or e["type"] == kind]


def head():
    return Client(stack.port, "intake").call("ping")["head"]


def opened(event):
    return notify["box"].decrypt(event["token_sealed"]).decode("ascii")


def reissue(contact):
    """token_reissue on intake's plain endpoint: the reply without its rid."""
    reply = Client(stack.port, "intake").call("token_reissue", contact=contact)
    return {k: v for k, v in reply.items() if k != "rid"}


def submit(n):
    document = harness.numbered_fixture(n)
    path = harness.write_json(stack.home, "application-%d.json" % n, document)
    return stack.essp_json("submit", path)


def test_the_submitted_token_is_sealed_for_notify():
    receipt = submit(1)
    notify["first"] = receipt
    submitted = [e for e in intake_events(kind="submitted") if e["id"] == receipt["id"]]
    assert len(submitted) == 1 and isinstance(submitted[0]["token_sealed"], bytes), submitted
    assert receipt["token"].encode() not in submitted[0]["token_sealed"]
    assert opened(submitted[0]) == receipt["token"]
    assert gateway.status(receipt["id"], receipt["token"]).status == 200


def test_a_reissue_kills_the_old_token():
    receipt = notify["first"]
    before = head()
    ack = reissue("  JL.Brochard@MEP-Vendee.EXAMPLE ")
    assert ack == {"v": 1, "type": "reissue_ack"}, ack
    events = intake_events(before, "token_reissued")
    assert [e["id"] for e in events] == [receipt["id"]], events
    fresh = opened(events[0])
    assert len(fresh) == 43 and fresh != receipt["token"]
    # The old token: the same 404 as an unknown id; the new one works.
    old = gateway.status(receipt["id"], receipt["token"])
    unknown = gateway.status("zzzzzzzzzzzzzzzz", receipt["token"])
    assert old.status == 404 and old.body == unknown.body, (old, unknown)
    now = gateway.status(receipt["id"], fresh)
    assert now.status == 200 and now.json()["id"] == receipt["id"], now
    # The essp tool with the old token: refused as unknown (exit 1).
    assert stack.essp("status", receipt["id"], "--token", receipt["token"], check=False).returncode == 1
    notify["fresh"] = fresh


def test_an_unknown_address_gets_the_same_reply():
    before = head()
    assert reissue("personne@exemple.fr") == {"v": 1, "type": "reissue_ack"}
    assert reissue("pas une adresse") == {"v": 1, "type": "reissue_ack"}
    assert head() == before
    assert gateway.status(notify["first"]["id"], notify["fresh"]).status == 200


def test_the_fourth_within_the_hour_issues_nothing():
    receipt = notify["first"]
    before = head()
    # One was made already this hour (test_a_reissue_kills_the_old_token).
    for _ in range(2):
        assert reissue(CONTACT) == {"v": 1, "type": "reissue_ack"}
    events = intake_events(before, "token_reissued")
    assert len(events) == 2, events
    last = opened(events[-1])
    assert reissue(CONTACT) == {"v": 1, "type": "reissue_ack"}
    assert head() == before + 2
    assert gateway.status(receipt["id"], last).status == 200
    assert "nothing issued" in stack.log("intake")


def test_the_french_page_and_the_json_route():
    page = gateway.request("GET", "/suivi/lien-perdu")
    assert page.status == 200, page
    text = page.text()
    assert "J'ai perdu mon lien de suivi" in text and 'name="courriel"' in text
    assert 'method="post" action="/suivi/lien-perdu"' in text
    assert page.headers.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in page.headers.get("Content-Security-Policy", "")
    # The page the receipt's link opens, and the receipt, point to it.
    follow = gateway.request("GET", "/suivi/" + notify["first"]["id"])
    assert 'href="/suivi/lien-perdu"' in follow.text()
    # A second applicant, another address: the form issues a new link.
    document = harness.numbered_fixture(2)
    document["organisation"]["private_contact"]["email"] = "direction@scop-2.example"
    receipt = gateway.post_json("/api/v1/applications", document).json()
    before = head()
    body = urllib.parse.urlencode({"courriel": " Direction@SCOP-2.example"})
    sent = gateway.request("POST", "/suivi/lien-perdu", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status == 200 and SENT_FR in html.unescape(sent.text()), sent
    events = intake_events(before, "token_reissued")
    assert [e["id"] for e in events] == [receipt["id"]], events
    assert gateway.status(receipt["id"], receipt["token"]).status == 404
    assert gateway.status(receipt["id"], opened(events[0])).status == 200
    # Unknown: the same page, word for word.
    other = gateway.request("POST", "/suivi/lien-perdu", urllib.parse.urlencode({"courriel": "x@inconnu.example"}),
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert other.status == 200 and other.body == sent.body
    # The JSON route: 202 and the same sentence, whatever the address.
    known = gateway.post_json("/api/v1/token-reissue", {"contact": "direction@scop-2.example"})
    unknown = gateway.post_json("/api/v1/token-reissue", {"contact": "x@inconnu.example"})
    assert known.status == 202 and known.json() == {"message": SENT_FR}, known
    assert unknown.status == 202 and unknown.body == known.body
    assert len(intake_events(before, "token_reissued")) == 2
    # A GET on the JSON route, an empty form.
    assert gateway.request("GET", "/api/v1/token-reissue").status == 405
    empty = gateway.request("POST", "/suivi/lien-perdu", "courriel=",
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert empty.status == 400 and "Indiquez l&#39;adresse électronique" in empty.text(), empty
    # Four requests of this client address counted so far: two more, then 429.
    for _ in range(2):
        assert gateway.post_json("/api/v1/token-reissue", {"contact": "y@inconnu.example"}).status == 202
    limited = gateway.post_json("/api/v1/token-reissue", {"contact": "y@inconnu.example"})
    assert limited.status == 429 and limited.headers.get("Retry-After") == "3600", limited
    page = gateway.request("POST", "/suivi/lien-perdu", urllib.parse.urlencode({"courriel": "y@inconnu.example"}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status == 429 and "Trop de demandes" in page.text(), page


def lmdb_edit(*args):
    """lmdb_edit on intake's data, while intake is stopped."""
    result = subprocess.run([LMDB_EDIT, os.path.join(stack.home, "data", "intake")] + list(args),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_index_of_addresses_is_built_at_start():
    """A store from before the index (no index, no mark): intake indexes
    every application at its next start, and the lost link works for them."""
    assert stack.kill("intake", signal.SIGTERM) == 0
    try:
        # The index and the writes to it not yet in its tree (index_batch.h).
        for db in ("contacts", "index_log"):
            for line in lmdb_edit(db, "list").splitlines():
                lmdb_edit(db, "del", line.split()[0])
            assert lmdb_edit(db, "list") == ""
        lmdb_edit("meta", "del", b"contacts_indexed".hex())
    finally:
        stack.start("intake")
    assert "indexed the contact addresses of 2 applications" in stack.log("intake")
    before = head()
    # direction@scop-2.example asked twice this hour: a third may go.
    assert reissue("direction@scop-2.example") == {"v": 1, "type": "reissue_ack"}
    events = intake_events(before, "token_reissued")
    assert len(events) == 1 and gateway.status(events[0]["id"], opened(events[0])).status == 200, events


def test_members_emails_and_pending():
    stack.essp("member", "add", "Sophie Bernard", "--college", "ess_networks", "--email", "sophie.bernard@cress.example")
    updated = stack.essp_json("member", "update", "Claire Moreau", "--email", "claire.moreau@univ.example",
                              "--digest", "off")
    assert updated["email"] == "claire.moreau@univ.example" and updated["digest"] is False, updated
    bad = stack.essp("member", "update", "Claire Moreau", "--email", "claire", check=False)
    assert bad.returncode == 2, bad
    members = {m["name"]: m for m in stack.essp_lines("member", "list")}
    assert members["Hervé Le Guen"]["digest"] is True and "email" not in members["Hervé Le Guen"]
    # The first application reaches the committee: it waits for Claire and
    # Sophie (Hervé has no e-mail).
    stack.wait_state(notify["first"]["id"], "in_review")
    lines = stack.essp_lines("pending")
    waiting = {m["name"]: [f["id"] for f in m["files"]] for m in lines}
    assert notify["first"]["id"] in waiting.get("Claire Moreau", []), lines
    assert notify["first"]["id"] in waiting.get("Sophie Bernard", []), lines
    assert "Hervé Le Guen" not in waiting
    claire = [m for m in lines if m["name"] == "Claire Moreau"][0]
    assert claire["email"] == "claire.moreau@univ.example" and claire["digest"] is False
    item = [f for f in claire["files"] if f["id"] == notify["first"]["id"]][0]
    assert item["kind"] == "review" and item["round"] == 1 and item["queued_at"] > 0, item
    # A vote takes the file off the voter's list; a long wait keeps nothing.
    stack.essp("vote", notify["first"]["id"], "approve", "--as", "Claire Moreau")
    waiting = {m["name"]: [f["id"] for f in m["files"]] for m in stack.essp_lines("pending")}
    assert notify["first"]["id"] not in waiting.get("Claire Moreau", [])
    assert stack.essp_lines("pending", "--older-than", "86400") == []
    # notify asks with its own key; a member's key is refused.
    client = Client(stack.port, "review", keys=notify["keys"], server_key=stack.server_key("review"))
    reply = client.call("pending", since=0)
    assert reply["type"] == "pending" and any(m["name"] == "Sophie Bernard" for m in reply["members"]), reply
    refused = stack.review_as("Hervé Le Guen").call("pending")
    assert refused["type"] == "error" and refused["rule"] == "role", refused


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_the_submitted_token_is_sealed_for_notify, test_a_reissue_kills_the_old_token,
                     test_an_unknown_address_gets_the_same_reply, test_the_fourth_within_the_hour_issues_nothing,
                     test_the_french_page_and_the_json_route, test_the_index_of_addresses_is_built_at_start,
                     test_members_emails_and_pending])
    finally:
        stack.cleanup()
