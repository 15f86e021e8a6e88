"""essp-notify in the stack: every kind of letter, sent once to a real SMTP
server on loopback (aiosmtpd, tests/stack/smtp_server.py), with the French
content a person would check (the file, the criterion, the motivation, the
end date, a tracking link that opens); the committee's digest (never a
file the member stepped aside from; List-Unsubscribe there only); the
listing reminders 60 and 14 days before the end (`essp mail tick --at`);
the staff's letters; an erased address that gets nothing more.  The
server asks for AUTH, over plain SMTP on loopback (ESSP_SMTP_STARTTLS=0
said explicitly); refusing the session for a while (535 to AUTH, 553 to
MAIL FROM) fails no letter, and a reply in Latin-1 is recorded.  notify
will not send a password in clear to another host.  Then the default
stack, with no SMTP server: the letters are .eml files in the Maildir
$ESSP_HOME/mail/new that Python's email module reads."""

import copy
import email
import subprocess
import email.policy
import glob
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import HTTP_OFFSET, Client  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
STAFF_EMAIL = "equipe@esspratiques.example"
MEMBERS = (("Claire Moreau", "researchers", "claire.moreau@univ-nantes.example"),
           ("Hervé Le Guen", "local_authorities", "herve.leguen@vendee.example"),
           ("Sophie Bernard", "ess_networks", "sophie.bernard@cress-pdl.example"))
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
DAY = 86400

SMTP_AUTH = ("essp", "mot-de-passe-du-relais")
server = SmtpServer(auth=SMTP_AUTH).start()
# A retry a second after a failure (60 s by default): the session refused
# for a while costs seconds.
stack = harness.Stack(BIN, env={"ESSP_SMTP_URL": server.url, "ESSP_STAFF_EMAIL": STAFF_EMAIL,
                                "ESSP_MAIL_FROM": "annuaire@esspratiques.example",
                                "ESSP_SMTP_USER": SMTP_AUTH[0], "ESSP_SMTP_PASSWORD": SMTP_AUTH[1],
                                "ESSP_SMTP_STARTTLS": "0", "ESSP_MAIL_RETRY_FIRST_S": "1"})
numbers = iter(range(1, 10 ** 6))


def french_date(t):
    day = time.gmtime(t)
    return "%d %s %d" % (day.tm_mday, MONTHS[day.tm_mon - 1], day.tm_year)


def application(kind="valid", name="mutuelle-entraide-vendee.json"):
    """A fixture with a SIRET, a name and a contact address of its own."""
    n = next(numbers)
    document = harness.numbered_fixture(200 + n, kind, name)
    if kind != "valid":
        document["organisation"]["siret"] = harness.fixture(kind, name)["organisation"]["siret"]
    address = "contact-%d@essais.example" % n
    document["organisation"]["private_contact"]["email"] = address
    return document, address


def submit(document):
    path = harness.write_json(stack.home, "application-%d.json" % next(numbers), document)
    return stack.essp_json("submit", path)


def letter(address, subject_part, count=1, timeout=60):
    """The one letter to address whose subject holds subject_part, once it
    arrived; fails if it arrived more than once."""
    def arrived(messages):
        return sum(m.rcpt == address and subject_part in m.message["Subject"] for m in messages) >= count
    server.wait_for(arrived, timeout, "letter « %s » to %s" % (subject_part, address))
    found = [m for m in server.to(address) if subject_part in m.message["Subject"]]
    assert len(found) == count, found
    assert len({m.message_id for m in server.snapshot()}) == len(server.snapshot()), "one copy each"
    return found[-1]


def vote(app_id, decision, members=MEMBERS, motivation=None):
    for name, _, _ in members:
        extra = ["--motivation", motivation] if motivation else []
        stack.essp_json("vote", app_id, decision, "--as", name, *extra)


def in_review(document):
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    return receipt


def published(document):
    receipt = in_review(document)
    vote(receipt["id"], "approve")
    return receipt, stack.wait_state(receipt["id"], "published")


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def headers_are_sound(m, address):
    """What every letter carries: the addresses, a dated, identified,
    French message with a plain-text part."""
    assert m.message["To"].addresses[0].addr_spec == address, m.message["To"]
    assert m.message["From"].addresses[0].addr_spec == "annuaire@esspratiques.example", m.message["From"]
    assert m.message["Date"] and re.match(r"<[^<>@\s]+@[^<>@\s]+>$", m.message_id), m.message_id
    assert m.message["Auto-Submitted"] == "auto-generated", m.message["Auto-Submitted"]
    assert "Bonjour" in m.text() and m.html().lstrip().lower().startswith("<!doctype html")


def nothing_failed():
    """No letter failed, and no staff notice of one."""
    assert stack.essp_lines("mail", "failed") == []
    assert not [m for m in server.to(STAFF_EMAIL) if "non distribué" in m.message["Subject"]]


# ------------------------------------------------------------------ tests

def test_the_session_refused_for_a_while_fails_no_letter():
    """A wrong password (535 to AUTH) twice, then the sender refused (553
    to MAIL FROM): the server refuses every letter alike, none is failed;
    all leave once it accepts, each once."""
    server.answer("AUTH", "535", 2)
    server.answer("MAIL", "553 5.7.1 <annuaire@esspratiques.example>: Sender address rejected", 1)
    document, address = application()
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    letter(address, "est enregistrée")
    letter(address, "examinée par le comité")
    assert server.scripted == {"AUTH": 2, "MAIL": 1}, server.scripted
    nothing_failed()
    said = stack.log("notify")
    assert "refuses the session at AUTH (535" in said and "at MAIL FROM (553" in said, said


def test_a_reply_in_latin_1_is_recorded():
    """A 451 in Latin-1 to RCPT TO: the letter is retried (the core keeps
    only UTF-8, and the server's words are kept as ASCII) and arrives."""
    server.answer("RCPT", "451 4.3.0 Bo\xeete pleine, r\xe9essayez plus tard".encode("latin-1"), 1)
    document, address = application()
    submit(document)
    letter(address, "est enregistrée", timeout=30)
    assert server.scripted["RCPT"] == 1
    nothing_failed()


def test_no_password_in_clear_to_another_host():
    """AUTH on smtp:// to a host other than loopback with STARTTLS=0: notify
    refuses to start, and says why."""
    env = dict(stack.env, ESSP_SMTP_URL="smtp://192.0.2.1:587", ESSP_SMTP_STARTTLS="0",
               ESSP_HOME=os.path.join(stack.home, "clear"), ESSP_PORT=str(harness.free_base_port()))
    os.makedirs(os.path.join(env["ESSP_HOME"], "log"))
    done = subprocess.run([os.path.join(BIN, "essp-notify")], env=env, cwd=env["ESSP_HOME"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert done.returncode != 0, done.stdout
    with open(os.path.join(env["ESSP_HOME"], "log", "notify.log"), errors="replace") as f:
        said = f.read() + done.stdout.decode(errors="replace")
    assert "password in clear" in said, said


def test_receipt_with_a_tracking_link_that_opens():
    document, address = application()
    receipt = submit(document)
    m = letter(address, "est enregistrée")
    headers_are_sound(m, address)
    assert receipt["id"] in m.message["Subject"]
    text = m.text()
    assert "« %s »" % document["organisation"]["name"] in text, text
    links = re.findall(r"(http://\S+/suivi/%s#jeton=(\S+))" % receipt["id"], text)
    assert links and links[0][1] == receipt["token"], text
    gateway = "http://127.0.0.1:%d/" % (stack.port + HTTP_OFFSET)
    assert links[0][0].startswith(gateway), (links, gateway)
    status, page = http_get(links[0][0].split("#")[0])
    assert status == 200 and receipt["id"] in page
    assert "List-Unsubscribe" not in m.message, "an applicant's letter is no mailing list"
    # The page of the file, and the lost-link page, open too.
    assert http_get(gateway + "suivi/lien-perdu")[0] == 200


def test_incomplete_names_the_criterion():
    document, address = application("invalid", "ESS-ID-siret-checksum.json")
    receipt = submit(document)
    stack.wait_state(receipt["id"], "incomplete")
    m = letter(address, "est incomplète")
    headers_are_sound(m, address)
    text = m.text()
    assert "SIRET" in text and receipt["id"] in text, text
    assert "/suivi/%s" % receipt["id"] in text


def test_in_review_then_changes_requested_with_the_motivation():
    document, address = application()
    receipt = in_review(document)
    letter(address, "examinée par le comité")
    motivation = "Merci de préciser vos références auprès de structures de l’ESS."
    vote(receipt["id"], "changes", motivation=motivation)
    stack.wait_state(receipt["id"], "changes_requested")
    m = letter(address, "demande des modifications")
    assert motivation in m.text(), m.text()


def test_rejected_then_appeal_received():
    document, address = application()
    receipt = in_review(document)
    motivation = "Aucune référence ESS vérifiable n’est fournie."
    vote(receipt["id"], "reject", motivation=motivation)
    stack.wait_state(receipt["id"], "rejected")
    m = letter(address, "Décision du comité sur votre candidature")
    assert motivation in m.text() and "appel" in m.text(), m.text()
    appeal = "Nos références figurent en annexe : ADMR et Vendée Insertion."
    stack.essp_json("appeal", receipt["id"], "--motivation", appeal, "--token", receipt["token"])
    m = letter(address, "Votre appel")
    assert appeal in m.text(), m.text()


def test_approved_and_published_with_the_end_date():
    document, address = application()
    receipt, status = published(document)
    end = french_date(status["expires"])
    approved = letter(address, "est approuvée")
    assert end in approved.text(), (end, approved.text())
    m = letter(address, "est publiée")
    assert end in m.text() and "« %s »" % document["organisation"]["name"] in m.text(), m.text()


def test_updates_of_a_listing_published_or_refused_without_an_approval_letter():
    document, address = application()
    receipt, status = published(document)
    letter(address, "est publiée")
    minor = copy.deepcopy(document)
    minor["organisation"]["public_contact"]["phone"] = "02 51 11 22 33"
    path = harness.write_json(stack.home, "update-%d.json" % next(numbers), minor)
    assert stack.essp_json("amend", receipt["id"], path, "--token", receipt["token"])["substantive"] is False
    m = letter(address, "est publiée", count=2)
    assert "« %s »" % document["organisation"]["name"] in m.text(), m.text()
    substantive = copy.deepcopy(minor)
    substantive["offer"]["themes"] = ["ethics_deontology"]
    path = harness.write_json(stack.home, "update-%d.json" % next(numbers), substantive)
    assert stack.essp_json("amend", receipt["id"], path, "--token", receipt["token"])["substantive"] is True
    deadline = time.monotonic() + 30
    while receipt["id"] not in [i["id"] for i in stack.essp_lines("queue", "--as", MEMBERS[0][0])]:
        assert time.monotonic() < deadline, "the update's round never opened"
        time.sleep(0.05)
    motivation = "Le thème de la déontologie n’est appuyé par aucune référence."
    vote(receipt["id"], "reject", motivation=motivation)
    m = letter(address, "mise à jour de votre fiche")
    headers_are_sound(m, address)
    assert motivation in m.text() and "reste publiée" in m.text() and "appel" not in m.text(), m.text()
    # review's stream is read in order: the minor update's decision came
    # before this refusal, and it wrote no « candidature approuvée ».
    assert len([x for x in server.to(address) if "est approuvée" in x.message["Subject"]]) == 1


def test_reminders_60_and_14_days_before_the_end():
    document, address = application()
    receipt, status = published(document)
    expires = status["expires"]
    end = french_date(expires)
    stack.essp_json("mail", "tick", "--at", str(expires - 60 * DAY))
    m = letter(address, "prend fin le %s" % end)
    assert "renouvel" in m.text(), m.text()
    # The same day asked again: nothing more; fourteen days before: the last one.
    assert stack.essp_json("mail", "tick", "--at", str(expires - 60 * DAY))["letters"] == 0
    stack.essp_json("mail", "tick", "--at", str(expires - 14 * DAY))
    letter(address, "prend fin le %s" % end, count=2)


def test_withdrawn_with_the_reason():
    document, address = application()
    receipt, _ = published(document)
    reason = "La structure a cessé son activité d’accompagnement."
    stack.essp_json("withdraw", receipt["id"], "--reason", reason)
    stack.wait_state(receipt["id"], "withdrawn")
    m = letter(address, "est retirée")
    assert reason in m.text(), m.text()


def test_suspended_then_the_outcome_and_the_staff_told():
    document, address = application()
    receipt, _ = published(document)
    reason = "Un client signale une prestation non conforme à la charte."
    stack.essp_json("complaint", receipt["id"], "--reason", reason)
    stack.wait_state(receipt["id"], "suspended")
    m = letter(address, "est suspendue")
    assert "réclamation" in m.text() and receipt["id"] in m.text(), m.text()
    staff = letter(STAFF_EMAIL, "Réclamation ouverte : dossier %s" % receipt["id"])
    assert "« %s »" % document["organisation"]["name"] in staff.text(), staff.text()
    vote(receipt["id"], "reinstate", motivation="La prestation était conforme.")
    stack.wait_state(receipt["id"], "published")
    m = letter(address, "Décision du comité sur la réclamation")
    assert "rétablie" in m.text() and "La prestation était conforme." in m.text(), m.text()


def test_token_reissued_with_a_new_link():
    document, address = application()
    receipt = submit(document)
    letter(address, "est enregistrée")
    intake = Client(stack.port, "intake")
    assert intake.call("token_reissue", contact=address)["type"] == "reissue_ack"
    intake.close()
    m = letter(address, "nouveau lien de suivi")
    token = re.findall(r"/suivi/%s#jeton=(\S+)" % receipt["id"], m.text())
    assert token and token[0] != receipt["token"], m.text()
    status = stack.essp_json("status", receipt["id"], "--token", token[0])
    assert status["id"] == receipt["id"]


def test_erased_then_nothing_more_to_that_address():
    document, address = application()
    receipt = in_review(document)
    letter(address, "examinée par le comité")
    stack.essp_json("erase", receipt["id"])
    m = letter(address, "Vos données ont été effacées")
    assert "List-Unsubscribe" not in m.message
    # The letter left from a later turn than the erasure's, which ended
    # with a compaction of notify's store: what the erasure deleted does
    # not stay in LMDB's freed pages.
    compacted = [line for line in stack.log_lines("notify")
                 if line.get("msg", "").startswith("compacted ") and "/data/notify" in line["msg"]]
    assert len(compacted) == 1, compacted
    letter(STAFF_EMAIL, "Effacement effectué : dossier %s" % receipt["id"])
    # The same address applies again: no letter goes to it any more, while
    # a file submitted after it gets its own (letters leave in order).
    again, _ = application()
    again["organisation"]["private_contact"]["email"] = address
    second = submit(again)
    later, other = application()
    submit(later)
    stack.wait_state(second["id"], "in_review")
    letter(other, "examinée par le comité")
    assert [m.message["Subject"] for m in server.to(address)] == [
        "Votre candidature n° %s est enregistrée" % receipt["id"],
        "Votre candidature n° %s est examinée par le comité" % receipt["id"],
        "Vos données ont été effacées"], server.to(address)
    # Held back, and shown to staff as such.
    held = [f for f in stack.essp_lines("mail", "failed") if f["id"] == second["id"]]
    assert held and all(f["to"] == address and "effacée" in f["error"] for f in held), held


def test_member_digest_leaves_out_a_recused_file():
    first, _ = application()
    second, _ = application("valid", "scop-ancrage-conseil-nantes.json")
    a = in_review(first)["id"]
    b = in_review(second)["id"]
    stack.essp_json("recuse", b, "--as", "Claire Moreau", "--reason", "J’ai conseillé cette SCOP en 2024.")
    stack.essp_json("mail", "digest")
    claire = letter(MEMBERS[0][2], "nouveaux dossiers à examiner")
    herve = letter(MEMBERS[1][2], "nouveaux dossiers à examiner")
    assert a in claire.text() and b not in claire.text(), claire.text()
    assert a in herve.text() and b in herve.text(), herve.text()
    assert claire.message["List-Unsubscribe"], "a digest says how to stop it"
    assert "<http" in claire.message["List-Unsubscribe"]
    # The digest of the same day, asked again, repeats nothing.
    assert stack.essp_json("mail", "digest")["letters"] == 0
    vote(a, "approve")
    vote(b, "approve", MEMBERS[1:])


def setup():
    stack.start()
    stack.start("notify")
    for name, college, address in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college, "--email", address)


def test_the_default_stack_writes_the_maildir():
    """No ESSP_SMTP_URL: the letters are files of $ESSP_HOME/mail/new."""
    plain = harness.Stack(BIN)
    try:
        plain.start()
        plain.start("notify")
        document, address = application()
        path = harness.write_json(plain.home, "application.json", document)
        receipt = plain.essp_json("submit", path)
        plain.wait_state(receipt["id"], "in_review")
        new = os.path.join(plain.home, "mail", "new")
        deadline = time.monotonic() + 30
        while len(glob.glob(os.path.join(new, "*.eml"))) < 2:
            assert time.monotonic() < deadline, os.listdir(new)
            time.sleep(0.05)
        assert not os.listdir(os.path.join(plain.home, "mail", "tmp"))
        subjects = []
        for name in glob.glob(os.path.join(new, "*.eml")):
            with open(name, "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            assert m["To"].addresses[0].addr_spec == address and m["Message-ID"], name
            assert receipt["id"] in m.get_body(preferencelist=("plain",)).get_content()
            subjects.append(m["Subject"])
        assert sorted(subjects) == sorted(["Votre candidature n° %s est enregistrée" % receipt["id"],
                                           "Votre candidature n° %s est examinée par le comité"
                                           % receipt["id"]]), subjects
    finally:
        plain.cleanup()


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_the_session_refused_for_a_while_fails_no_letter, test_a_reply_in_latin_1_is_recorded,
                     test_no_password_in_clear_to_another_host, test_receipt_with_a_tracking_link_that_opens, test_incomplete_names_the_criterion,
                     test_in_review_then_changes_requested_with_the_motivation,
                     test_rejected_then_appeal_received, test_approved_and_published_with_the_end_date,
                     test_updates_of_a_listing_published_or_refused_without_an_approval_letter,
                     test_reminders_60_and_14_days_before_the_end, test_withdrawn_with_the_reason,
                     test_suspended_then_the_outcome_and_the_staff_told, test_token_reissued_with_a_new_link,
                     test_erased_then_nothing_more_to_that_address,
                     test_member_digest_leaves_out_a_recused_file, test_the_default_stack_writes_the_maildir])
    finally:
        stack.cleanup()
        server.stop()
