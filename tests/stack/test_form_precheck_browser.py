"""« Vérifier ma candidature » in a real browser: headless Chromium driven
over the DevTools protocol (tests/browser/cdp.py) against the four real
services.  An applicant leaves the governance empty and gives references
with no improvement topic: the fields are marked required, the check shows
the charter's reasons next to those fields, nothing is submitted (no
receipt, intake's stream head unchanged); once fixed the check passes, and
the application is sent.  The same check works with JavaScript disabled,
as a plain form post.

Screenshots go to $ESSP_SCREENSHOTS, else to the build directory's
tests/screenshots."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import cdp  # noqa: E402
import harness  # noqa: E402
from essp_client import pull_all  # noqa: E402
from french_pages import assert_no_leaked_english  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000",
                               "ESSP_COMMITTEE_MEETINGS": "2099-03-18,2099-10-07"})
gateway = Gateway(stack.port + 4)
BASE = gateway.base
SHOTS = os.environ.get("ESSP_SCREENSHOTS") or os.path.join(os.path.dirname(BIN), "tests", "screenshots")
os.makedirs(SHOTS, exist_ok=True)
browser = None

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

GOVERNANCE = "Les sociétaires élisent le conseil d'administration ; chaque sociétaire dispose d'une voix."


def form_values(seed):
    """A SCOP's application as typed in the form, with the two mistakes of
    the issue: no governance, and no reference on continuous improvement."""
    siret = harness.make_siret(seed)
    values = {
        "organisation.name": "SCOP Vérifiée %d" % seed,
        "organisation.siret": siret,
        "organisation.legal_form": "scop",
        "organisation.created": "2009-03-01",
        "organisation.address.street": "12 rue de la Fosse",
        "organisation.address.postcode": "44000",
        "organisation.address.city": "Nantes",
        "organisation.public_contact.email": "contact@scop-verifiee.example",
        "organisation.private_contact.name": "Anne Le Bihan",
        "organisation.private_contact.email": "anne@scop-verifiee.example",
        "principles.purpose": "Coopérative de salariés au service des associations du territoire.",
        "principles.governance": "",
        "principles.surplus": "Les excédents vont aux réserves impartageables et aux salariés.",
        "offer.scope": ["specific"],
        "offer.formats": ["support"],
        "offer.themes": ["democratic_governance"],
        "offer.departments": "44",
        "references[0].client": "Association Accueil Nantes",
        "references[0].client_is_ess": True,
        "references[0].year": "2024",
        "references[0].kind": "support",
        "references[0].ci_topics": [],
        "references[0].summary": "Accompagnement de la gouvernance associative.",
    }
    for key in ("contract_before_action", "within_competence", "confidentiality", "non_discrimination",
                "conflict_disclosure", "tax_compliance", "regulatory_watch", "intellectual_property",
                "fair_competition", "charter_on_request"):
        values["commitments." + key] = True
    return values


def intake_head():
    return len(pull_all(stack.port, "intake"))


def shoot(page, name, width, from_selector=None, height=1600):
    top = 0
    if from_selector:
        top = max(0, int(page.eval("document.querySelector(%s).getBoundingClientRect().top + window.scrollY"
                                   % json.dumps(from_selector))) - 40)
    full = page.eval("document.documentElement.scrollHeight") - top
    page.screenshot(os.path.join(SHOTS, name + ".png"), clip=(0, top, width, min(full, height)))


def text_of(page, selector):
    return page.eval("(document.querySelector(%s) || {}).textContent || ''" % json.dumps(selector))


def error_of(page, name):
    return text_of(page, "[id=%s]" % json.dumps("e-" + name))


def setup():
    global browser
    stack.start()
    browser = cdp.Browser()


def test_required_marks_follow_the_charter():
    page = browser.page()
    page.set_viewport(1000, 900)
    page.goto(BASE + "/")
    for name in ("principles.governance", "principles.purpose", "principles.surplus",
                 "commitments.tax_compliance", "references[0].client_is_ess"):
        assert page.eval("document.getElementById(%s).getAttribute('aria-required')"
                         % json.dumps("f-" + name)) == "true", name
        assert page.eval("document.querySelector(%s) !== null"
                         % json.dumps("label[for='f-%s'] abbr.req" % name)), name
    assert page.eval("document.querySelector(\"[id='f-references[0].ci_topics'] legend abbr.req\") !== null")
    # Only the first row: one reference of each kind is enough.
    assert page.eval("document.getElementById('f-references[1].client_is_ess')"
                     ".getAttribute('aria-required')") is None
    # The commitments read in the first person after « Je m'engage à : ».
    def box(name):
        return text_of(page, "label[for='f-commitments.%s']" % name).rstrip(" *")
    assert text_of(page, "fieldset.commitments legend") == "Je m'engage à :"
    assert box("tax_compliance") == "respecter mes obligations fiscales", box("tax_compliance")
    assert box("fair_competition") == "m'interdire toute concurrence déloyale"
    assert box("intellectual_property") == "respecter la propriété intellectuelle et citer mes sources"
    assert_no_leaked_english(page.eval("document.documentElement.outerHTML"), "the form")
    page.close()


def test_check_with_javascript_then_send():
    page = browser.page()
    page.set_viewport(1000, 900)
    page.goto(BASE + "/")
    page.eval(FILL % json.dumps(form_values(71)))
    head = intake_head()
    page.eval("window.sameDocument = true")
    page.eval("document.querySelector('form.application button.check').click()")
    page.wait_for("document.getElementById('erreurs') !== null")
    assert page.eval("window.sameDocument === true"), "the check left the page"
    assert page.eval("location.pathname") == "/"
    governance = error_of(page, "principles.governance")
    topics = error_of(page, "references[0].ci_topics")
    assert "Décrivez vos modes de gestion démocratiques et participatifs" in governance, governance
    assert "au moins une référence antérieure d'accompagnement sur tout ou partie" in topics, topics
    # Next to their fields, and described by them.
    assert page.eval("document.getElementById('f-principles.governance').getAttribute('aria-invalid')") == "true"
    assert "e-principles.governance" in page.eval(
        "document.getElementById('f-principles.governance').getAttribute('aria-describedby')")
    assert page.eval("document.querySelector(\"[id='e-principles.governance']\").closest('.field')"
                     ".contains(document.getElementById('f-principles.governance'))")
    summary = text_of(page, "#erreurs")
    assert summary.startswith("2 points à corriger"), summary
    assert text_of(page, "h1") == "Demander à figurer dans l'annuaire"
    assert intake_head() == head, "the check submitted something"
    shoot(page, "precheck-failures", 1000, "label[for='f-principles.governance']", 1400)
    shoot(page, "precheck-summary", 1000, "#erreurs", 700)

    page.eval(FILL % json.dumps({"principles.governance": GOVERNANCE, "references[0].ci_topics": ["rse"]}))
    page.eval("document.querySelector('form.application button.check').click()")
    page.wait_for("document.getElementById('verification') !== null")
    assert "vous pouvez l'envoyer" in text_of(page, "#verification"), text_of(page, "#verification")
    assert page.eval("document.getElementById('erreurs') === null")
    assert error_of(page, "principles.governance") == ""
    assert page.eval("document.getElementById('f-principles.governance').getAttribute('aria-invalid')") is None
    assert intake_head() == head, "the check submitted something"
    shoot(page, "precheck-ready", 1000, "#verification", 500)

    page.navigating("document.querySelector('form.application button.primary').click()")
    assert text_of(page, "h1") == "Candidature reçue", text_of(page, "main")
    assert intake_head() > head
    assert_no_leaked_english(page.eval("document.documentElement.outerHTML"), "the receipt")
    shoot(page, "precheck-receipt", 1000, None, 900)
    # The status page the receipt leads to: the state first, what comes next.
    page.navigating("document.querySelector('a.follow').click()")
    page.wait_for("document.querySelector('.state-label') !== null")
    for _ in range(100):
        if page.eval("document.querySelector('.state-label').dataset.state") == "in_review":
            break
        page.navigating("document.querySelector('form.refresh button').click()")
    assert page.eval("document.querySelector('.state-label').dataset.state") == "in_review"
    order = page.eval("[...document.querySelectorAll('main h1, main h2')].map(h => h.textContent)")
    assert order[:3] == ["Suivi de votre candidature", "Et ensuite ?", "Le détail de votre dossier"], order
    assert order[-1] == "Vos données personnelles", order
    assert "Prochaines réunions du comité" in text_of(page, "section.next")
    assert_no_leaked_english(page.eval("document.documentElement.outerHTML"), "the status page")
    shoot(page, "precheck-status", 1000, None, 1400)
    page.close()


def test_check_without_javascript():
    page = browser.page()
    page.set_viewport(1000, 900)
    page.disable_javascript()
    page.goto(BASE + "/")
    page.eval(FILL % json.dumps(form_values(72)))
    head = intake_head()
    page.navigating("document.querySelector('form.application button.check').click()")
    assert page.eval("location.pathname") == "/candidature/verifier"
    assert "Décrivez vos modes de gestion" in error_of(page, "principles.governance")
    assert "sur tout ou partie" in error_of(page, "references[0].ci_topics")
    # What was typed is kept.
    assert page.eval("document.getElementsByName('organisation.name')[0].value") == "SCOP Vérifiée 72"
    assert intake_head() == head, "the check submitted something"
    assert_no_leaked_english(page.eval("document.documentElement.outerHTML"), "the checked form")
    shoot(page, "precheck-nojs", 1000, "#erreurs", 900)
    page.eval(FILL % json.dumps({"principles.governance": GOVERNANCE, "references[0].ci_topics": ["guide"]}))
    page.navigating("document.querySelector('form.application button.check').click()")
    assert "vous pouvez l'envoyer" in text_of(page, "#verification")
    page.navigating("document.querySelector('form.application button.primary').click()")
    assert text_of(page, "h1") == "Candidature reçue", text_of(page, "main")
    assert intake_head() > head
    page.close()


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_required_marks_follow_the_charter,
            test_check_with_javascript_then_send,
            test_check_without_javascript,
        ])
    finally:
        if browser:
            browser.close()
        stack.cleanup()
