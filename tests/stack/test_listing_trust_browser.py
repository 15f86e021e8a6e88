"""The page of a listing in a real browser (Debian's chromium, headless),
opened from the directory's search as a visitor would (its card there
says since when it is listed): what makes the listing trustworthy is
rendered and readable, on a desktop screen and on
a phone's — since and until when it is listed, the training the charter
asks for, each reference (client, kind, year, the parts of the approach),
the départements, themes and specific actions — in French, and nothing of
the private fields.  Screenshots in $ESSP_SCREENSHOTS when it is set, else
in the build directory's screenshots/trust."""

import datetime
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import cdp  # noqa: E402
import harness  # noqa: E402
import publishing  # noqa: E402
from french_pages import assert_no_leaked_english  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-trust-browser-")
shots = os.environ.get("ESSP_SCREENSHOTS") or os.path.join(os.path.dirname(BIN), "screenshots", "trust")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
NAME = "Ancrage Conseil SCOP"
SECRETS = ("Zq6canary Trainee", "zq6canary-summary", "Zq6canary Contact", "824 517 396")
SOON = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=30)
state = {}
browser = None
page = None


def french(day):
    return "%s %s %d" % ("1er" if day.day == 1 else day.day, MONTHS[day.month - 1], day.year)


def setup():
    global browser, page
    os.makedirs(shots, exist_ok=True)
    stack.start()
    publishing.add_members(stack)
    publisher = publishing.Publisher(stack, work)
    document = publisher.document(name=NAME, departments=["44", "49"], scope=["specific"],
                                  themes=["democratic_governance", "ethics_deontology"])
    document["organisation"]["private_contact"]["name"] = SECRETS[2]
    document["trained_people"] = [{"name": SECRETS[0], "session_date": "2025-11-04"},
                                  {"name": SECRETS[0] + " bis", "session_date": SOON.isoformat()}]
    for reference in document["references"]:
        reference["summary"] = SECRETS[1] + " " + reference["summary"]
    document["references"][1]["client_siren"] = SECRETS[3]
    state["id"] = publisher.publish(document)
    # A second listing, so that the search has something to leave out.
    publisher.publish(publisher.document("mutuelle-entraide-vendee.json"))
    entry = next(e for e in stack.essp_lines("directory") if e["id"] == state["id"])
    state["since"] = datetime.date.fromisoformat(entry["listed_since"])
    state["until"] = datetime.date.fromisoformat(entry["listed_until"])
    mirror = publishing.Mirror(stack)
    assert mirror.once() == 0, mirror.log()
    state["index"] = "file://" + os.path.join(mirror.out, "index.html")
    state["html"] = mirror.read("accompagnateurs/%s.html" % state["id"])
    browser = cdp.Browser(window_size=(1200, 900))
    page = browser.page()


def section_text(heading_id):
    """What a reader sees of the section headed by h2#heading_id."""
    return page.eval("document.getElementById('%s').closest('section').innerText" % heading_id)


def visible(selector):
    """Whether every element matching selector is laid out, on screen width."""
    return page.eval("[...document.querySelectorAll('%s')].every(e => { const r = e.getBoundingClientRect();"
                     " return r.width > 0 && r.height > 0 && r.right <= document.documentElement.clientWidth"
                     " && getComputedStyle(e).visibility === 'visible'; })" % selector)


def open_from_the_search():
    page.goto(state["index"])
    page.eval("document.getElementById('q').focus()")
    page.type("ancrage")
    page.wait_for("document.querySelectorAll('#resultats h3').length === 1")
    # The card says since when the listing has been in the directory.
    assert page.eval("document.querySelector('#resultats .depuis').textContent") \
        == "Dans l’annuaire depuis %d." % state["since"].year
    page.events.clear()
    page.eval("document.querySelector('#resultats a').click()")
    page.wait_event("Page.loadEventFired")
    assert page.eval("location.pathname").endswith("/accompagnateurs/%s.html" % state["id"])


def test_the_page_says_since_and_until_when_and_the_training():
    open_from_the_search()
    headings = page.eval("[...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert headings[:3] == ["Son offre", "Son inscription à l’annuaire", "Ses références"], headings
    listing = section_text("inscription")
    assert "Dans l’annuaire depuis le %s." % french(state["since"]) in listing, listing
    assert "L’inscription prend fin le %s, sauf renouvellement." % french(state["until"]) in listing, listing
    assert ("Formation exigée par la charte (partie privée d’ESS Pratiques) : suivie le 4 novembre 2025 ; "
            "une autre session est prévue le %s." % french(SOON)) in listing, listing
    assert "Fiche approuvée par le Comité scientifique et éthique le %s." % french(state["since"]) in listing
    dates = page.eval("[...document.querySelectorAll('.inscription li time')].map(t => t.getAttribute('datetime'))")
    assert dates == [state["since"].isoformat(), state["until"].isoformat(), "2025-11-04", SOON.isoformat()], dates
    assert visible(".inscription li")
    page.screenshot(os.path.join(shots, "fiche-confiance.png"), unclipped=True)


def test_the_references_are_listed_with_their_structures_and_years():
    open_from_the_search()
    items = page.eval("[...document.querySelectorAll('.references li')].map(li => li.innerText)")
    assert items == [
        "Régie de quartier de Nantes Nord\nAccompagnement en 2023, auprès d’une organisation de l’économie "
        "sociale et solidaire.\nVolets de la démarche d’amélioration continue : Guide des bonnes pratiques, "
        "Démarche globale.",
        "SCIC Énergies Citoyennes en Pays de Retz\nAccompagnement en 2025, auprès d’une organisation de "
        "l’économie sociale et solidaire.\nVolets de la démarche d’amélioration continue : RSE.",
        "Commune de Rezé\nAccompagnement en 2021.",
    ], items
    weight = page.eval("getComputedStyle(document.querySelector('.references .client')).fontWeight")
    assert int(weight) >= 600, weight
    assert visible(".references li")


def test_departements_themes_and_specific_actions():
    open_from_the_search()
    facts = page.eval("Object.fromEntries([...document.querySelectorAll('dt')]"
                      ".map(dt => [dt.textContent, dt.nextElementSibling.innerText]))")
    assert facts["Périmètre"] == "Actions spécifiques du plan d’actions", facts
    assert facts["Départements d’intervention"].split("\n") == ["Loire-Atlantique (44)", "Maine-et-Loire (49)"], facts
    assert facts["Thèmes du Guide des bonnes pratiques"].split("\n") == ["Gouvernance démocratique",
                                                                         "Éthique et déontologie"], facts


def test_french_only_and_nothing_private():
    open_from_the_search()
    shown = page.eval("document.body.innerText")
    for secret in SECRETS:
        assert secret not in shown and secret not in state["html"], secret
    assert_no_leaked_english(state["html"], "the page of a listing")
    assert page.eval("document.documentElement.lang") == "fr"


def test_a_phone_reads_it_without_scrolling_sideways():
    page.phone()
    try:
        open_from_the_search()
        assert page.eval("document.documentElement.scrollWidth") <= 375
        assert visible(".inscription li") and visible(".references li")
        size = page.eval("parseFloat(getComputedStyle(document.querySelector('.references li')).fontSize)")
        assert size >= 14, size
        # A date stays on one line: « 6 décembre » and « 2026 » are not split.
        split = page.eval("[...document.querySelectorAll('.fiche time')].filter(t => t.getClientRects().length > 1)"
                          ".map(t => t.textContent)")
        assert split == [], split
        page.screenshot(os.path.join(shots, "fiche-confiance-telephone.png"), unclipped=True)
    finally:
        page.call("Emulation.clearDeviceMetricsOverride")


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_the_page_says_since_and_until_when_and_the_training,
            test_the_references_are_listed_with_their_structures_and_years,
            test_departements_themes_and_specific_actions,
            test_french_only_and_nothing_private,
            test_a_phone_reads_it_without_scrolling_sideways,
        ])
    finally:
        if browser:
            browser.close()
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
