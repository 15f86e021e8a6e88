"""The desk in a real browser: headless Chromium (Debian's package) driven
over the DevTools protocol (tests/browser/cdp.py), against the four
services and essp-desk.  A staff person accepts their invitation, enrols
their second factor and invites a member from « Personnes »; the member
sets a password, logs in, sees a new file appear in « Mes dossiers »
without reloading, reads it and votes with a motivation using the keyboard
alone; two more members vote and the file is published.  The pages are
looked at 1280 px and 390 px wide.

Screenshots are written to $ESSP_SCREENSHOTS when it is set (else a
temporary folder)."""

import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import cdp  # noqa: E402
import desk_web  # noqa: E402
import harness  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
SHOTS = os.environ.get("ESSP_SCREENSHOTS") or tempfile.mkdtemp(prefix="essp-desk-shots-")
os.makedirs(SHOTS, exist_ok=True)
stack = harness.Stack(BIN)
BASE = None
browsers = []
state = {}


def shoot(page, name, width):
    """The page at this width, whole (at most 3000 pixels high)."""
    page.set_viewport(width, 900, mobile=width < 600, scale=1)
    height = page.eval("document.documentElement.scrollHeight")
    page.screenshot(os.path.join(SHOTS, "%s-%d.png" % (name, width)), clip=(0, 0, width, min(height, 3000)))
    assert page.eval("document.documentElement.scrollWidth") <= width, "%s is wider than %d px" % (name, width)


def shoot_from(page, name, width, selector):
    """The page at this width from an element down (at most 1600 pixels)."""
    page.set_viewport(width, 900, mobile=width < 600, scale=1)
    top = max(0, int(page.eval("document.querySelector(%s).getBoundingClientRect().top + window.scrollY"
                               % json.dumps(selector))) - 20)
    height = page.eval("document.documentElement.scrollHeight") - top
    page.screenshot(os.path.join(SHOTS, "%s-%d.png" % (name, width)), clip=(0, top, width, min(height, 1600)))


def text(page):
    return page.eval("document.body.innerText")


def fill(page, values):
    page.eval("(function (v) { for (const [k, x] of Object.entries(v)) { const e = document.getElementsByName(k)[0];"
              " if (!e) throw new Error('no ' + k); e.value = x; } return true; })(%s)" % json.dumps(values))


def new_page():
    browser = cdp.Browser()
    browsers.append(browser)
    return browser.page()


def setup():
    global BASE
    stack.start()
    BASE = "http://127.0.0.1:%d" % desk_web.start_desk(stack)


def test_staff_invites_a_member_from_the_people_page():
    page = new_page()
    state["staff"] = page
    page.set_viewport(1280, 900)
    link = desk_web.invite(stack, "equipe@cress-pdl.example", "Équipe CRESS", base=BASE)
    page.goto(link)
    fill(page, {"password": desk_web.PASSWORD, "confirm": desk_web.PASSWORD})
    page.navigating("document.querySelector('form button[type=submit]').click()")
    # The second factor: the key the page shows, the code an app would give.
    secret = page.eval("document.querySelector('code.secret').textContent").replace(" ", "")
    key = __import__("base64").b32decode(secret + "=" * (-len(secret) % 8))
    fill(page, {"code": desk_web.totp(key)})
    page.navigating("document.querySelector('form[action=\"/double-facteur\"] button').click()")
    page.goto(BASE + "/admin/personnes")
    assert "Ajouter une personne" in text(page)
    # The college is chosen from a list, never typed.
    assert page.eval("document.getElementById('college').tagName") == "SELECT"
    fill(page, {"nom": "Claire Moreau", "courriel": "claire@comite.example", "college": "researchers",
                "ties": "", "networks": "Réseau des chercheurs en ESS"})
    page.navigating("document.querySelector('form.add-person button[type=submit]').click()")
    body = text(page)
    assert "Claire Moreau est ajouté·e au comité" in body, body
    assert "Chercheurs et chercheuses" in body
    state["link"] = page.eval("document.getElementById('lien-invitation').textContent")
    shoot(page, "personnes", 1280)
    shoot(page, "personnes", 390)


def test_the_member_sets_a_password_and_sees_a_new_file_appear():
    page = new_page()
    state["member"] = page
    page.set_viewport(1280, 900)
    page.goto(state["link"])
    assert "mot de passe" in text(page).lower()
    fill(page, {"password": desk_web.PASSWORD, "confirm": desk_web.PASSWORD})
    page.navigating("document.querySelector('form button[type=submit]').click()")
    assert "Aucun dossier n'attend votre vote" in text(page), text(page)
    # Logged out, then in again with the password just chosen.
    page.navigating("document.querySelector('form.logout button').click()")
    page.goto(BASE + "/connexion")
    fill(page, {"email": "claire@comite.example", "password": desk_web.PASSWORD})
    page.navigating("document.querySelector('form[action=\"/connexion\"] button').click()")
    assert "Mes dossiers" in text(page)
    # A file is queued while the page is open: it appears with no reload.
    page.eval("window.stillHere = true")
    document = harness.numbered_fixture(1)
    receipt = Client(stack.port, "intake").call("submit", application=document)
    state["id"], state["name"] = receipt["id"], document["organisation"]["name"]
    page.wait_for("document.body.innerText.includes(%s)" % json.dumps(state["name"]), timeout=20)
    assert page.eval("window.stillHere === true"), "the page was not reloaded"
    assert "1 dossier attend votre vote" in text(page)
    shoot(page, "mes-dossiers", 1280)
    shoot(page, "mes-dossiers", 390)


def test_the_member_reads_the_file_and_votes_with_the_keyboard():
    page = state["member"]
    page.set_viewport(1280, 900)
    page.navigating("document.querySelector('a[href=\"/comite/dossier/%s\"]').click()" % state["id"])
    headings = page.eval("[...document.querySelectorAll('section.article h3')].map(h => h.textContent)")
    assert [h[:9] for h in headings] == ["La struct", "Article 1", "Article 2", "Article 3", "Article 4"], headings
    body = text(page)
    assert "Mutuelle" in body and "ESS-FORM" in body and "Conforme" in body
    shoot(page, "dossier", 1280)
    shoot(page, "dossier", 390)
    shoot_from(page, "dossier-vote", 1280, "#tours")
    shoot_from(page, "dossier-vote", 390, "#tours")
    page.set_viewport(390, 844, mobile=True)
    # The keyboard alone: Tab to the motivation, type it, Tab to « Approuver », Enter.
    page.eval("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(300):
        page.tab()
        if page.eval("document.activeElement.id") == "motivation":
            break
    assert page.eval("document.activeElement.id") == "motivation", "the motivation box is reached with Tab"
    page.type("Références ESS solides et vérifiables.")
    page.tab()
    assert page.eval("document.activeElement.value") == "approve"
    page.events.clear()
    page.enter()
    page.wait_event("Page.loadEventFired")
    body = text(page)
    assert "Votre vote « Approuver »" in body and "1 vote dans le tour 1" in body, body
    shoot(page, "vote", 390)
    shoot(page, "vote", 1280)


def test_two_more_members_vote_and_the_file_is_published():
    staff = desk_web.staff_person(stack, "seconde@cress-pdl.example", "Seconde Équipe")
    votes = []
    for name, email, college in (("Hervé Le Guen", "herve@comite.example", "ess_networks"),
                                 ("Sophie Bernard", "sophie@comite.example", "local_authorities")):
        person = desk_web.member_person(stack, staff, name, email, college)
        person.get("/comite/dossier/" + state["id"])
        votes.append(person.post("/comite/vote", {"id": state["id"], "decision": "approve", "motivation": ""}))
    assert "Votre vote a décidé le tour : <strong>Candidature approuvée</strong>" in votes[-1].text, votes[-1]
    stack.wait_state(state["id"], "published")
    page = state["staff"]
    page.goto(BASE + "/admin/dossier/" + state["id"])
    body = text(page)
    assert "Publiée" in body and "La chaîne de l'historique est intacte" in body, body
    shoot(page, "dossier-equipe", 1280)
    shoot(page, "dossier-equipe", 390)
    page.goto(BASE + "/admin/candidatures")
    shoot(page, "candidatures", 1280)
    shoot(page, "candidatures", 390)


try:
    setup()
    harness.run([
        test_staff_invites_a_member_from_the_people_page,
        test_the_member_sets_a_password_and_sees_a_new_file_appear,
        test_the_member_reads_the_file_and_votes_with_the_keyboard,
        test_two_more_members_vote_and_the_file_is_published,
    ])
finally:
    for b in browsers:
        b.close()
    stack.cleanup()
    print("screenshots in", SHOTS)
