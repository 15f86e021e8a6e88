"""Updating a published listing, on the real stack (intake, validation,
review, publication, and essp-mirror as a downstream site).  A change of
phone number is published at once as version 2, with no round and no
vote; a change of themes opens a round while the site still shows
version 1, and a rejection keeps version 1; an approval publishes the
update.  The status page offers « Mettre à jour ma fiche », prefilled,
and says what happens; the history names the fields changed.  An update
with someone else's token, or that fails the charter, or that changes
nothing, is refused with the field and the rule, and nothing moves."""

import copy
import json
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from form_fields import FormFields  # noqa: E402
import publishing  # noqa: E402
from french_pages import assert_no_leaked_english  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000"})
gateway = Gateway(stack.port + 4)
MEMBERS = publishing.MEMBERS
listings = {}
NEW_PHONE = "02 51 11 22 33"


def document(seed):
    doc = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    doc["organisation"]["siret"] = harness.make_siret(seed)
    doc["organisation"]["name"] = "Ancrage Conseil %d" % seed
    return doc


def publish(seed):
    doc = document(seed)
    response = gateway.post_json("/api/v1/applications", doc)
    assert response.status == 201, response
    receipt = response.json()
    stack.wait_state(receipt["id"], "in_review")
    for name, _ in MEMBERS:
        stack.essp_json("vote", receipt["id"], "approve", "--as", name)
    stack.wait_state(receipt["id"], "published")
    return {"id": receipt["id"], "token": receipt["token"], "doc": doc}


def put(listing, doc, token=None):
    return gateway.post_json("/api/v1/applications/" + listing["id"], doc, token=token or listing["token"],
                             method="PUT")


def entry(app_id):
    """The listing as publication serves it (essp directory), or None."""
    found = [e for e in stack.essp_lines("directory") if e["id"] == app_id]
    return found[0] if found else None


def wait_until(what, predicate, timeout=30.0):
    """Waits for the event that makes predicate true (a publication, a
    decision, a round), read through the services' own replies."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("never happened: " + what)
        time.sleep(0.05)


def site_entry(mirror, app_id):
    """What the downstream site shows of the listing, once caught up."""
    assert mirror.once(timeout=120) == 0, mirror.log()
    shown = [e for e in json.loads(mirror.read("annuaire.json")) if e["id"] == app_id]
    assert len(shown) == 1, shown
    return shown[0]


def queue_ids(member):
    return [item["id"] for item in stack.essp_lines("queue", "--as", member)]


def history(app_id):
    lines = [json.loads(line) for line in stack.essp("history", app_id).stdout.splitlines() if line]
    return lines[:-1]


def status_page(listing):
    response = gateway.request("POST", "/suivi/" + listing["id"], urllib.parse.urlencode({"jeton": listing["token"]}),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200, response
    return response.text()


def test_listings_are_published():
    publishing.add_members(stack)
    for name, seed in (("phone", 9301), ("themes", 9302), ("approved", 9303)):
        listings[name] = publish(seed)
    listings["mirror"] = publishing.Mirror(stack)
    for name in ("phone", "themes", "approved"):
        assert site_entry(listings["mirror"], listings[name]["id"])["version"] == 1


def test_a_phone_change_is_published_at_once_without_a_vote():
    listing = listings["phone"]
    doc = copy.deepcopy(listing["doc"])
    doc["organisation"]["public_contact"]["phone"] = NEW_PHONE
    response = put(listing, doc)
    assert response.status == 200, response
    receipt = response.json()
    assert receipt["changed"] == ["organisation.public_contact.phone"] and receipt["substantive"] is False, receipt
    assert receipt["state"] == "published" and receipt["revision"] == 2, receipt
    published = wait_until("version 2 published", lambda: (entry(listing["id"]) or {}).get("version") == 2
                           and entry(listing["id"]))
    assert published["organisation"]["public_contact"]["phone"] == NEW_PHONE, published
    shown = site_entry(listings["mirror"], listing["id"])
    assert shown["version"] == 2 and shown["organisation"]["public_contact"]["phone"] == NEW_PHONE, shown
    assert NEW_PHONE in listings["mirror"].read("accompagnateurs/%s.html" % listing["id"])
    # Nobody was asked to vote: no round, no queue item, a decision with no voters.
    status = stack.essp_json("status", listing["id"])
    assert status["state"] == "published" and status["revision"] == 2, status
    last = status["decisions"][-1]
    assert last["revision"] == 2 and last["decision"] == "approve" and last["voters"] == [], last
    assert [d["round"] for d in status["decisions"]] == [1, 1], status["decisions"]
    for name, _ in MEMBERS:
        assert listing["id"] not in queue_ids(name)
    # The listing keeps its term and its date of approval.
    assert published["listed_until"] == shown["listed_until"]
    assert published["approved_at"] == status["decisions"][0]["at"], (published, status["decisions"])
    listing["doc"] = doc


def test_a_themes_change_goes_to_the_committee_while_version_1_stays():
    listing = listings["themes"]
    doc = copy.deepcopy(listing["doc"])
    doc["offer"]["themes"] = ["csr_iso26000", "diversity_equality"]
    response = put(listing, doc)
    assert response.status == 200, response
    receipt = response.json()
    assert receipt["changed"] == ["offer.themes"] and receipt["substantive"] is True, receipt
    wait_until("the round in the members' queues", lambda: listing["id"] in queue_ids(MEMBERS[0][0]))
    shown = site_entry(listings["mirror"], listing["id"])
    assert shown["version"] == 1 and shown["offer"]["themes"] == listing["doc"]["offer"]["themes"], shown
    assert stack.essp_json("status", listing["id"])["state"] == "published"
    page = status_page(listing)
    assert "examine" in page and "reste en ligne telle qu'elle est publiée" in page, page[:3000]
    assert 'data-outcome="committee"' in page and 'data-field="offer.themes"' in page


def test_a_rejection_keeps_version_1():
    listing = listings["themes"]
    for name, _ in MEMBERS:
        stack.essp_json("vote", listing["id"], "reject", "--as", name, "--motivation",
                        "Les nouveaux thèmes ne sont appuyés par aucune référence.")
    status = wait_until("the rejection reaches intake", lambda: [
        s for s in [stack.essp_json("status", listing["id"])] if s["decisions"][-1]["decision"] == "reject"])[0]
    assert status["state"] == "published" and status["decisions"][-1]["revision"] == 2, status
    shown = site_entry(listings["mirror"], listing["id"])
    assert shown["version"] == 1 and shown["offer"]["themes"] == listing["doc"]["offer"]["themes"], shown
    assert entry(listing["id"])["version"] == 1
    page = status_page(listing)
    assert 'data-outcome="rejected"' in page and "n'a pas été retenue" in page
    assert "Les nouveaux thèmes ne sont appuyés par aucune référence." in page
    assert_no_leaked_english(page, "status page of a rejected update")
    # The next update is compared with the listing, not with the refused one:
    # a phone change alone is minor and published at once, themes as listed.
    doc = copy.deepcopy(listing["doc"])
    doc["organisation"]["public_contact"]["phone"] = NEW_PHONE
    receipt = put(listing, doc).json()
    assert receipt["revision"] == 3 and receipt["changed"] == ["organisation.public_contact.phone"], receipt
    assert receipt["substantive"] is False, receipt
    published = wait_until("version 2 published", lambda: (entry(listing["id"]) or {}).get("version") == 2
                           and entry(listing["id"]))
    assert published["offer"]["themes"] == listing["doc"]["offer"]["themes"], published
    assert published["organisation"]["public_contact"]["phone"] == NEW_PHONE


def test_an_approved_update_is_the_next_version():
    listing = listings["approved"]
    doc = copy.deepcopy(listing["doc"])
    doc["offer"]["themes"] = ["csr_iso26000", "diversity_equality"]
    path = harness.write_json(stack.home, "update-approved.json", doc)
    receipt = stack.essp_json("amend", listing["id"], path, "--token", listing["token"])
    assert receipt["changed"] == ["offer.themes"] and receipt["substantive"] is True, receipt
    wait_until("the round in the members' queues", lambda: listing["id"] in queue_ids(MEMBERS[1][0]))
    for name, _ in MEMBERS:
        stack.essp_json("vote", listing["id"], "approve", "--as", name)
    published = wait_until("version 2 published", lambda: (entry(listing["id"]) or {}).get("version") == 2
                           and entry(listing["id"]))
    assert published["offer"]["themes"] == ["csr_iso26000", "diversity_equality"], published
    shown = site_entry(listings["mirror"], listing["id"])
    assert shown["version"] == 2 and shown["offer"]["themes"] == ["csr_iso26000", "diversity_equality"], shown


def test_the_history_names_the_fields_changed():
    records = history(listings["phone"]["id"])
    updated = [r for r in records if r["what"] == "updated"]
    assert len(updated) == 1, records
    assert updated[0]["who"] == "applicant" and updated[0]["state"] == "published", updated
    assert updated[0]["why"] == "revision 2; changed: organisation.public_contact.phone; minor", updated
    decided = [r for r in records if r["what"] == "decided"]
    assert "minor update of the listing, no vote" in decided[-1]["why"] and decided[-1]["who"] == "review", decided
    assert any(r["what"] == "published" and r["why"].endswith("version 2") for r in records), records
    records = history(listings["themes"]["id"])
    whys = [r["why"] for r in records if r["what"] == "updated"]
    assert whys == ["revision 2; changed: offer.themes; substantive",
                    "revision 3; changed: organisation.public_contact.phone; minor"], whys
    assert any(r["what"] == "queued" and r["why"] == "round 2 opens" for r in records), records
    assert any(r["what"] == "decided" and r["why"].startswith("round 2: reject") for r in records), records


def test_bad_updates_are_refused_and_nothing_moves():
    listing, other = listings["approved"], listings["phone"]
    before = stack.essp_json("status", listing["id"])
    doc = copy.deepcopy(other["doc"])
    doc["organisation"]["public_contact"]["phone"] = "02 99 99 99 99"
    # Someone else's listing, or a wrong token: as for an unknown id.
    response = put(other, doc, token=listing["token"])
    assert response.status == 404, response
    body = response.json()
    assert body["field"] == "id" and body["rule"] == "exists", body
    path = harness.write_json(stack.home, "update-stranger.json", doc)
    result = stack.essp("amend", other["id"], path, "--token", listing["token"], check=False)
    assert result.returncode != 0 and "exists" in result.stderr, (result.returncode, result.stderr)
    # An update that fails the charter: refused, naming the field and the criterion.
    doc = copy.deepcopy(listing["doc"])
    doc["offer"]["themes"] = ["csr_iso26000", "diversity_equality"]
    doc["commitments"]["confidentiality"] = False
    response = put(listing, doc)
    assert response.status == 400, response
    body = response.json()
    assert body["field"] == "commitments.confidentiality" and body["rule"] == "CLI-CONFID", body
    assert "fails the charter" in body["error"] and "the listing stays as it is" in body["error"], body
    # An update that changes nothing.
    same = copy.deepcopy(listing["doc"])
    same["offer"]["themes"] = ["csr_iso26000", "diversity_equality"]
    response = put(listing, same)
    assert response.status == 400 and response.json()["rule"] == "unchanged", response
    after = stack.essp_json("status", listing["id"])
    assert after["revision"] == before["revision"] and after["state"] == "published", after
    assert entry(listing["id"])["version"] == 2


def test_the_status_page_updates_the_listing():
    listing = listings["phone"]
    page = status_page(listing)
    assert "Mettre à jour ma fiche" in page, page[:2000]
    assert "sans examen par le comité" in page and "le Comité scientifique et éthique examine" in page
    assert 'data-outcome="published"' in page
    assert_no_leaked_english(page, "status page of a published listing")
    section = page[page.index('id="mettre-a-jour"'):]
    parser = FormFields()
    parser.feed(section)
    fields = dict(parser.fields)
    assert parser.action == "/suivi/%s/modifier" % listing["id"], parser.action
    assert fields["organisation.public_contact.phone"] == NEW_PHONE, fields.get("organisation.public_contact.phone")
    # A commitment unticked: the charter refuses it, in French, next to the field.
    unticked = [(k, v) for k, v in parser.fields if k != "commitments.confidentiality"]
    refused = gateway.request("POST", parser.action, urllib.parse.urlencode(unticked),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status == 400, refused
    assert "ne respecte pas la charte (CLI-CONFID)" in refused.text(), refused.text()[:3000]
    # The website changed from the page: minor, published at once.
    changed = [(k, "https://ancrage-nouveau.example" if k == "organisation.website" else v) for k, v in parser.fields]
    response = gateway.request("POST", parser.action, urllib.parse.urlencode(changed),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200, response
    text = response.text()
    assert "Mise à jour reçue" in text and "sans examen par le comité" in text, text[:2000]
    assert_no_leaked_english(text, "receipt of an update")
    assert dict(changed).get("_key"), "the update form carries no idempotency key"
    # The same form sent again (a double click, Back and send): the first
    # answer again, and still one revision, one update, one event.
    again = gateway.request("POST", parser.action, urllib.parse.urlencode(changed),
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 200 and again.text() == text, (again, again.text()[:2000])
    assert stack.essp_json("status", listing["id"])["revision"] == 3
    whys = [r["why"] for r in history(listing["id"]) if r["what"] == "updated"]
    assert whys == ["revision 2; changed: organisation.public_contact.phone; minor",
                    "revision 3; changed: organisation.website; minor"], whys
    # The same form with other answers: refused in French, nothing stored.
    other = [(k, "https://ancrage-autre.example" if k == "organisation.website" else v) for k, v in parser.fields]
    refused = gateway.request("POST", parser.action, urllib.parse.urlencode(other),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status == 409 and "Formulaire déjà envoyé" in refused.text(), (refused, refused.text()[:2000])
    assert stack.essp_json("status", listing["id"])["revision"] == 3
    published = wait_until("version 3 published", lambda: (entry(listing["id"]) or {}).get("version") == 3
                           and entry(listing["id"]))
    assert published["organisation"]["website"] == "https://ancrage-nouveau.example", published
    assert published["organisation"]["public_contact"]["phone"] == NEW_PHONE


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_listings_are_published,
            test_a_phone_change_is_published_at_once_without_a_vote,
            test_a_themes_change_goes_to_the_committee_while_version_1_stays,
            test_a_rejection_keeps_version_1,
            test_an_approved_update_is_the_next_version,
            test_the_history_names_the_fields_changed,
            test_bad_updates_are_refused_and_nothing_moves,
            test_the_status_page_updates_the_listing,
        ])
    finally:
        stack.cleanup()
