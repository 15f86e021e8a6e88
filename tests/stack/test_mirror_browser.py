"""The site essp-mirror writes, opened in a real browser (Debian's
chromium, headless) from the files on disk, as a visitor would use it:
search with and without accents, filters, the keyboard alone, an
advisor's page, and a phone-sized screen.  Screenshots are left in
$ESSP_SCREENSHOTS when it is set."""

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

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-browser-")
shots = os.environ.get("ESSP_SCREENSHOTS") or work
state = {}
browser = None
page = None

ECOLE = "École des Transitions Solidaires"
COOP = "COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE"
OEUVRE = "Œuvre d'entraide angevine"
MUTUELLE = "Mutuelle Entraide et Prévoyance de Vendée"


def setup():
    global browser, page
    stack.start()
    publishing.add_members(stack)
    p = publishing.Publisher(stack, work)
    state["ecole"] = p.publish(p.document("scic-ateliers-du-bocage-formation-cholet.json", name=ECOLE,
                                          departments=["49", "72"],
                                          themes=["democratic_governance", "ethics_deontology"]))
    p.publish(p.document(name=COOP, departments=["85"], scope=["specific"]))
    p.publish(p.document("association-trajectoires-solidaires-angers.json", name=OEUVRE))
    p.publish(p.document("mutuelle-entraide-vendee.json"))
    mirror = publishing.Mirror(stack)
    assert mirror.once() == 0, mirror.log()
    state["index"] = "file://" + os.path.join(mirror.out, "index.html")
    browser = cdp.Browser(window_size=(1200, 900))
    page = browser.page()


def shown():
    """What a visitor sees of the results: the count and the names."""
    return (page.eval("document.getElementById('compte').textContent"),
            page.eval("[...document.querySelectorAll('#resultats h3')].map(h => h.textContent)"))


def choose(select_id, value):
    """Picks an option of a filter, as a click on it would."""
    page.eval("(() => { const s = document.getElementById('%s'); s.focus(); s.value = '%s';"
              " s.dispatchEvent(new Event('change', {bubbles: true})); })()" % (select_id, value))


def test_index_lists_the_directory_in_french_sorted_by_name():
    page.goto(state["index"])
    assert page.eval("document.documentElement.lang") == "fr"
    assert page.eval("document.title") == "Annuaire des accompagnateurs ESS Pratiques"
    assert page.eval("document.querySelector('h1').textContent") \
        == "Trouver un accompagnateur ou un formateur de l’ESS"
    count, names = shown()
    assert count == "4 structures correspondent à cette recherche.", count
    assert names == [COOP, ECOLE, MUTUELLE, OEUVRE], names
    # Every control has a visible label; the landmarks are there.
    unlabeled = page.eval("[...document.querySelectorAll('input, select')]"
                          ".filter(c => !c.labels.length).map(c => c.id)")
    assert unlabeled == [], unlabeled
    assert page.eval("!!document.querySelector('main') && !!document.querySelector('form[role=search]')")
    page.screenshot(os.path.join(shots, "annuaire.png"), unclipped=True)


def test_search_ignores_accents_and_case_with_the_keyboard_alone():
    page.goto(state["index"])
    focused = []
    for _ in range(6):
        page.tab()
        focused.append(page.eval("document.activeElement.id || document.activeElement.textContent"))
        if focused[-1] == "q":
            break
    assert focused[0] == "Aller au contenu", focused
    assert focused[-1] == "q", "the search field is reached with Tab: %s" % focused
    page.type("ecole")
    assert shown() == ("1 structure correspond à cette recherche.", [ECOLE])
    page.eval("document.getElementById('q').select()")
    page.type("coopérative")
    assert shown()[1] == [COOP, ECOLE]      # a SCOP and a SCIC: cooperatives by their legal form
    page.eval("document.getElementById('q').select()")
    page.type("OEUVRE angevine")
    assert shown()[1] == [OEUVRE]
    page.eval("document.getElementById('q').select()")
    page.type("introuvable")
    assert shown() == ("Aucune structure ne correspond à cette recherche.", [])
    # The reset button, reached with Tab and pressed with Enter.
    for _ in range(8):
        page.tab()
        if page.eval("document.activeElement.type") == "reset":
            break
    assert page.eval("document.activeElement.textContent") == "Effacer la recherche"
    page.enter()
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert shown()[0] == "4 structures correspondent à cette recherche."


def test_filters_combine():
    page.goto(state["index"])
    choose("departement", "49")
    assert shown()[1] == [ECOLE, OEUVRE]
    choose("format", "training")
    assert shown() == ("1 structure correspond à cette recherche.", [ECOLE])
    choose("forme", "association")
    assert shown()[1] == []
    choose("forme", "")
    choose("format", "")
    choose("departement", "85")
    choose("perimetre", "specific")
    assert shown()[1] == [COOP, MUTUELLE]
    choose("theme", "ethics_deontology")
    assert shown()[1] == []
    label = page.eval("document.querySelector('#departement option[value=\"49\"]').textContent")
    assert label == "Maine-et-Loire (49) : 2 structures", label


def test_an_advisor_page_opened_from_the_results():
    page.goto(state["index"])
    page.eval("document.getElementById('q').focus()")
    page.type("transitions")
    assert shown()[1] == [ECOLE], shown()
    page.eval("document.querySelector('#resultats a').focus()")
    assert page.eval("document.activeElement.textContent") == ECOLE, \
        page.eval("document.activeElement.outerHTML")
    page.events.clear()
    page.enter()
    page.wait_event("Page.loadEventFired")
    assert page.eval("location.pathname").endswith("/accompagnateurs/%s.html" % state["ecole"])
    assert page.eval("document.querySelector('h1').textContent") == ECOLE
    facts = page.eval("Object.fromEntries([...document.querySelectorAll('dt')]"
                      ".map(dt => [dt.textContent, dt.nextElementSibling.textContent]))")
    assert facts["Formats"] == "Accompagnement, Formation", facts
    assert "Maine-et-Loire (49)" in facts["Départements d’intervention"]
    assert "Sarthe (72)" in facts["Départements d’intervention"]
    assert "Gouvernance démocratique" in facts["Thèmes du Guide des bonnes pratiques"]
    assert facts["Forme juridique"] == "Société coopérative d’intérêt collectif (SCIC)"
    assert facts["Courriel"] == "formations@ateliers-du-bocage.example"
    assert page.eval("document.querySelector('a[href^=\"mailto:\"]').href") \
        == "mailto:formations@ateliers-du-bocage.example"
    assert "Fiche approuvée par le Comité scientifique et éthique le" in page.eval("document.querySelector('.meta').textContent")
    assert page.eval("document.querySelector('details.preuve summary').textContent") \
        == "Fiche signée par ESS Pratiques (CRESS Pays de la Loire) : la vérifier"
    page.screenshot(os.path.join(shots, "fiche.png"), unclipped=True)
    # Back to the directory by the link at the top.
    page.events.clear()
    page.eval("document.querySelector('.ariane a').click()")
    page.wait_event("Page.loadEventFired")
    assert page.eval("location.pathname").endswith("/index.html")


def test_pages_fit_a_phone_screen():
    page.phone()
    try:
        page.goto(state["index"])
        assert page.eval("document.documentElement.scrollWidth") <= 375
        assert page.eval("getComputedStyle(document.getElementById('q')).width") != "0px"
        page.screenshot(os.path.join(shots, "annuaire-telephone.png"), unclipped=True)
        page.goto(state["index"].replace("index.html", "accompagnateurs/%s.html" % state["ecole"]))
        assert page.eval("document.documentElement.scrollWidth") <= 375
        size = page.eval("parseFloat(getComputedStyle(document.querySelector('dd')).fontSize)")
        assert size >= 14, size
        page.screenshot(os.path.join(shots, "fiche-telephone.png"), unclipped=True)
    finally:
        page.call("Emulation.clearDeviceMetricsOverride")


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_index_lists_the_directory_in_french_sorted_by_name,
            test_search_ignores_accents_and_case_with_the_keyboard_alone,
            test_filters_combine,
            test_an_advisor_page_opened_from_the_results,
            test_pages_fit_a_phone_screen,
        ])
    finally:
        if browser:
            browser.close()
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
