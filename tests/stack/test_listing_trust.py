"""The public page of a listing shows what makes it trustworthy (issue 15,
point 6), on essp-mirror's site built from the real publication service:
its references (client, year, kind of mission, whether the client belongs
to the économie sociale et solidaire, the parts of the approach covered),
the départements it serves, its themes and specific actions, whether its
people followed the training the charter asks for (done, planned, or not
said when nobody is declared), since when it is listed and until when.

Two stacks: the whole pipeline (intake, validation, the committee's votes,
publication) for listings whose every private field holds a canary that
must appear nowhere on the site, on the publication stream or in the
directory; and a stand-in review that tells the real publication service
a listing's life over years (reinstatement, renewal while listed, renewal
after expiry), so that "since when" is checked across a chain of listings.
The intake form's notice on personal data lists what is published."""

import datetime
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
from essp_client import Client, pull_all  # noqa: E402
from french_pages import assert_no_leaked_english, visible_text  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
# A private value in every field of the application the schema keeps
# private, references' summaries and SIRENs and trained people's names
# included.
CANARIES = ("Zq8canary Contact", "zq8canary-contact@prive.example", "06 91 82 73 65",
            "zq8canary-purpose", "zq8canary-governance", "zq8canary-surplus",
            "zq8canary-summary", "913 275 846", "Zq8canary Trainee", "Zq8canary Enrolled",
            "Zq8canary Alone")
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
SOON = TODAY + datetime.timedelta(days=45)     # a session ahead of the decision

stack = harness.Stack(BIN, env={"ESSP_HTTP_RATE": "1000", "ESSP_HTTP_BURST": "1000"})
work = tempfile.mkdtemp(prefix="essp-trust-")
listed = {}


def french(day):
    """« 12 mars 2026 », « 1er mai 2026 », as the site writes a date."""
    return "%s %s %d" % ("1er" if day.day == 1 else day.day, MONTHS[day.month - 1], day.year)


def time_of(day):
    return '<time datetime="%s">%s</time>' % (day.isoformat(), french(day))


def with_canaries(document, trained):
    """The document with a canary in each private field and the given
    trained people (name, session date)."""
    organisation = document["organisation"]
    organisation["private_contact"] = {"name": CANARIES[0], "email": CANARIES[1], "phone": CANARIES[2]}
    for key, canary in zip(("purpose", "governance", "surplus"), CANARIES[3:6]):
        document["principles"][key] = canary + " " + document["principles"][key]
    for reference in document["references"]:
        reference["summary"] = CANARIES[6] + " " + reference["summary"]
    document["references"][0]["client_siren"] = CANARIES[7]
    document["trained_people"] = [{"name": n, "session_date": d.isoformat()} for n, d in trained]
    if not trained:
        del document["trained_people"]
        document["offer"]["private_area"] = False
    return document


def setup():
    stack.start()
    publishing.add_members(stack)
    publisher = publishing.Publisher(stack, work)
    trusted = publisher.document(name="Ancrage Conseil SCOP", departments=["44", "49", "85"],
                                 themes=["democratic_governance", "territorial_anchoring"],
                                 scope=["whole", "specific"])
    with_canaries(trusted, [(CANARIES[8], datetime.date(2026, 3, 12)), (CANARIES[9], SOON)])
    listed["trusted"] = publisher.publish(trusted)
    planned = publisher.document(name="Coopérative Prévoyante")
    with_canaries(planned, [(CANARIES[10], SOON)])
    listed["planned"] = publisher.publish(planned)
    everyone = publisher.document(name="Structure Toute Formée")
    with_canaries(everyone, [(CANARIES[8], datetime.date(2025, 10, 15)),
                             (CANARIES[9], datetime.date(2026, 3, 12))])
    listed["everyone"] = publisher.publish(everyone)
    untrained = publisher.document(name="Conseil Sans Partie Privée")
    with_canaries(untrained, [])
    listed["untrained"] = publisher.publish(untrained)
    listed["mirror"] = mirror = publishing.Mirror(stack)
    assert mirror.once() == 0, mirror.log()
    listed["entries"] = {e["id"]: e for e in stack.essp_lines("directory")}


def page_of(name):
    return listed["mirror"].read("accompagnateurs/%s.html" % listed[name])


def section(page, heading_id):
    """The HTML of the page's <section> headed by h2#heading_id."""
    match = re.search(r'<section aria-labelledby="%s"[^>]*>(.*?)</section>' % heading_id, page, re.DOTALL)
    assert match, "no section %s on the page: %s" % (heading_id, visible_text(page)[:2000])
    return match.group(1)


def approval_day(name):
    entry = listed["entries"][listed[name]]
    return datetime.datetime.fromtimestamp(entry["approved_at"], datetime.timezone.utc).date()


def test_since_and_until_when_it_is_listed():
    entry = listed["entries"][listed["trusted"]]
    day = approval_day("trusted")
    assert entry["listed_since"] == day.isoformat(), entry
    listing = section(page_of("trusted"), "inscription")
    assert "<h2 id=\"inscription\">Son inscription à l’annuaire</h2>" in listing
    assert "Dans l’annuaire depuis le %s." % time_of(day) in listing, listing
    until = datetime.date.fromisoformat(entry["listed_until"])
    assert until > TODAY
    assert "L’inscription prend fin le %s, sauf renouvellement." % time_of(until) in listing, listing
    assert "Fiche approuvée par le Comité scientifique et éthique le" in listing


def test_training_done_planned_or_not_said():
    day = approval_day("trusted")
    assert datetime.date(2026, 3, 12) < day < SOON
    expected = {
        "trusted": "Formation exigée par la charte (partie privée d’ESS Pratiques) : suivie le %s ; "
                   "une autre session est prévue le %s." % (time_of(datetime.date(2026, 3, 12)), time_of(SOON)),
        "planned": "Formation exigée par la charte (partie privée d’ESS Pratiques) : prévue le %s."
                   % time_of(SOON),
        "everyone": "Formation exigée par la charte (partie privée d’ESS Pratiques) : suivie par chaque "
                    "personne déclarée, la dernière fois le %s." % time_of(datetime.date(2026, 3, 12)),
    }
    for name, sentence in expected.items():
        listing = section(page_of(name), "inscription")
        assert sentence in listing, (name, listing)
    assert "Formation" not in section(page_of("untrained"), "inscription")
    # The stream says the dates, never whose they are.
    entry = listed["entries"][listed["trusted"]]
    assert entry["trained_people"] == [{"session_date": "2026-03-12"}, {"session_date": SOON.isoformat()}]


def test_references_structures_and_dates():
    references = section(page_of("trusted"), "references")
    items = re.findall(r"<li>(.*?)</li>", references, re.DOTALL)
    assert items == [
        '<strong class="client">Régie de quartier de Nantes Nord</strong><br>Accompagnement en 2023, auprès '
        'd’une organisation de l’économie sociale et solidaire.<br><span class="volets">Volets de la '
        'démarche d’amélioration continue : Guide des bonnes pratiques, Démarche globale.</span>',
        '<strong class="client">SCIC Énergies Citoyennes en Pays de Retz</strong><br>Accompagnement en 2025, '
        'auprès d’une organisation de l’économie sociale et solidaire.<br><span class="volets">Volets de la '
        'démarche d’amélioration continue : RSE.</span>',
        '<strong class="client">Commune de Rezé</strong><br>Accompagnement en 2021.',
    ], items
    entry = listed["entries"][listed["trusted"]]
    assert entry["references"][0] == {"client": "Régie de quartier de Nantes Nord", "client_is_ess": True,
                                      "year": 2023, "kind": "support", "ci_topics": ["guide", "whole_approach"]}


def test_departements_themes_and_specific_actions():
    offer = section(page_of("trusted"), "offre")
    for shown in ("<li>Loire-Atlantique (44)</li>", "<li>Maine-et-Loire (49)</li>", "<li>Vendée (85)</li>",
                  "<li>Gouvernance démocratique</li>", "<li>Ancrage territorial de l’activité et des emplois</li>",
                  "Démarche d’amélioration continue dans son ensemble, Actions spécifiques du plan d’actions"):
        assert shown in offer, (shown, offer)


def test_every_page_is_french_and_nothing_private_leaks():
    for name in ("trusted", "planned", "everyone", "untrained"):
        assert_no_leaked_english(page_of(name), "the page of %s" % name)
    site = publishing.site_bytes(listed["mirror"].out)
    stream = b"".join(publishing.raw_pulls(stack.port))
    directory = stack.essp("directory").stdout.encode()
    for canary in CANARIES:
        for where, data in (("the site", site), ("the publication stream", stream), ("the directory", directory)):
            assert canary.encode() not in data, "%r in %s" % (canary, where)


def test_the_notice_on_personal_data_says_what_is_published():
    form = Gateway(stack.port + 4).request("GET", "/").text()
    notice = form[form.index("Vos données personnelles</h2>"):]
    published = notice[notice.index('<ul class="published">'):notice.index('<ul class="private">')]
    private = notice[notice.index('<ul class="private">'):]
    for field in ("Référence : Organisation cliente", "Référence : Année", "Référence : Nature de la mission",
                  "Référence : Le client est une organisation de l&#39;ESS",
                  "Personne formée : Date de la session"):
        assert "<li>%s</li>" % field in published, (field, published)
    for field in ("Référence : Résumé de la mission", "Référence : SIREN du client", "Personne formée : Nom et prénom"):
        assert "<li>%s</li>" % field in private and field not in published, (field, private)


def test_since_when_across_renewals_and_reinstatements():
    """The real publication service, told a listing's life by a stand-in
    review: a reinstated listing keeps its first day, a renewal takes the
    first day of the listing it renews (still listed, or ended), a renewal
    of a listing publication never knew starts on its own approval."""
    life = harness.Stack(BIN)
    review = None
    try:
        review = publishing.start_publication_alone(life)

        def at(day):
            return int(datetime.datetime(day.year, day.month, day.day, 10, tzinfo=datetime.timezone.utc).timestamp())

        def decided(app_id, day, seed, decision="approve", kind="review", **extra):
            document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
            document["organisation"]["name"] = "Structure %s" % app_id
            document["organisation"]["siret"] = harness.make_siret(800000 + seed)
            review.add("decided", at=at(day), id=app_id, revision=1, round=1, decision=decision, kind=kind,
                       motivations=[], application=document, **extra)

        def withdrawn(app_id, day, kind):
            review.add("withdrawn", at=at(day), id=app_id, kind=kind, reason="Fin de l'inscription.")

        decided("chainA", datetime.date(2022, 5, 10), 1)
        withdrawn("chainA", datetime.date(2023, 1, 9), "suspended")
        decided("chainA", datetime.date(2023, 2, 1), 1, decision="reinstate", kind="complaint")
        decided("chainB", datetime.date(2025, 4, 20), 2, renews="chainA")
        withdrawn("chainA", datetime.date(2025, 4, 20), "renewed")
        decided("chainC", datetime.date(2021, 1, 11), 3)
        withdrawn("chainC", datetime.date(2024, 1, 11), "expired")
        decided("chainD", datetime.date(2024, 3, 4), 4, renews="chainC")
        decided("chainE", datetime.date(2026, 6, 2), 5, renews="inconnu00000000")
        publishing.wait_head(life, 9, timeout=30)
        upserts = [(e["id"], e["entry"]["listed_since"], e["version"]) for e in pull_all(life.port, "publication")
                   if e["type"] == "upsert"]
        assert upserts == [("chainA", "2022-05-10", 1), ("chainA", "2022-05-10", 2), ("chainB", "2022-05-10", 1),
                           ("chainC", "2021-01-11", 1), ("chainD", "2021-01-11", 1),
                           ("chainE", "2026-06-02", 1)], upserts
        key = Client(life.port, "publication").call("hello")["key"]
        mirror = publishing.Mirror(life, extra=["--key", key])
        assert mirror.once() == 0, mirror.log()
        assert mirror.pages() == ["chainB", "chainD", "chainE"], mirror.pages()
        renewed = section(mirror.read("accompagnateurs/chainB.html"), "inscription")
        assert "Dans l’annuaire depuis le %s." % time_of(datetime.date(2022, 5, 10)) in renewed, renewed
        assert "Fiche approuvée par le Comité scientifique et éthique le <time datetime=\"2025-04-20T10:00:00Z\">" \
               "20 avril 2025</time>." in renewed, renewed
        after_expiry = section(mirror.read("accompagnateurs/chainD.html"), "inscription")
        assert "Dans l’annuaire depuis le %s." % time_of(datetime.date(2021, 1, 11)) in after_expiry
        alone = section(mirror.read("accompagnateurs/chainE.html"), "inscription")
        assert "Dans l’annuaire depuis le %s." % time_of(datetime.date(2026, 6, 2)) in alone
    finally:
        if review:
            review.close()
        life.cleanup()


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_since_and_until_when_it_is_listed,
            test_training_done_planned_or_not_said,
            test_references_structures_and_dates,
            test_departements_themes_and_specific_actions,
            test_every_page_is_french_and_nothing_private_leaks,
            test_the_notice_on_personal_data_says_what_is_published,
            test_since_when_across_renewals_and_reinstatements,
        ])
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
