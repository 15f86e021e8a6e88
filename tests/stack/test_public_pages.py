"""intake's public pages as an applicant reads them, against the four real
services: the form, /charte, the receipt and the status page in each state
the test can reach (received, incomplete, in review, changes requested,
rejected, published) hold no English or internal word (french_pages.py);
the status page leads with the state in one sentence, then the committee's
motivations each once, then what comes next with the meetings set in
ESSP_COMMITTEE_MEETINGS (future ones only), then the details; the notice
on personal data is on the form and on the status page with the retention
and the contact set by staff; /api/v1/check and /candidature/verifier run
the charter without storing anything; a meeting date that is no date stops
intake with an error naming it."""

import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from essp_client import pull_all  # noqa: E402
from french_pages import assert_no_leaked_english, visible_text  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
SETTINGS = {"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000",
            "ESSP_COMMITTEE_MEETINGS": "2021-01-14, 2099-03-18,2099-10-07",
            "ESSP_RETENTION_YEARS": "5", "ESSP_CONTACT_EMAIL": "donnees@cress-pdl.example"}
stack = harness.Stack(BIN, env=SETTINGS)
gateway = Gateway(stack.port + 4)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
counter = [300]


def setup():
    stack.start()
    for name, college in MEMBERS:
        stack.essp("member", "add", name, "--college", college)


def submit(kind, name):
    counter[0] += 1
    document = harness.fixture(kind, name)
    document["organisation"]["siret"] = harness.make_siret(counter[0])
    response = gateway.post_json("/api/v1/applications", document)
    assert response.status == 201, response
    return document, response.json()


def status_page(receipt):
    response = gateway.request("POST", "/suivi/" + receipt["id"],
                               urllib.parse.urlencode({"jeton": receipt["token"]}),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200, response
    return response.text()


def vote_all(receipt, decision, motivation):
    for name, _ in MEMBERS:
        stack.essp_json("vote", receipt["id"], decision, "--as", name, "--motivation", motivation)


def at(page, text):
    index = page.find(text)
    assert index >= 0, "%r not on the page:\n%s" % (text, visible_text(page)[:3000])
    return index


def test_form_and_charter_pages():
    form = gateway.request("GET", "/").text()
    assert_no_leaked_english(form, "the form")
    assert "Vérifier ma candidature" in form
    notice = form[at(form, "Vos données personnelles</h2>"):]
    assert "CRESS) des Pays de la Loire" in notice
    assert "puis 5 ans après la fin de l'inscription" in notice
    assert 'href="mailto:donnees@cress-pdl.example"' in notice
    published = notice[at(notice, '<ul class="published">'):at(notice, '<ul class="private">')]
    private = notice[at(notice, '<ul class="private">'):]
    assert "<li>Commune</li>" in published and "<li>Courriel publié</li>" in published
    assert "<li>Courriel de cette personne</li>" in private and "Courriel de cette personne" not in published
    # Texts proofread: the commitments in the first person, the acronyms in
    # capitals, one spelling of the same term.
    for text in ("respecter mes obligations fiscales", "m&#39;interdire toute concurrence déloyale",
                 "citer mes sources", "me tenir informé", "SCOP, SCIC, CAE"):
        assert text in form, text
    for text in ("vos obligations fiscales", "scop, scic", "Économie Sociale", "Économie sociale",
                 "d&#39;intérêt "):
        assert text not in form, text
    boxes = re.findall(r'<fieldset class="commitments">.*?</fieldset>', form, re.S)
    assert len(boxes) == 2 and all("<legend>Je m'engage à :</legend>" in box for box in boxes), boxes
    for box in boxes:
        assert "S&#39;interdire" not in box and "vous " not in box and "vos " not in box, box
    charter = gateway.request("GET", "/charte").text()
    assert_no_leaked_english(charter, "/charte")
    assert "conflits d&#39;intérêts" in charter and "économie sociale et solidaire (ESS)" in charter
    assert "/api/v1/charter" not in charter


def test_check_runs_the_charter_and_stores_nothing():
    head = len(pull_all(stack.port, "intake"))
    document = harness.fixture("invalid", "ESS-GOV-empty.json")
    document["organisation"]["siret"] = harness.make_siret(299)
    report = gateway.post_json("/api/v1/check", document)
    assert report.status == 200, report
    criteria = {c["code"]: c for c in report.json()["criteria"]}
    assert report.json()["verdict"] == "incomplete"
    assert criteria["ESS-GOV"]["outcome"] == "fail" and criteria["ESS-GOV"]["blocking"]
    assert criteria["ESS-GOV"]["field"] == "principles.governance"
    valid = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    assert gateway.post_json("/api/v1/check", valid).json()["verdict"] == "review"
    broken = gateway.post_json("/api/v1/check", {"organisation": 3})
    assert broken.status == 400 and broken.json()["rule"] == "type", broken
    # The form's check, as a browser without JavaScript posts it.
    body = urllib.parse.urlencode({"organisation.name": "Sans gouvernance", "principles.purpose": "x"})
    page = gateway.request("POST", "/candidature/verifier", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status == 200
    error = re.search(r'<p class="error" id="e-principles\.governance">(.*?)</p>', page.text())
    assert error and "Décrivez vos modes de gestion" in error.group(1), page.text()[:2000]
    assert_no_leaked_english(page.text(), "the checked form")
    # And for the page's script.
    answer = gateway.request("POST", "/candidature/verifier", body,
                             {"Content-Type": "application/x-www-form-urlencoded",
                              "Accept": "application/json"}).json()
    names = {e["name"]: e["message"] for e in answer["errors"]}
    assert not answer["ready"] and "Décrivez vos modes" in names["principles.governance"], answer
    assert len(pull_all(stack.port, "intake")) == head, "a check stored something"


def test_incomplete_status():
    # A form sent with missing fields comes back with its errors: French.
    body = gateway.request("GET", "/").text()
    key = re.search(r'name="_key" value="([0-9a-f]+)"', body).group(1)
    again = gateway.request("POST", "/candidature", urllib.parse.urlencode({"_key": key, "organisation.name": "A"}),
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 400, again
    assert_no_leaked_english(again.text(), "the form with errors")
    _, app = submit("invalid", "LOY-TAX-unticked.json")
    received = status_page(app)
    assert_no_leaked_english(received, "the status page (received)")
    gateway.wait_state(app["id"], app["token"], ("incomplete",))
    page = status_page(app)
    assert_no_leaked_english(page, "the status page (incomplete)")
    state = at(page, "Votre dossier ne remplit pas encore certains critères")
    next_steps = at(page, "Et ensuite ?")
    details = at(page, "Le détail de votre dossier")
    assert state < next_steps < details
    # The reason quotes exactly the box's text.
    assert "Cochez l&#39;engagement « respecter mes obligations fiscales »" in page
    assert "<label for=\"f-commitments.tax_compliance\">respecter mes obligations fiscales" in page
    # Meetings: the future ones, in French, not the past one.
    steps = page[next_steps:details]
    assert '<time datetime="2099-03-18">18 mars 2099</time>' in steps
    assert "7 octobre 2099" in steps and "2021" not in steps
    assert "par courriel" in steps
    assert re.search(r"Déposée le</dt><dd><time datetime=\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00\">"
                     r"\d{1,2}(er)? [a-zéû]+ \d{4} à \d{1,2} h \d\d</time>", page), page[details:details + 800]
    assert at(page, "Vos données personnelles") > details


def test_changes_requested_then_rejected_show_each_motivation_once():
    _, app = submit("valid", "scop-ancrage-conseil-nantes.json")
    gateway.wait_state(app["id"], app["token"], ("in_review",))
    page = status_page(app)
    assert_no_leaked_english(page, "the status page (in review)")
    assert "lors de sa prochaine réunion" in page
    motivation = "Précisez quels volets de la démarche vos références ont couverts."
    vote_all(app, "changes", motivation)
    gateway.wait_state(app["id"], app["token"], ("changes_requested",))
    page = status_page(app)
    assert_no_leaked_english(page, "the status page (changes requested)")
    state = at(page, "Le comité vous demande de modifier votre dossier")
    motivations = at(page, "Les motivations du comité")
    next_steps = at(page, "Et ensuite ?")
    details = at(page, "Le détail de votre dossier")
    report = at(page, "Vérification de la charte")
    assert state < motivations < next_steps < details < report
    assert page.count(motivation) == 1, page.count(motivation)
    assert "révision" not in visible_text(page).lower()

    # A second round, rejected: the same reason from three voters, once.
    document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    document["organisation"]["siret"] = gateway.status(app["id"], app["token"]).json()[
        "application"]["organisation"]["siret"]
    document["offer"]["description"] = "Offre précisée."
    amended = gateway.post_json("/api/v1/applications/" + app["id"], document, token=app["token"], method="PUT")
    assert amended.status in (200, 201), amended
    gateway.wait_state(app["id"], app["token"], ("in_review",))
    reason = "Les références ne portent pas sur la démarche d'amélioration continue."
    vote_all(app, "reject", reason)
    gateway.wait_state(app["id"], app["token"], ("rejected",))
    page = status_page(app)
    assert_no_leaked_english(page, "the status page (rejected)")
    motivations = at(page, "Les motivations du comité")
    assert page.count(reason.replace("'", "&#39;")) == 1, page.count(reason.replace("'", "&#39;"))
    assert at(page, "Le comité a refusé votre candidature") < motivations < at(page, "Faire appel de la décision")


def test_published_status():
    _, app = submit("valid", "fondation-horizons-ligeriens-le-mans.json")
    gateway.wait_state(app["id"], app["token"], ("in_review",))
    vote_all(app, "approve", "Dossier complet.")
    gateway.wait_state(app["id"], app["token"], ("published",), timeout=30)
    page = status_page(app)
    assert_no_leaked_english(page, "the status page (published)")
    assert "Votre structure figure dans l&#39;annuaire" in page
    assert "Votre fiche reste publiée" in page and "Prochaines réunions" not in page


def test_a_bad_meeting_date_stops_intake():
    bad = harness.Stack(BIN, env=dict(SETTINGS, ESSP_COMMITTEE_MEETINGS="2027-03-18,2027-02-30"))
    try:
        log = open(os.path.join(bad.home, "log", "intake.log"), "ab")
        process = subprocess.Popen([os.path.join(BIN, "essp-intake")], env=bad.env, stdout=log,
                                   stderr=log, cwd=bad.home)
        log.close()
        code = process.wait(timeout=20)
        assert code != 0, code
        assert "ESSP_COMMITTEE_MEETINGS: '2027-02-30' is not a date YYYY-MM-DD" in bad.log("intake"), \
            bad.log("intake")
    finally:
        bad.cleanup()


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_form_and_charter_pages,
            test_check_runs_the_charter_and_stores_nothing,
            test_incomplete_status,
            test_changes_requested_then_rejected_show_each_motivation_once,
            test_published_status,
            test_a_bad_meeting_date_stops_intake,
        ])
    finally:
        stack.cleanup()
