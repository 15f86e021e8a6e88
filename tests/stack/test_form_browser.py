"""The applicant's pages in a real browser: headless Chromium (Debian's
package) driven over the DevTools protocol (tests/browser/cdp.py), against
the four real services.  An applicant fills the form, sees the errors next
to the fields, adds a reference row, submits, lands on the receipt, follows
the link to the status page and sees the report criterion by criterion; an
incomplete application is amended from its status page; and the same
pages work with JavaScript disabled.

Screenshots of the form and of the status page are written to
$ESSP_SCREENSHOTS when it is set."""

import json
import os
import re
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import cdp  # noqa: E402
import harness  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000"})
gateway = Gateway(stack.port + 4)
BASE = gateway.base
SHOTS = os.environ.get("ESSP_SCREENSHOTS") or tempfile.mkdtemp(prefix="essp-shots-")
browser = None
counter = [500]

FILL = r"""
(function (values) {
  for (const [name, value] of Object.entries(values)) {
    const elements = document.getElementsByName(name);
    if (!elements.length) throw new Error("no input named " + name);
    for (const el of elements) {
      if (el.type === "checkbox") el.checked = Array.isArray(value) ? value.includes(el.value) : !!value;
      else el.value = value;
      el.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }
  return true;
})(%s)
"""


def form_values(siret, name):
    """The mutuelle fixture, as the applicant types it in the form."""
    return {
        "organisation.siret": siret,
        "organisation.legal_form": "mutual",
        "organisation.created": "1998-06-01",
        "organisation.address.street": "3 place Napoléon",
        "organisation.address.postcode": "85000",
        "organisation.address.city": "La Roche-sur-Yon",
        "organisation.public_contact.email": "conseil-ess@mep-vendee.example",
        "organisation.public_contact.phone": "02 51 37 64 20",
        "organisation.private_contact.name": "Jean-Loïc Brochard",
        "organisation.private_contact.email": "jl.brochard@mep-vendee.example",
        "principles.purpose": "Mutuelle sans but lucratif ; notre service « Conseil ESS » aide les associations.",
        "principles.governance": "Les adhérents élisent leurs délégués ; chaque délégué dispose d'une voix.",
        "principles.surplus": "Les excédents sont affectés aux fonds propres et à l'action sociale.",
        "offer.scope": ["specific"],
        "offer.formats": ["support"],
        "offer.themes": ["wage_policy_social_exemplarity", "csr_iso26000"],
        "offer.departments": "85, 44",
        "references[0].client": "ADMR Canton de Chantonnay",
        "references[0].client_is_ess": True,
        "references[0].year": "2025",
        "references[0].kind": "support",
        "references[0].ci_topics": ["rse"],
        "references[0].summary": "Démarche RSE centrée sur la santé et la sécurité des aides à domicile.",
        "references[3].client": "Association Vendée Insertion Emploi",
        "references[3].client_is_ess": True,
        "references[3].year": "2022",
        "references[3].kind": "support",
        "references[3].summary": "Accompagnement à la prévention des risques psychosociaux.",
        "commitments.contract_before_action": True,
        "commitments.within_competence": True,
        "commitments.confidentiality": True,
        "commitments.non_discrimination": True,
        "commitments.conflict_disclosure": True,
        "commitments.tax_compliance": True,
        "commitments.regulatory_watch": True,
        "commitments.intellectual_property": True,
        "commitments.fair_competition": True,
        "commitments.charter_on_request": True,
    }


def next_siret():
    counter[0] += 1
    siret = harness.make_siret(counter[0])
    return "%s %s %s %s" % (siret[:3], siret[3:6], siret[6:9], siret[9:])


def shoot(page, name, width, from_selector=None):
    """A screenshot of the page, from its top or from an element, at most
    2400 pixels high."""
    top = 0
    if from_selector:
        top = max(0, int(page.eval("document.querySelector(%s).getBoundingClientRect().top + window.scrollY"
                                   % json.dumps(from_selector))) - 40)
    height = page.eval("document.documentElement.scrollHeight") - top
    page.screenshot(os.path.join(SHOTS, name + ".png"), clip=(0, top, width, min(height, 2400)))


def text_of(page, selector):
    return page.eval("(document.querySelector(%s) || {}).textContent || ''" % json.dumps(selector))


def error_of(page, name):
    return text_of(page, "[id=%s]" % json.dumps("e-" + name))


def setup():
    global browser
    stack.start()
    browser = cdp.Browser()


def test_form_has_every_field_labelled_and_grouped_by_article():
    page = browser.page()
    page.set_viewport(390, 844, mobile=True)
    page.goto(BASE + "/")
    assert page.eval("document.documentElement.lang") == "fr"
    headings = page.eval("[...document.querySelectorAll('section.group > h2')].map(h => h.textContent)")
    assert headings[0] == "Votre structure" and [h[:9] for h in headings[1:]] == [
        "Article 1", "Article 2", "Article 3", "Article 4"], headings
    unlabelled = page.eval("[...document.querySelectorAll('form.application input:not([type=hidden]),"
                           " form.application select, form.application textarea')]"
                           ".filter(el => !el.labels || el.labels.length === 0).map(el => el.name)")
    assert unlabelled == [], unlabelled
    names = set(page.eval("[...document.querySelectorAll('form.application [name]')].map(el => el.name)"))
    for expected in ("organisation.esus.granted", "organisation.qualiopi.expires", "ties.networks",
                     "trained_people[1].session_date", "references[2].ci_topics", "offer.private_area",
                     "commitments.charter_on_request"):
        assert expected in names, expected
    help_text = text_of(page, "[id='h-organisation.siret']")
    assert help_text == "Numéro SIRET de l'établissement (14 chiffres, espaces acceptés).", help_text
    # Readable on a phone: nothing wider than the screen.
    assert page.eval("document.documentElement.scrollWidth") <= 390
    shoot(page, "form-phone", 390)
    page.close()


def test_apply_receipt_and_status_with_javascript():
    page = browser.page()
    page.set_viewport(1000, 900)
    page.goto(BASE + "/")
    shoot(page, "form", 1000)

    # An empty form comes back with an error next to each required field.
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert "Ce champ est obligatoire" in error_of(page, "organisation.name")
    assert "Ce champ est obligatoire" in error_of(page, "offer.themes")
    assert page.eval("document.getElementById('erreurs') !== null")

    # A wrong SIRET is refused next to its field, the rest is kept.
    siret = next_siret()
    values = form_values(siret, "Mutuelle")
    page.eval("window.sameDocument = true")
    rows = page.eval("document.querySelectorAll('[data-array=references] fieldset.row').length")
    page.eval("document.querySelector('[data-array=references] button.add-row').click()")
    assert page.eval("document.querySelectorAll('[data-array=references] fieldset.row').length") == rows + 1
    assert page.eval("window.sameDocument === true"), "adding a row left the page"
    page.eval(FILL % json.dumps(dict(values, **{"organisation.siret": "12345"})))
    page.eval("document.getElementById('f-organisation.name').focus()")
    page.call("Input.insertText", text="Mutuelle Entraide et Prévoyance de Vendée %d" % counter[0])
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert "14 chiffres" in error_of(page, "organisation.siret"), error_of(page, "organisation.siret")
    assert page.eval("document.getElementsByName('references[3].client')[0].value") == \
        "Association Vendée Insertion Emploi"
    assert page.eval("document.getElementsByName('organisation.name')[0].value").startswith("Mutuelle Entraide")
    shoot(page, "form-errors", 1000)

    page.eval(FILL % json.dumps({"organisation.siret": siret}))
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert text_of(page, "h1") == "Candidature reçue", text_of(page, "main")
    token = text_of(page, "code.token")
    app_id = text_of(page, "strong.id")
    assert len(token) == 43 and re.fullmatch(r"[0-9a-hjkmnp-tv-z]{16}", app_id), (token, app_id)
    link = page.eval("document.querySelector('a.follow').getAttribute('href')")
    assert link == "/suivi/%s#jeton=%s" % (app_id, token), link
    shoot(page, "receipt", 1000)

    # The link fills in the token and opens the status page.
    page.navigating("document.querySelector('a.follow').click()")
    page.wait_for("document.querySelector('.state-label') !== null")
    for _ in range(100):
        if page.eval("document.querySelectorAll('table.report tbody tr').length") == 21 and \
                page.eval("document.querySelector('.state-label').dataset.state") == "in_review":
            break
        page.navigating("document.querySelector('form.refresh button').click()")
    assert page.eval("document.querySelector('.state-label').dataset.state") == "in_review"
    assert text_of(page, ".state-label") == "En cours d'examen"
    outcomes = page.eval("Object.fromEntries([...document.querySelectorAll('table.report tbody tr')]"
                         ".map(tr => [tr.dataset.code, tr.querySelector('.badge').textContent]))")
    assert outcomes["ESS-FORM"] == "Conforme" and outcomes["ESS-GOV"] == "À examiner par le comité", outcomes
    assert len(outcomes) == 21
    assert "Mutuelle Entraide" in text_of(page, "dl.facts")
    assert page.eval("document.querySelector('form.application') === null"), "in review: no amendment form"
    shoot(page, "status", 1000)

    # The API tells the same.
    status = gateway.status(app_id, token).json()
    assert status["state"] == "in_review" and status["application"]["organisation"]["siret"] == siret.replace(" ", "")
    page.close()


def test_incomplete_application_is_amended_from_its_status_page():
    document = harness.fixture("invalid", "LOY-TAX-unticked.json")
    document["organisation"]["siret"] = harness.make_siret(900 + counter[0])
    receipt = gateway.post_json("/api/v1/applications", document).json()
    gateway.wait_state(receipt["id"], receipt["token"], ("incomplete",))
    page = browser.page()
    page.set_viewport(1000, 900)
    page.goto("%s/suivi/%s#jeton=%s" % (BASE, receipt["id"], receipt["token"]))
    page.wait_for("document.querySelector('.state-label') !== null")
    assert page.eval("document.querySelector('.state-label').dataset.state") == "incomplete"
    reason = error_of(page, "commitments.tax_compliance")
    assert reason, "the failed criterion is shown next to its field"
    assert page.eval("document.getElementsByName('organisation.name')[0].value") == document["organisation"]["name"]
    assert not page.eval("document.getElementsByName('commitments.tax_compliance')[0].checked")
    assert page.eval("document.getElementsByName('organisation.siret')[0].readOnly"), "the SIRET cannot change"
    shoot(page, "status-incomplete", 1000)
    page.eval(FILL % json.dumps({"commitments.tax_compliance": True}))
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert text_of(page, "h1") == "Modification reçue", text_of(page, "main")
    page.navigating("document.querySelector('form button.primary').click()")
    assert text_of(page, "h1") == "Suivi de votre candidature"
    status = gateway.wait_state(receipt["id"], receipt["token"], ("in_review",))
    assert status["revision"] == 2
    page.close()


def vote(app_id, member, decision, motivation):
    """One vote: in_review means the committee has the file."""
    stack.essp_json("vote", app_id, decision, "--as", member, "--motivation", motivation)


def test_decisions_and_motivations_then_amendment():
    members = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
               ("Sophie Bernard", "ess_networks"))
    for name, college in members:
        stack.essp("member", "add", name, "--college", college)
    document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    document["organisation"]["siret"] = harness.make_siret(950 + counter[0])
    receipt = gateway.post_json("/api/v1/applications", document).json()
    gateway.wait_state(receipt["id"], receipt["token"], ("in_review",))
    motivation = "Précisez quels volets de la démarche d'amélioration continue vos références ont couverts."
    for name, _ in members:
        vote(receipt["id"], name, "changes", motivation)
    gateway.wait_state(receipt["id"], receipt["token"], ("changes_requested",))

    page = browser.page()
    page.set_viewport(1000, 900)
    page.goto("%s/suivi/%s#jeton=%s" % (BASE, receipt["id"], receipt["token"]))
    page.wait_for("document.querySelector('.state-label') !== null")
    assert text_of(page, ".state-label") == "Modifications demandées"
    decisions = text_of(page, "ol.decisions")
    assert "Modifications demandées" in decisions and "tour 1" in decisions, decisions
    motivations = page.eval("[...document.querySelectorAll('ul.motivations li')].map(li => li.textContent)")
    assert motivations == [motivation], "each motivation once: %r" % motivations
    shoot(page, "status-changes", 1000, "section[aria-labelledby=decisions]")
    page.eval(FILL % json.dumps({"offer.description": "Offre précisée après l'avis du comité."}))
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert text_of(page, "h1") == "Modification reçue", text_of(page, "main")
    status = gateway.wait_state(receipt["id"], receipt["token"], ("in_review",))
    assert status["revision"] == 2 and status["application"]["offer"]["description"].startswith("Offre précisée")
    assert status["decisions"][0]["motivations"] == [motivation] * 3
    page.close()


def test_wrong_token_shows_nothing():
    page = browser.page()
    page.goto("%s/suivi/%s#jeton=%s" % (BASE, "abcdefghjkmn", "A" * 43))
    page.wait_for("document.querySelector('.summary') !== null")
    assert "Aucun dossier" in text_of(page, ".summary")
    assert page.eval("document.querySelector('table.report') === null")
    page.close()


def post_form(path, fields):
    body = urllib.parse.urlencode(fields, doseq=True)
    return gateway.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def test_the_pages_work_without_javascript():
    page = browser.page()
    page.disable_javascript()
    page.goto(BASE + "/")
    rows = page.eval("document.querySelectorAll('[data-array=references] fieldset.row').length")
    # "Add a row" is a real submit button: the server sends the form back with one more row.
    page.navigating("document.querySelector('[data-array=references] button.add-row').click()")
    assert page.eval("document.querySelectorAll('[data-array=references] fieldset.row').length") == rows + 1
    assert page.eval("document.querySelector('#erreurs') === null"), "adding a row is not an error"
    page.goto("%s/suivi/%s#jeton=%s" % (BASE, "abcdefghjkmn", "A" * 43))
    assert page.eval("document.querySelector('input[name=jeton]').value") == "", \
        "without JavaScript the token is typed by hand"
    page.close()
    # Plain form posts, as a browser without JavaScript sends them.
    fields = form_values(next_siret(), "x")
    fields["organisation.name"] = "SCOP Sans Script %d" % counter[0]
    fields = {k: ("true" if v is True else v) for k, v in fields.items()}
    response = post_form("/candidature", dict(fields, _key="sans-script-%d" % counter[0]))
    assert response.status == 201, response
    token = re.search(r'<code class="token">([A-Za-z0-9_-]{43})</code>', response.text()).group(1)
    app_id = re.search(r'<strong class="id">([0-9a-z]+)</strong>', response.text()).group(1)
    again = post_form("/candidature", dict(fields, _key="sans-script-%d" % counter[0]))
    assert again.status == 201 and token in again.text(), "posting the form twice gives one application"
    follow = post_form("/suivi/" + app_id, {"jeton": token})
    assert follow.status == 200 and "Suivi de votre candidature" in follow.text(), follow
    assert post_form("/suivi/" + app_id, {"jeton": "faux"}).status == 404
    assert post_form("/suivi/" + app_id, {}).status == 401
    assert gateway.request("POST", "/candidature", "x", {"Content-Type": "text/plain"}).status == 415


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_form_has_every_field_labelled_and_grouped_by_article,
            test_apply_receipt_and_status_with_javascript,
            test_incomplete_application_is_amended_from_its_status_page,
            test_decisions_and_motivations_then_amendment,
            test_wrong_token_shows_nothing,
            test_the_pages_work_without_javascript,
        ])
    finally:
        if browser:
            browser.close()
        stack.cleanup()
        if not os.environ.get("ESSP_SCREENSHOTS"):
            import shutil
            shutil.rmtree(SHOTS, ignore_errors=True)
