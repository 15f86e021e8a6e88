"""Several advisors under one SIRET, on the real stack: in a cooperative
every advisor applies under the structure's SIRET with their own name; one
application is open per structure and advisor (the name folded), a refusal
tells nothing of the other application, a renewal keeps its advisor, and the
directory shows the advisor's name."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
from essp_client import pull_all  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
gateway = Gateway(stack.port + 4)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
SIRET = harness.make_siret(8101)
state = {}


def application(advisor=None):
    document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    document["organisation"]["siret"] = SIRET
    if advisor is not None:
        document["advisor"] = advisor
    return document


def submit(document, renews=None):
    return gateway.post_json("/api/v1/applications" + ("?renews=" + renews if renews else ""), document)


def expect_error(response, status, rule, field):
    assert response.status == status, response
    body = response.json()
    assert body["rule"] == rule and body["field"] == field, body
    return body


def test_two_advisors_of_one_structure_both_apply():
    marie = submit(application("Marie Dupont"))
    karim = submit(application("Karim Benali"))
    assert marie.status == 201 and karim.status == 201, (marie, karim)
    state["marie"], state["karim"] = marie.json(), karim.json()
    assert state["marie"]["id"] != state["karim"]["id"]
    # The structure's own listing, with no advisor named, is a third one.
    own = submit(application())
    assert own.status == 201, own
    state["own"] = own.json()


def test_the_same_advisor_twice_is_refused_and_nothing_leaks():
    again = submit(application("  MARIE   dupont "))
    body = expect_error(again, 409, "unique", "advisor")
    text = json.dumps(body, ensure_ascii=False)
    for secret in (state["marie"]["id"], state["marie"]["token"], "received", "validated", "in_review"):
        assert secret not in text, body
    assert "give their name in advisor" in body["error"], body
    body = expect_error(submit(application()), 409, "unique", "organisation.siret")
    assert state["own"]["id"] not in json.dumps(body), body
    # Nothing was stored for the refused ones.
    submitted = [e for e in pull_all(stack.port, "intake") if e["type"] == "submitted"]
    assert len(submitted) == 3, submitted


def test_the_advisor_is_published_and_a_renewal_keeps_it():
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)
    marie = state["marie"]["id"]
    stack.wait_state(marie, "in_review")
    for name, _ in MEMBERS:
        stack.essp_json("vote", marie, "approve", "--as", name)
    stack.wait_state(marie, "published")
    entries = stack.essp_lines("directory")
    mine = [e for e in entries if e["id"] == marie]
    assert mine and mine[0]["advisor"] == "Marie Dupont", entries
    # The reference site shows the advisor first, then the structure they work in.
    mirror = publishing.Mirror(stack)
    assert mirror.once(timeout=120) == 0, mirror.log()
    page = mirror.read("accompagnateurs/%s.html" % marie)
    assert "<h1>Marie Dupont</h1>" in page and '<p class="sous-titre">Ancrage Conseil SCOP · ' in page, page[:3000]
    assert '"Marie Dupont — Ancrage Conseil SCOP"' in mirror.read("annuaire.js")
    # Its declared networks are published under their usual names, and searched by any of them.
    assert "<dt>Réseaux</dt><dd>URSCOP Ouest ; CRESS Pays de la Loire</dd>" in page, page[:3000]
    assert [e["id"] for e in stack.essp_lines("directory", "--q", "urscop nantes")] == [marie]
    # Another advisor cannot renew Marie's listing; Marie can.
    expect_error(submit(application("Karim Benali"), renews=marie), 400, "same_siret", "renews")
    renewal = submit(application("marie dupont"), renews=marie)
    assert renewal.status == 201, renewal


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_two_advisors_of_one_structure_both_apply,
            test_the_same_advisor_twice_is_refused_and_nothing_leaks,
            test_the_advisor_is_published_and_a_renewal_keeps_it,
        ])
    finally:
        stack.cleanup()
