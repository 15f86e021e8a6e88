"""Renewal from the web, on the real stack: the status page of a listing
that ends within 90 days (here its Qualiopi certificate ends in 60 days, and
the listing with it) offers « Renouveler votre inscription », the form
prefilled from the listing; sent as a browser sends it, it is a new
application that renews the listing, which stays published meanwhile. A
listing far from its end offers nothing of the kind."""

import datetime
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from form_fields import FormFields  # noqa: E402
from french_pages import assert_no_leaked_english  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000"})
gateway = Gateway(stack.port + 4)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
listings = {}


def status_page(receipt):
    response = gateway.request("POST", "/suivi/" + receipt["id"], urllib.parse.urlencode({"jeton": receipt["token"]}),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200, response
    return response.text()


def published(seed, qualiopi_end):
    document = harness.fixture("valid", "scic-ateliers-du-bocage-formation-cholet.json")
    document["organisation"]["siret"] = harness.make_siret(seed)
    document["organisation"]["qualiopi"]["expires"] = qualiopi_end.isoformat()
    response = gateway.post_json("/api/v1/applications", document)
    assert response.status == 201, response
    receipt = response.json()
    stack.wait_state(receipt["id"], "in_review")
    for name, _ in MEMBERS:
        stack.essp_json("vote", receipt["id"], "approve", "--as", name)
    stack.wait_state(receipt["id"], "published")
    return receipt


def test_listings_are_published():
    for name, college in MEMBERS:
        stack.essp("member", "add", name, "--college", college)
    today = datetime.date.today()
    listings["soon"] = published(9101, today + datetime.timedelta(days=60))
    listings["far"] = published(9102, today + datetime.timedelta(days=600))


def test_a_listing_far_from_its_end_offers_no_renewal():
    page = status_page(listings["far"])
    assert "Renouveler votre inscription" not in page and "_renews" not in page


def test_a_listing_ending_soon_is_renewed_from_its_page():
    old = listings["soon"]
    page = status_page(old)
    assert "Renouveler votre inscription" in page, page[:2000]
    assert_no_leaked_english(page, "status page offering a renewal")
    section = page[page.index('id="renouveler"'):]
    parser = FormFields()
    parser.feed(section)
    fields = dict(parser.fields)
    assert parser.action == "/candidature" and fields["_renews"] == old["id"], (parser.action, fields.get("_renews"))
    assert fields["organisation.name"] == "SCIC Les Ateliers du Bocage", fields.get("organisation.name")
    assert fields["organisation.siret"] == harness.make_siret(9101).replace(" ", ""), fields["organisation.siret"]
    body = urllib.parse.urlencode(parser.fields)
    response = gateway.request("POST", "/candidature", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 201, (response.status, re.findall(r'class="error"[^<]*<[^>]*>[^<]*', response.text()))
    new_id = re.search(r'<strong class="id">([0-9a-z]+)</strong>', response.text()).group(1)
    assert new_id != old["id"]
    assert stack.essp_json("status", new_id)["renews"] == old["id"]
    # The listing stays published until the renewal is decided.
    assert stack.essp_json("status", old["id"])["state"] == "published"
    # Sent again, the same form gives the same application (its idempotency key).
    again = gateway.request("POST", "/candidature", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 201 and new_id in again.text()


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_listings_are_published,
            test_a_listing_far_from_its_end_offers_no_renewal,
            test_a_listing_ending_soon_is_renewed_from_its_page,
        ])
    finally:
        stack.cleanup()
