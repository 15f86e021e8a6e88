"""The directory's search as a visitor uses it, in a real browser (Debian's
chromium, headless) on the site essp-mirror writes from the real pipeline:
typed text that names a theme, a specific action, an acronym or a commune;
filters; the search kept in the address and restored from a shared
address in a new page; only départements with listings, with counts;
cards with themes, formats and départements; the footer's links to the
charter and the form; a phone-sized screen.  Then the same queries asked
of publication's `directory` over ZeroMQ must give the same listings as
the page (one set of rules, proto/search.c), and the site's pages must
hold no English word a visitor would read.  Screenshots are left in
$ESSP_SCREENSHOTS when it is set, else in the build directory."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import cdp  # noqa: E402
import harness  # noqa: E402
from french_pages import assert_no_leaked_english  # noqa: E402
import publishing  # noqa: E402
from essp_client import unpack  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-search-")
shots = os.environ.get("ESSP_SCREENSHOTS") or os.path.join(os.path.dirname(BIN), "screenshots", "search")
os.makedirs(shots, exist_ok=True)
state = {}
browser = None
page = None

TRAJ = "Trajectoires Solidaires"                       # Angers 49 53; « gestion prévisionnelle des emplois… »
BOUSSOLE = "Boussole RSE"                               # Laval 53 72 49; RSE theme
ANCRAGE = "Ancrage Conseil SCOP"                        # Nantes 44 85 49; RSE and governance themes
MUTUELLE = "Mutuelle Entraide et Prévoyance de Vendée"  # La Roche-sur-Yon 85 44; RSE theme
ATELIERS = "SCIC Les Ateliers du Bocage"                # Cholet 49 85 79; "GPEC", "QVCT"
HORIZONS = "Fondation Horizons Ligériens"               # Le Mans 72 53 61; ethics theme
HORIZONS_TEXT = ("Concertation et déontologie dans les fondations : nous aidons les conseils "
                 "d’administration, les équipes salariées et les bénévoles à écrire ensemble leurs règles "
                 "de fonctionnement, à partager les décisions et à rendre compte de leur action auprès des "
                 "donateurs, des partenaires publics et du mécénat.")
EVERYONE = [ANCRAGE, BOUSSOLE, HORIZONS, MUTUELLE, ATELIERS, TRAJ]

# What a visitor types, and whom it must find (in the page's order: by name).
TYPED = [
    ("gpec", [ATELIERS, TRAJ]),
    ("GPEC", [ATELIERS, TRAJ]),
    ("gestion prévisionnelle", [ATELIERS, TRAJ]),
    ("Gestion previsionnelle des competences", [ATELIERS, TRAJ]),
    ("RSE", [ANCRAGE, BOUSSOLE, MUTUELLE, ATELIERS]),
    ("responsabilité sociétale", [ANCRAGE, BOUSSOLE, MUTUELLE, ATELIERS]),
    ("qvct", [ATELIERS, TRAJ]),
    ("qualité de vie", [ATELIERS, TRAJ]),
    ("Gouvernance démocratique", [ANCRAGE, ATELIERS]),
    ("democratic_governance", [ANCRAGE, ATELIERS]),
    ("Éthique", [HORIZONS]),
    ("la roche-sur-yon", [MUTUELLE]),
    ("CHOLET", [ATELIERS]),
    ("nant", [ANCRAGE]),
    ("53000", [BOUSSOLE]),
    ("gpec angers", [TRAJ]),
    ("gpec nantes", []),
    ("scop", [ANCRAGE]),
    ("coopérative", [ANCRAGE, ATELIERS]),
    ("formation", [ATELIERS]),
    ("rse cholet", [ATELIERS]),
    ("mécénat", [HORIZONS]),               # the end of a long presentation
    ("introuvable", []),
]

# Queries with filters, as the page's address and as `directory` fields.
FILTERED = [
    (dict(q="gpec", departement="53"), [TRAJ]),
    (dict(q="nantes", departement="44"), [ANCRAGE]),
    (dict(departement="85"), [ANCRAGE, MUTUELLE, ATELIERS]),
    (dict(theme="csr_iso26000", departement="72"), [BOUSSOLE]),
    (dict(q="rse", format="training"), [ATELIERS]),
    (dict(q="gestion", forme="association"), [TRAJ]),
    (dict(perimetre="whole", theme="ethics_deontology"), [HORIZONS]),
    (dict(q="éthique", departement="44"), []),
]
DIRECTORY_FIELDS = {"q": "q", "departement": "department", "theme": "theme", "format": "format",
                    "perimetre": "scope", "forme": "legal_form"}

# Beside the public side's list (french_pages.py: codes, "version",
# "JSON"...), the English a directory's page would leak.
LEAKED_ENGLISH = ["search", "filter", "results", "directory", "listing", "entry", "entries", "loading",
                  "download", "feed", "email", "e-mail", "more", "verify", "authenticity", "signed by",
                  "click", "here", "page not found"]


def setup():
    global browser, page
    stack.start()
    publishing.add_members(stack)
    p = publishing.Publisher(stack, work)
    # Each presentation is the test's own, so that the fixtures may change.
    state["traj"] = p.publish(p.document(
        "association-trajectoires-solidaires-angers.json",
        description="Accompagnement d'actions spécifiques : gestion prévisionnelle des emplois et des "
                    "compétences, égalité femmes-hommes, qualité de vie au travail."))
    p.publish(p.document("societe-esus-boussole-rse-laval.json",
                         description="Diagnostic et plan d’actions pour les entreprises de l’ESS."))
    p.publish(p.document("scop-ancrage-conseil-nantes.json",
                         description="Diagnostic partagé à l’aide du Guide des bonnes pratiques de l’ESS."))
    p.publish(p.document("mutuelle-entraide-vendee.json",
                         description="Politique salariale et dialogue social dans les mutuelles."))
    state["ateliers"] = p.publish(p.document(
        "scic-ateliers-du-bocage-formation-cholet.json",
        description="Diagnostic GPEC, démarche QVCT et formations au Guide des bonnes pratiques de l’ESS."))
    p.publish(p.document("fondation-horizons-ligeriens-le-mans.json", description=HORIZONS_TEXT))
    mirror = publishing.Mirror(stack)
    assert mirror.once() == 0, mirror.log()
    state["mirror"] = mirror
    state["index"] = "file://" + os.path.join(mirror.out, "index.html")
    browser = cdp.Browser(window_size=(1200, 900))
    page = browser.page()


def shown(on=None):
    """What a visitor sees of the results: the count and the names."""
    on = on or page
    return (on.eval("document.getElementById('compte').textContent"),
            on.eval("[...document.querySelectorAll('#resultats h3')].map(h => h.textContent)"))


def type_query(text):
    page.eval("(() => { const q = document.getElementById('q'); q.focus(); q.select(); })()")
    page.type(text)


def choose(select_id, value):
    """Picks an option of a filter, as a click on it would."""
    page.eval("(() => { const s = document.getElementById('%s'); s.focus(); s.value = '%s';"
              " s.dispatchEvent(new Event('change', {bubbles: true})); })()" % (select_id, value))


def address(filters):
    return state["index"] + "?" + urllib.parse.urlencode(filters)


def test_typed_text_finds_themes_actions_acronyms_and_communes():
    page.goto(state["index"])
    assert shown()[1] == EVERYONE, shown()
    for typed, expected in TYPED:
        type_query(typed)
        assert shown()[1] == expected, (typed, shown())
        if typed == "gpec":
            page.screenshot(os.path.join(shots, "recherche-gpec.png"), unclipped=True)
    type_query("gpec")
    count, names = shown()
    assert count == "2 structures correspondent à cette recherche.", count
    type_query("gpec angers")
    assert shown()[0] == "1 structure correspond à cette recherche."


def test_filters_and_text_live_in_the_address():
    page.goto(state["index"])
    choose("departement", "53")
    type_query("gpec")
    assert shown()[1] == [TRAJ]
    assert page.eval("location.search") == "?q=gpec&departement=53"
    shared = page.eval("location.href")
    # The address, opened in another page, restores the same search.
    other = browser.page()
    other.goto(shared)
    assert other.eval("document.getElementById('q').value") == "gpec"
    assert other.eval("document.getElementById('departement').value") == "53"
    assert shown(other)[1] == [TRAJ]
    other.screenshot(os.path.join(shots, "recherche-adresse-partagee.png"), unclipped=True)
    other.close()
    # The issue's own example, words with accents and spaces, each filter.
    for filters, expected in FILTERED + [(dict(q="Gouvernance démocratique"), [ANCRAGE, ATELIERS])]:
        page.goto(address(filters))
        assert shown()[1] == expected, (filters, shown())
        for name, value in filters.items():
            assert page.eval("document.getElementById('%s').value" % name) == value, (filters, name)
    # A space typed is a + in the address; clearing the search clears it.
    page.goto(state["index"])
    type_query("qualité de vie")
    assert page.eval("location.search") == "?q=qualit%C3%A9+de+vie", page.eval("location.search")
    page.eval("document.querySelector('button[type=reset]').click()")
    page.wait_for("document.getElementById('compte').textContent.startsWith('6 ')")
    assert page.eval("location.search") == ""
    # A département that has no listing (any more), from an old address:
    # kept, said to find nothing, rather than silently dropped.
    page.goto(address(dict(departement="01")))
    assert page.eval("document.getElementById('departement').value") == "01"
    assert page.eval("document.querySelector('#departement option:checked').textContent") \
        == "Ain (01) : aucune structure"
    assert shown()[1] == []


def test_only_departements_with_listings_are_offered_with_their_counts():
    page.goto(state["index"])
    options = page.eval("[...document.querySelectorAll('#departement option')].map(o => o.textContent)")
    assert options == ["Tous les départements", "Loire-Atlantique (44) : 2 structures",
                       "Maine-et-Loire (49) : 4 structures", "Mayenne (53) : 3 structures",
                       "Orne (61) : 1 structure", "Sarthe (72) : 2 structures",
                       "Deux-Sèvres (79) : 1 structure", "Vendée (85) : 3 structures"], options
    for value, count in (("44", 2), ("49", 4), ("61", 1)):
        choose("departement", value)
        assert len(shown()[1]) == count, (value, shown())


def test_cards_show_themes_formats_and_departements():
    page.goto(address(dict(q="cholet")))
    card = page.eval("(() => { const li = document.querySelector('#resultats li');"
                     " return {lieu: li.querySelector('.lieu').textContent,"
                     " themes: [...li.querySelectorAll('.themes li')].map(t => t.textContent),"
                     " formats: li.querySelector('.formats').textContent,"
                     " departements: li.querySelector('.departements').textContent}; })()")
    assert card["lieu"] == "Société coopérative d’intérêt collectif (SCIC) · Cholet (49300)", card
    assert card["themes"] == ["Démarche d’amélioration continue", "Gouvernance démocratique",
                              "Diversité, non-discrimination et égalité femmes-hommes",
                              "RSE, RSO et ISO 26000"], card
    assert card["formats"] == "Formats : Accompagnement, Formation", card
    assert card["departements"] == "Départements : Maine-et-Loire (49), Vendée (85), Deux-Sèvres (79)", card
    # The beginning of the presentation says why "gpec" found a listing.
    page.goto(address(dict(q="gpec")))
    excerpts = page.eval("[...document.querySelectorAll('#resultats .presentation')].map(p => p.textContent)")
    assert excerpts == ["Diagnostic GPEC, démarche QVCT et formations au Guide des bonnes pratiques de l’ESS.",
                        "Accompagnement d'actions spécifiques : gestion prévisionnelle des emplois et des "
                        "compétences, égalité femmes-hommes, qualité de vie au travail."], excerpts
    # A long one is cut after a whole word, and says so.
    page.goto(address(dict(q="mécénat")))
    excerpt = page.eval("document.querySelector('#resultats .presentation').textContent")
    assert excerpt.endswith("…") and len(excerpt.encode()) <= 183, excerpt
    assert HORIZONS_TEXT.startswith(excerpt[:-1]) and HORIZONS_TEXT[len(excerpt) - 1] == " ", excerpt


def test_footer_links_to_the_charter_and_the_form():
    gateway = "http://127.0.0.1:%d/" % (stack.port + 4)
    page.goto(state["index"])
    links = page.eval("Object.fromEntries([...document.querySelectorAll('footer a')]"
                      ".map(a => [a.textContent, a.href]))")
    assert links["la charte d’ESS Pratiques"] == gateway + "charte", links
    assert links["Demandez à figurer dans l’annuaire"] == gateway, links
    # Followed, they lead to the charter and the application form.
    with urllib.request.urlopen(links["la charte d’ESS Pratiques"], timeout=10) as answer:
        assert answer.status == 200 and "charte" in answer.read().decode().lower()
    with urllib.request.urlopen(links["Demandez à figurer dans l’annuaire"], timeout=10) as answer:
        assert "<form" in answer.read().decode()
    # An advisor's page has the same footer.
    page.goto(state["index"].replace("index.html", "accompagnateurs/%s.html" % state["traj"]))
    assert page.eval("document.querySelector('footer a[href$=\"/charte\"]').href") == gateway + "charte"
    # ESSP_PUBLIC_URL, when set, is where people apply.
    other = publishing.Mirror(stack, "public-url")
    assert other.once(env=dict(stack.env, ESSP_PUBLIC_URL="https://candidature.esspratiques.example")) == 0
    index = other.read("index.html")
    assert 'href="https://candidature.esspratiques.example/charte"' in index
    assert 'href="https://candidature.esspratiques.example/"' in index
    bad = publishing.Mirror(stack, "bad-url")
    assert bad.once(env=dict(stack.env, ESSP_PUBLIC_URL="javascript:alert(1)")) == 2
    assert "ESSP_PUBLIC_URL" in bad.log()


def test_a_phone_screen():
    page.phone()
    try:
        page.goto(address(dict(q="rse")))
        assert len(shown()[1]) == 4
        assert page.eval("document.documentElement.scrollWidth") <= 375
        size = page.eval("parseFloat(getComputedStyle(document.querySelector('#resultats p')).fontSize)")
        assert size >= 14, size
        # Every card fits the screen.
        widest = page.eval("Math.max(...[...document.querySelectorAll('#resultats li')]"
                           ".map(li => li.getBoundingClientRect().right))")
        assert widest <= 375, widest
        # The first results as they appear on the screen once scrolled to.
        page.eval("document.getElementById('compte').scrollIntoView()")
        page.screenshot(os.path.join(shots, "recherche-telephone-resultats.png"), full_page=False)
        page.goto(address(dict(q="rse")))
        page.screenshot(os.path.join(shots, "recherche-telephone.png"), full_page=False)
    finally:
        page.call("Emulation.clearDeviceMetricsOverride")


def directory_names(filters):
    fields = {DIRECTORY_FIELDS[k]: v for k, v in filters.items()}
    names = []
    for data in publishing.raw_directory(stack.port, **fields):
        names += [e["organisation"]["name"] for e in unpack(data)["entries"]]
    return names


def test_directory_over_zeromq_finds_what_the_page_finds():
    queries = [dict(q=typed) for typed, _ in TYPED] + [filters for filters, _ in FILTERED]
    for filters in queries:
        page.goto(address(filters))
        on_page = shown()[1]
        assert directory_names(filters) == on_page, (filters, on_page)
    print("%d queries: publication's directory and the mirror's page agree" % len(queries))


def test_the_sites_pages_hold_no_english():
    pages = [state["index"], address(dict(q="gpec")),
             state["index"].replace("index.html", "accompagnateurs/%s.html" % state["ateliers"])]
    for url in pages:
        page.goto(url)
        # The page as the visitor has it (the results drawn by the script),
        # the signature's details opened.
        page.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
        dom = page.eval("document.documentElement.outerHTML")
        assert_no_leaked_english(dom, url)
        text = page.eval("document.body.innerText") + " " + page.eval("document.title")
        for word in LEAKED_ENGLISH:
            found = re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(word), text, re.IGNORECASE)
            assert not found, "%s: « %s » in …%s…" % (url, word, text[max(0, found.start() - 60):found.end() + 60])
    atom = state["mirror"].read("annuaire.atom")
    for item in re.findall(r"<(?:title|summary)>([^<]*)<", atom):
        assert_no_leaked_english("<p>%s</p>" % item, "annuaire.atom")


def test_a_new_edition_of_the_pages_rewrites_the_pages_already_written():
    """A site written by an older essp-mirror gets the new wording at the
    next start, though no entry changed."""
    mirror = state["mirror"]
    path = os.path.join(mirror.out, "accompagnateurs", state["traj"] + ".html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("<p>(version 1) Vérifier l’authenticité</p>")
    assert mirror.once() == 0, mirror.log()
    assert "version 1" in mirror.read("accompagnateurs/%s.html" % state["traj"]), \
        "with nothing new, the pages are left as they are"
    # The store says the pages were written by the edition before this one.
    subprocess.run([LMDB_EDIT, mirror.data, "meta", "put", b"edition".hex(), (1).to_bytes(8, "big").hex()],
                   check=True, capture_output=True)
    assert mirror.once() == 0, mirror.log()
    rewritten = mirror.read("accompagnateurs/%s.html" % state["traj"])
    assert "version 1" not in rewritten and "Fiche signée par ESS Pratiques" in rewritten


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_typed_text_finds_themes_actions_acronyms_and_communes,
            test_filters_and_text_live_in_the_address,
            test_only_departements_with_listings_are_offered_with_their_counts,
            test_cards_show_themes_formats_and_departements,
            test_footer_links_to_the_charter_and_the_form,
            test_a_phone_screen,
            test_directory_over_zeromq_finds_what_the_page_finds,
            test_the_sites_pages_hold_no_english,
            test_a_new_edition_of_the_pages_rewrites_the_pages_already_written,
        ])
    finally:
        if browser:
            browser.close()
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
