"""The desk's pages over real HTTP, against the four services and
essp-desk on loopback: a staff person adds members through « Personnes »,
members read « Mes dossiers » and « Le dossier », vote and recuse
themselves, the staff searches every application and withdraws, lodges a
complaint, erases, ticks the clock.  Each refusal is checked too: a member
on a staff page, a vote from a recused member, a decision the round does
not allow, a motivation missing; each is said in French, and nothing
changes at review."""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import desk_web  # noqa: E402
import harness  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
stack.start()
desk_web.start_desk(stack)
intake = Client(stack.port, "intake")
staff = desk_web.staff_person(stack)
counter = [0]
MEMBERS = {}


def member(name, college, **ties):
    if name not in MEMBERS:
        email = re.sub(r"[^a-z]", "", name.lower()) + "@comite.example"
        MEMBERS[name] = desk_web.member_person(stack, staff, name, email, college, **ties)
    return MEMBERS[name]


def submit(postcode="85000", theme="csr_iso26000", siren_seed=None):
    """An application before the committee: its id once in_review."""
    counter[0] += 1
    document = harness.numbered_fixture(siren_seed or 100 + counter[0])
    document["organisation"]["address"]["postcode"] = postcode
    document["offer"]["themes"] = [theme]
    receipt = intake.call("submit", application=document)
    assert receipt["type"] == "receipt", receipt
    stack.wait_state(receipt["id"], "in_review")
    return receipt["id"], document


def votes_in_queue(person, app_id):
    page = person.get("/comite/dossier/" + app_id)
    assert page.status == 200, page
    return page.text.count("<span class=\"decision decision-")


# ------------------------------------------------------------------ member

def test_the_queue_lists_new_files_first_with_filters_and_counts():
    claire = member("Claire Moreau", "researchers")
    older, _ = submit("44000", "democratic_governance")
    newer, _ = submit("85000", "csr_iso26000")
    page = claire.get("/comite")
    assert page.status == 200 and "Mes dossiers" in page.text, page
    assert page.text.index(newer) < page.text.index(older), "the newest file comes first"
    assert '<option value="85">85 – Vendée (' in page.text
    assert '<option value="44">44 – Loire-Atlantique (' in page.text
    # A filter in the URL keeps its files and says how many the others would keep.
    page = claire.get("/comite?departement=44")
    assert older in page.text and newer not in page.text, page
    assert '<option value="44" selected>44 – Loire-Atlantique (1)</option>' in page.text
    page = claire.get("/comite?theme=csr_iso26000&departement=85")
    assert newer in page.text and older not in page.text
    # The list alone, as the page's script asks for it, holds a file queued since.
    third, _ = submit("49000")
    fragment = claire.get("/comite/liste")
    assert fragment.status == 200 and fragment.text.startswith('<div id="liste-dossiers"'), fragment
    assert third in fragment.text


def test_the_file_reads_by_article_and_three_votes_decide_it():
    app_id, document = submit()
    claire = member("Claire Moreau", "researchers")
    herve = member("Hervé Le Guen", "ess_networks")
    sophie = member("Sophie Bernard", "local_authorities")
    page = claire.get("/comite/dossier/" + app_id)
    assert page.status == 200, page
    for article in ("Article 1 — ", "Article 2 — ", "Article 3 — ", "Article 4 — "):
        assert article in page.text, article
    assert "Statut juridique</dt><dd>Mutuelle</dd>" in page.text
    assert "ESS-FORM</span>" in page.text and "Conforme" in page.text
    assert "ouverture du tour 1 (Examen)" in page.text, "the file's dates from review's stream"
    assert 'formnovalidate>Approuver</button>' in page.text
    assert '<input type="hidden" name="round" value="1">' in page.raw, "the vote names the round read"
    page = claire.post("/comite/vote", {"id": app_id, "decision": "approve", "motivation": ""})
    assert page.status == 200 and "1 vote dans le tour 1" in page.text, page
    assert "Le tour reste ouvert" in page.text
    # The next member sees the vote so far, with its college.
    page = herve.get("/comite/dossier/" + app_id)
    assert "<strong>Claire Moreau</strong> (Chercheurs et chercheuses) : " in page.text, page
    page = herve.post("/comite/vote", {"id": app_id, "decision": "approve",
                                       "motivation": "Références solides et vérifiables."})
    assert page.status == 200 and "2 votes" in page.text, page
    sophie.get("/comite/dossier/" + app_id)
    page = sophie.post("/comite/vote", {"id": app_id, "decision": "approve", "motivation": ""})
    assert page.status == 200, page
    assert "Votre vote a décidé le tour : <strong>Candidature approuvée</strong>" in page.text, page
    stack.wait_state(app_id, ("approved", "published"))
    # Voted: the file left the member's list.
    assert app_id not in claire.get("/comite").text
    # The same vote sent again (a second click) is acknowledged; another, once decided, is refused.
    # Sophie's vote decided it, not Claire's: the page says so.
    page = claire.post("/comite/vote", {"id": app_id, "decision": "approve", "motivation": ""})
    assert page.status == 200 and "Votre vote a décidé le tour" not in page.text, page
    assert "Ce vote était déjà enregistré sur le dossier n° %s ; le tour est décidé : " % app_id in page.text, page
    assert ">Candidature approuvée</strong>" in page.text, page
    page = herve.post("/comite/vote", {"id": app_id, "decision": "reject", "motivation": "Non."})
    assert page.status == 409 and "Ce dossier n'est plus ouvert : le tour a été décidé" in page.text, page


AMENDED = {}


def test_a_vote_on_a_round_closed_since_is_refused():
    counter[0] += 1
    document = harness.numbered_fixture(100 + counter[0])
    receipt = intake.call("submit", application=document)
    app_id = receipt["id"]
    stack.wait_state(app_id, "in_review")
    voters = [member("Claire Moreau", "researchers"), member("Hervé Le Guen", "ess_networks"),
              member("Sophie Bernard", "local_authorities"), member("Yves Roux", "researchers")]
    read_in_round_1 = voters[0].get("/comite/dossier/" + app_id)
    for person in voters[1:]:
        person.get("/comite/dossier/" + app_id)
        page = person.post("/comite/vote", {"id": app_id, "decision": "changes", "round": "1",
                                            "motivation": "Précisez vos références."})
        assert page.status == 200, page
    stack.wait_state(app_id, "changes_requested")
    document["references"][0]["summary"] += " Trois sessions de restitution."
    amended = intake.call("amend", id=app_id, application=document, token=receipt["token"])
    assert amended.get("revision") == 2, amended
    stack.wait_state(app_id, "in_review")
    # Claire's page of round 1, sent after round 2 opened: refused, said in French.
    page = voters[0].post("/comite/vote", {"id": app_id, "decision": "approve", "round": "1", "motivation": ""},
                          csrf_from=read_in_round_1)
    assert page.status == 409, page
    assert "Le dossier a changé depuis que vous avez ouvert la page" in page.text, page
    assert "tour 2 (Examen) · révision 2" in page.text, "the file as it is now"
    assert votes_in_queue(voters[0], app_id) == 0, "nothing counted in round 2"
    for person in voters[:3]:
        page = person.get("/comite/dossier/" + app_id)
        assert '<input type="hidden" name="round" value="2">' in page.raw, page
        page = person.post("/comite/vote", {"id": app_id, "decision": "approve", "round": "2", "motivation": ""})
        assert page.status == 200, page
    stack.wait_state(app_id, "published")
    AMENDED.update(id=app_id, token=receipt["token"], document=document)


def test_a_listing_update_reads_in_french_on_the_staff_page():
    document = AMENDED["document"]
    document["organisation"]["public_contact"]["phone"] = "02 40 12 34 56"
    reply = intake.call("amend", id=AMENDED["id"], application=document, token=AMENDED["token"])
    assert reply.get("substantive") is False, reply
    deadline = time.monotonic() + 20
    while True:
        page = staff.get("/admin/dossier/" + AMENDED["id"])
        if "sans vote)" in page.text or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "révision 3 ; champs modifiés : organisation.public_contact.phone ; modification mineure, sans vote" \
        in page.text, page
    assert "(mise à jour mineure de la fiche, sans vote)" in page.text, page
    assert "; minor" not in page.text and "minor update" not in page.text and "changed:" not in page.text, page


def test_refusals_of_the_people_form_are_said_in_french():
    page = staff.post("/admin/personnes", {"nom": "Inès Espace", "courriel": "ines espace@comite.example",
                                           "role": "member", "college": "researchers", "ties": "", "networks": ""},
                      csrf_from=staff.get("/admin/personnes"))
    assert page.status == 422, page
    assert "L'adresse électronique n'est pas valide" in page.text and "la règle" not in page.text, page
    page = staff.post("/admin/personnes", {"nom": "Équipe CRESS", "courriel": "autre@cress-pdl.example",
                                           "role": "staff", "college": "researchers", "ties": "", "networks": ""},
                      csrf_from=staff.get("/admin/personnes"))
    assert page.status == 422, page
    assert "Une autre personne du même rôle a déjà un compte à ce nom" in page.text, page
    assert "(conflict)" not in page.text, page


def test_a_motivation_missing_is_refused_and_nothing_is_recorded():
    app_id, _ = submit()
    claire = member("Claire Moreau", "researchers")
    claire.get("/comite/dossier/" + app_id)
    page = claire.post("/comite/vote", {"id": app_id, "decision": "reject", "motivation": "  \n "})
    assert page.status == 422, page
    assert "Cette décision demande une motivation écrite" in page.text
    assert "champ « Motivation »" in page.text
    page = claire.post("/comite/vote", {"id": app_id, "decision": "changes", "motivation": ""})
    assert page.status == 422, page
    assert votes_in_queue(claire, app_id) == 0, "review recorded nothing"
    page = claire.post("/comite/vote", {"id": app_id, "decision": "reject",
                                        "motivation": "Aucune référence ESS vérifiable."})
    assert page.status == 200 and "Votre vote « Refuser »" in page.text, page


def test_a_decision_the_round_does_not_allow_is_refused():
    app_id, _ = submit()
    claire = member("Claire Moreau", "researchers")
    claire.get("/comite/dossier/" + app_id)
    for decision in ("reinstate", "withdraw", "publish"):
        page = claire.post("/comite/vote", {"id": app_id, "decision": decision, "motivation": "Motif."})
        assert page.status == 422, (decision, page)
        assert "Choisissez « Approuver », « Demander des modifications » ou « Refuser »" in page.text
    assert votes_in_queue(claire, app_id) == 0


def test_a_recused_member_sees_why_and_cannot_vote():
    app_id, document = submit()
    siren = document["organisation"]["siret"][:9]
    nadia = member("Nadia Ferhat", "ess_networks", ties=siren + "\n" + "477848642")
    page = nadia.get("/comite")
    recused = page.text.index("Dossiers dont vous êtes récusé·e")
    assert page.text.index(app_id) > recused, "shown apart"
    assert "Vous êtes lié·e à la structure candidate, « %s » (SIREN %s)." % (
        document["organisation"]["name"], siren) in page.text, page
    page = nadia.get("/comite/dossier/" + app_id)
    assert "vous ne pouvez pas voter" in page.text and "/comite/vote" not in page.text
    # A vote posted all the same: review refuses it, and the page says why in French.
    page = nadia.post("/comite/vote", {"id": app_id, "decision": "approve", "motivation": ""})
    assert page.status == 403, page
    assert "Vous êtes récusé·e sur ce dossier" in page.text, page
    claire = member("Claire Moreau", "researchers")
    assert votes_in_queue(claire, app_id) == 0


def test_a_member_recuses_themself_with_a_reason():
    app_id, _ = submit()
    sophie = member("Sophie Bernard", "local_authorities")
    sophie.get("/comite/dossier/" + app_id)
    page = sophie.post("/comite/recusation", {"id": app_id, "reason": "   "})
    assert page.status == 422 and "Écrivez le motif de votre récusation" in page.text, page
    page = sophie.post("/comite/recusation", {"id": app_id, "reason": "J'ai conseillé cette mutuelle en 2024."})
    assert page.status == 200 and "Récusation enregistrée" in page.text, page
    page = sophie.get("/comite")
    assert page.text.index(app_id) > page.text.index("Dossiers dont vous êtes récusé·e")
    assert "« J'ai conseillé cette mutuelle en 2024. »" in page.text


def test_a_member_on_a_staff_page_gets_403():
    claire = member("Claire Moreau", "researchers")
    for path in ("/admin", "/admin/personnes", "/admin/candidatures", "/admin/horloge"):
        page = claire.get(path)
        assert page.status == 403, (path, page)
    claire.get("/comite")
    page = claire.post("/admin/dossier/retrait", {"id": "x", "reason": "y"})
    assert page.status == 403, page
    # And the staff has no member page.
    assert staff.get("/comite").status == 403


# ------------------------------------------------------------------ staff

def test_staff_find_every_application_by_name_siret_id_and_state():
    app_id, document = submit()
    name = document["organisation"]["name"]
    siret = document["organisation"]["siret"]
    page = staff.get("/admin/candidatures")
    assert page.status == 200 and app_id in page.text, page
    spaced = " ".join([siret[:3], siret[3:6], siret[6:9], siret[9:]])
    for query in (name.lower().replace("é", "e"), spaced, app_id):
        page = staff.get("/admin/candidatures?q=" + urllib_quote(query))
        assert page.text.count("/admin/dossier/") == 1 and app_id in page.text, (query, page)
    page = staff.get("/admin/candidatures?etat=in_review&q=" + urllib_quote(app_id))
    assert app_id in page.text
    page = staff.get("/admin/candidatures?etat=withdrawn&q=" + urllib_quote(app_id))
    assert "Aucune candidature ne correspond" in page.text


def test_a_query_follows_the_rules_of_a_form():
    """A search the page would echo is read as a posted form is: valid
    UTF-8 and no NUL, or it is dropped; the page stays valid UTF-8 (Page
    decodes it strictly)."""
    app_id, document = submit()
    for raw in ("%FF%FEab", "ab%C3", "%ED%A0%80", "ab%00cd"):
        page = staff.get("/admin/candidatures?etat=in_review&q=" + raw)
        assert page.status == 200, (raw, page)
        assert 'name="q" value=""' in page.raw and app_id in page.text, (raw, page)
    page = staff.get("/admin/candidatures?q=" + urllib_quote(document["organisation"]["name"]))
    assert 'name="q" value="%s"' % document["organisation"]["name"] in page.text and app_id in page.text, page


def urllib_quote(text):
    import urllib.parse
    return urllib.parse.quote(text)


def test_staff_withdraw_complain_and_erase_from_the_file_page():
    app_id, _ = submit()
    page = staff.get("/admin/dossier/" + app_id)
    assert page.status == 200 and "Devant le comité" in page.text, page
    assert "La chaîne de l'historique est intacte" in page.text
    assert "Candidature déposée</strong>, par la structure" in page.text
    assert "/admin/dossier/reclamation" not in page.text, "no complaint on a file that is not listed"
    page = staff.post("/admin/dossier/retrait", {"id": app_id, "reason": " "})
    assert page.status == 422 and "Écrivez le motif" in page.text, page
    page = staff.post("/admin/dossier/retrait", {"id": app_id, "reason": "Demande de la structure."})
    assert page.status == 200 and "Le dossier est retiré" in page.text, page
    stack.wait_state(app_id, "withdrawn")
    # A complaint refused on a withdrawn file, said in French.
    page = staff.post("/admin/dossier/reclamation", {"id": app_id, "reason": "Plainte."})
    assert page.status == 409 and "Seule une inscription en cours" in page.text, page
    # Erasure: only with the id typed again.
    page = staff.post("/admin/dossier/effacement", {"id": app_id, "confirm": app_id[:-1]})
    assert page.status == 422 and "rien n'a été effacé" in page.text, page
    page = staff.post("/admin/dossier/effacement", {"id": app_id, "confirm": " " + app_id + " "})
    assert page.status == 200 and "sont effacées" in page.text, page
    assert "Dossier aux données effacées" in page.text
    assert "La chaîne de l'historique est intacte" in page.text
    page = staff.get("/admin/dossier/inconnu0000000000")
    assert page.status == 404, page


def test_a_complaint_round_offers_reinstate_and_withdraw():
    app_id, _ = submit()
    voters = [member("Claire Moreau", "researchers"), member("Hervé Le Guen", "ess_networks"),
              member("Sophie Bernard", "local_authorities")]
    for person in voters:
        person.get("/comite/dossier/" + app_id)
        assert person.post("/comite/vote", {"id": app_id, "decision": "approve"}).status == 200
    stack.wait_state(app_id, "published")
    page = staff.get("/admin/dossier/" + app_id)
    assert "/admin/dossier/reclamation" in page.text
    page = staff.post("/admin/dossier/reclamation", {"id": app_id, "reason": "Plainte d'un client : confidentialité."})
    assert page.status == 200 and "La réclamation est ouverte" in page.text, page
    stack.wait_state(app_id, "suspended")
    claire = voters[0]
    page = claire.get("/comite/dossier/" + app_id)
    assert "Plainte d'un client : confidentialité." in page.text, page
    assert "Rétablir l'inscription</button>" in page.text and "Approuver</button>" not in page.text
    assert "Candidature approuvée</strong>" in page.text, "the earlier round, with its decision"
    page = claire.post("/comite/vote", {"id": app_id, "decision": "approve"})
    assert page.status == 422 and "réclamation" in page.text, page
    page = claire.post("/comite/vote", {"id": app_id, "decision": "withdraw", "motivation": ""})
    assert page.status == 422 and "motivation écrite" in page.text, page


def test_people_are_added_rekeyed_and_removed():
    page = staff.post("/admin/personnes", {"nom": "Paul Tie", "courriel": "paul@comite.example", "role": "member",
                                           "college": "researchers", "ties": "477848642\n12345", "networks": ""},
                      csrf_from=staff.get("/admin/personnes"))
    assert page.status == 422, page
    assert "SIREN (9 chiffres)" in page.text and "(ligne 2)" in page.text, page
    assert 'value="Paul Tie"' in page.text, "what was typed is given back"
    link = desk_web.add_member(staff, "Paul Tie", "paul@comite.example", "researchers",
                               ties="477 848 642", networks="Union des mutuelles")
    page = staff.get("/admin/personnes")
    assert "Paul Tie" in page.text and "SIREN 477848642" in page.text and "Union des mutuelles" in page.text
    assert "invitation envoyée" in page.text
    paul = desk_web.Person(stack.port + 11)
    assert paul.accept_invitation(link).status == 200
    assert paul.get("/comite").status == 200
    # New keys: the old session can no longer act; the new link works.
    page = staff.post("/admin/personnes/cles", {"name": "Paul Tie"})
    assert page.status == 200 and "a de nouvelles clés" in page.text, page
    new_link = re.search(r'id="lien-invitation">([^<]+)<', page.text).group(1)
    assert new_link != link
    assert "Mes dossiers" not in paul.get("/comite").text, "the old session ended"
    paul = desk_web.Person(stack.port + 11)
    assert paul.accept_invitation(new_link).status == 200 and paul.get("/comite").status == 200
    # Removal asks first, then takes the member off the committee.
    page = staff.post("/admin/personnes/retrait", {"name": "Paul Tie"})
    assert page.status == 200 and "ne pourra plus voter" in page.text and 'name="confirm"' in page.text
    page = staff.post("/admin/personnes/retrait", {"name": "Paul Tie", "confirm": "1"})
    assert page.status == 200 and "Paul Tie est retiré·e" in page.text, page
    members = stack.staff().call("member_list")["members"]
    assert "Paul Tie" not in [m["name"] for m in members]
    assert "Mes dossiers" not in paul.get("/comite").text


def key_refused(name):
    """True when review no longer answers the member's own key."""
    client = stack.review_as(name, timeout=1.0, tries=1)
    try:
        client.call("queue")
        return False
    except TimeoutError:
        return True
    finally:
        client.close()


def test_removing_a_member_spares_the_staff_person_of_the_same_name():
    # The staff account sorts first by address: a match on the name alone
    # would find it before the member's.
    lea_staff = desk_web.staff_person(stack, "lea@cress.example", "Léa Martin")
    stack.essp("member", "add", "Léa Martin", "--college", "researchers", "--email", "martin.lea@comite.example")
    assert not key_refused("Léa Martin"), "the member votes with their key before"
    page = staff.get("/admin/personnes")
    assert page.text.count("martin.lea@comite.example") == 1 and "lea@cress.example · compte actif" in page.text
    row = page.text[page.text.index("Léa Martin<br>"):]
    assert row[:row.index("</th>")].count("martin.lea@comite.example") == 1, "the member's row shows the member's account"
    page = staff.post("/admin/personnes/retrait", {"name": "Léa Martin", "confirm": "1"})
    assert page.status == 200 and "Léa Martin est retiré·e" in page.text, page
    members = stack.staff().call("member_list")["members"]
    assert "Léa Martin" not in [m["name"] for m in members], "off the committee"
    assert key_refused("Léa Martin"), "the member's key is refused"
    accounts = {a["email"]: a for a in stack.staff(service="desk").call("account_list")["accounts"]}
    assert "martin.lea@comite.example" not in accounts, accounts
    assert accounts["lea@cress.example"]["role"] == "staff", "the staff account stays"
    assert "Ajouter une personne" in lea_staff.get("/admin/personnes").text, "the staff person's session goes on"
    # New keys from a member's row are the member's too.
    desk_web.add_member(staff, "Léa Martin", "martin.lea2@comite.example", "researchers")
    page = staff.post("/admin/personnes/cles", {"name": "Léa Martin"})
    assert page.status == 200 and "Léa Martin a de nouvelles clés" in page.text, page
    assert "Ajouter une personne" in lea_staff.get("/admin/personnes").text, "the staff key was not replaced"
    accounts = {a["email"]: a for a in stack.staff(service="desk").call("account_list")["accounts"]}
    assert accounts["lea@cress.example"]["state"] == "active", accounts


def test_removing_a_member_without_an_account_revokes_their_key():
    stack.essp("member", "add", "Marc Sansbureau", "--college", "local_authorities")
    assert not key_refused("Marc Sansbureau")
    page = staff.post("/admin/personnes/retrait", {"name": "Marc Sansbureau", "confirm": "1"},
                      csrf_from=staff.get("/admin/personnes"))
    assert page.status == 200 and "Marc Sansbureau est retiré·e" in page.text, page
    assert "Marc Sansbureau" not in [m["name"] for m in stack.staff().call("member_list")["members"]]
    assert key_refused("Marc Sansbureau"), "the key made by essp member add is refused"


def test_the_clock_ticks_and_the_quorum_is_shown():
    page = staff.get("/admin/horloge")
    assert "Votes nécessaires pour décider un tour</dt><dd>3</dd>" in page.text, page
    assert "Collèges différents parmi ces votes</dt><dd>2</dd>" in page.text
    page = staff.post("/admin/horloge", {"now": "pas une date"})
    assert page.status == 422 and "La date n'est pas lisible" in page.text
    page = staff.post("/admin/horloge", {"now": ""})
    assert page.status == 200 and "aucune inscription n'était arrivée à échéance" in page.text, page
    listed = re.findall(r'/admin/dossier/([0-9a-z]+)"', staff.get("/admin/candidatures?etat=approved").text)
    assert listed, "the file approved by an earlier test is listed"
    page = staff.post("/admin/horloge", {"now": "2099-01-01"}, csrf_from=staff.get("/admin/horloge"))
    assert page.status == 200, page
    for app_id in listed:
        assert '/admin/dossier/%s"' % app_id in page.text, app_id
    stack.wait_state(listed[0], "withdrawn")


try:
    harness.run([
        test_the_queue_lists_new_files_first_with_filters_and_counts,
        test_the_file_reads_by_article_and_three_votes_decide_it,
        test_a_vote_on_a_round_closed_since_is_refused,
        test_a_listing_update_reads_in_french_on_the_staff_page,
        test_refusals_of_the_people_form_are_said_in_french,
        test_a_motivation_missing_is_refused_and_nothing_is_recorded,
        test_a_decision_the_round_does_not_allow_is_refused,
        test_a_recused_member_sees_why_and_cannot_vote,
        test_a_member_recuses_themself_with_a_reason,
        test_a_member_on_a_staff_page_gets_403,
        test_staff_find_every_application_by_name_siret_id_and_state,
        test_a_query_follows_the_rules_of_a_form,
        test_staff_withdraw_complain_and_erase_from_the_file_page,
        test_a_complaint_round_offers_reinstate_and_withdraw,
        test_people_are_added_rekeyed_and_removed,
        test_removing_a_member_spares_the_staff_person_of_the_same_name,
        test_removing_a_member_without_an_account_revokes_their_key,
        test_the_clock_ticks_and_the_quorum_is_shown,
    ])
finally:
    stack.cleanup()
