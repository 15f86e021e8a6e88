"""essp-notify under trouble, against a real SMTP server on loopback
(aiosmtpd, tests/stack/smtp_server.py):
  - notify killed with SIGKILL right after the server wrote its 250 and
    before notify committed "sent": the letter comes once more, with the
    same Message-ID and the same bytes (the one window, sender.c);
  - notify killed with SIGKILL 5 times while 500 applications go through
    the pipeline to their decisions: every expected letter arrives, and a
    letter that arrives twice carries the same Message-ID (at most one per
    kill);
  - the SMTP server down for 30 s: applications are published meanwhile,
    the letters all arrive once it is back;
  - a 550 for one address: recorded, listed by `essp mail failed`, never
    retried (the server saw one attempt per letter), the others delivered."""

import collections
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client, staff_client  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
COUNT = int(os.environ.get("ESSP_NOTIFY_APPLICATIONS", "500"))
KILLS = 5
STAFF_EMAIL = "equipe@esspratiques.example"
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
# The letters an applicant gets: a file that goes to publication, one whose
# SIRET is wrong (incomplete, and nothing after).
VALID_KINDS = ("receipt", "in_review", "approved", "published")
INCOMPLETE_KINDS = ("receipt", "incomplete")

server = SmtpServer().start()
stack = harness.Stack(BIN, env={"ESSP_SMTP_URL": server.url, "ESSP_STAFF_EMAIL": STAFF_EMAIL,
                                "ESSP_MAIL_FROM": "annuaire@esspratiques.example"})
serial = iter(range(1, 10 ** 6))


def contact(n):
    return "contact-%d@essais.example" % n


def document(n, incomplete=False):
    templates = harness.fixture_names("valid")
    doc = harness.fixture("valid", templates[n % len(templates)])
    doc["organisation"] = dict(doc["organisation"])
    siret = harness.make_siret(300000 + n)
    if incomplete:
        siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    doc["organisation"]["siret"] = siret
    doc["organisation"]["name"] = "%s n°%d" % (doc["organisation"]["name"], n)
    doc["organisation"]["private_contact"] = dict(doc["organisation"]["private_contact"], email=contact(n))
    return doc


def submit(numbers, incomplete=()):
    client = Client(stack.port, "intake", timeout=2.0, tries=50)
    try:
        ids = {}
        for n in numbers:
            reply = client.call("submit", application=document(n, n in incomplete), key="notify-%d" % n)
            assert reply["type"] == "receipt", reply
            ids[n] = reply["id"]
        return ids
    finally:
        client.close()


def states(ids):
    client = staff_client(stack.port, "intake", timeout=2.0, tries=50)
    try:
        return {i: client.call("status", id=i)["state"] for i in ids}
    finally:
        client.close()


def wait_states(ids, allowed, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        current = states(ids)
        waiting = {i: s for i, s in current.items() if s not in allowed}
        if not waiting:
            return current
        assert time.monotonic() < deadline, "%d files stuck: %s" % (len(waiting), list(waiting.items())[:5])
        time.sleep(0.1)


def approve(ids):
    clients = [stack.review_as(name, timeout=2.0, tries=50) for name, _ in MEMBERS]
    try:
        for app_id in ids:
            for client in clients:
                reply = client.call("vote", id=app_id, decision="approve")
                assert reply["type"] == "vote_ack", reply
    finally:
        for client in clients:
            client.close()


def through_pipeline(numbers, incomplete=()):
    """Submits, then votes on every file that reaches the committee;
    returns {number: id} once every file is published or incomplete."""
    ids = submit(numbers, incomplete)
    settled = wait_states(list(ids.values()), ("in_review", "incomplete"))
    approve([i for i in ids.values() if settled[i] == "in_review"])
    wait_states(list(ids.values()), ("published", "incomplete"))
    return ids


def expected_letters(numbers, incomplete=()):
    return {contact(n): len(INCOMPLETE_KINDS if n in incomplete else VALID_KINDS) for n in numbers}


def by_recipient(messages, addresses):
    """{address: {Message-ID: [copies]}} for the addresses asked for."""
    got = collections.defaultdict(lambda: collections.defaultdict(list))
    for m in messages:
        if m.rcpt in addresses:
            got[m.rcpt][m.message_id].append(m)
    return got


def wait_letters(expected, timeout=300):
    """Waits until every address has its count of distinct Message-IDs."""
    def complete(messages):
        got = by_recipient(messages, expected)
        return all(len(got[a]) >= n for a, n in expected.items())
    try:
        server.wait_for(complete, timeout, "every expected letter")
    except AssertionError:
        got = by_recipient(server.snapshot(), expected)
        short = {a: sorted(m[0].message["Subject"] for m in got[a].values())
                 for a, n in expected.items() if len(got[a]) < n}
        raise AssertionError("%d addresses lack letters, e.g. %s" % (len(short), list(short.items())[:4]))
    got = by_recipient(server.snapshot(), expected)
    for address, n in expected.items():
        assert len(got[address]) == n, (address, sorted(got[address]))
    return got


def notify_pid():
    return stack.processes["notify"].pid


# ---------------------------------------------------------------- the tests

def test_kill_between_the_250_and_the_commit():
    """The window: the server has the message and has answered 250, notify
    has not committed it as sent.  After the kill, the same letter again."""
    n = next(serial)
    watched = contact(n)

    def stop_notify(envelope):
        if envelope.rcpt_tos == [watched] and not server.after_250.is_set():
            os.kill(notify_pid(), signal.SIGSTOP)   # it cannot read the 250 any more
            return True
        return False

    server.after_250.clear()
    server.before_250 = stop_notify
    submit([n], incomplete={n})
    assert server.after_250.wait(60), "the receipt never reached the server"
    server.before_250 = None
    stack.kill("notify")                           # SIGKILL, stopped between the 250 and the commit
    first = server.to(watched)
    assert len(first) == 1, first
    stack.start("notify")
    # The receipt again, then the incomplete letter, once.
    server.wait_for(lambda ms: len({m.message_id for m in ms if m.rcpt == watched}) == 2
                    and sum(m.rcpt == watched for m in ms) == 3, 60, "the receipt twice, then the next")
    copies = collections.Counter(m.message_id for m in server.to(watched))
    assert copies[first[0].message_id] == 2, copies
    again = [m for m in server.to(watched) if m.message_id == first[0].message_id]
    assert again[0].data == again[1].data, "the duplicate is the same message, byte for byte"
    print("kill between 250 and commit: 1 duplicate, Message-ID %s" % first[0].message_id, flush=True)


def test_kill_9_five_times_during_500_applications():
    numbers = [next(serial) for _ in range(COUNT)]
    incomplete = {n for i, n in enumerate(numbers) if i % 10 == 7}
    expected = expected_letters(numbers, incomplete)
    total = sum(expected.values())
    before = len(server.snapshot())
    kills = []

    def killer():
        # Each kill once the server has seen another sixth of the letters:
        # it always lands while letters flow.
        for k in range(1, KILLS + 1):
            server.wait_count(before + total * k // (KILLS + 1), timeout=600)
            stack.kill("notify")
            kills.append(len(server.snapshot()) - before)
            stack.start("notify")

    thread = threading.Thread(target=killer)
    started = time.monotonic()
    thread.start()
    ids = through_pipeline(numbers, incomplete)
    pipeline_s = time.monotonic() - started
    got = wait_letters(expected, timeout=600)
    thread.join(600)
    assert len(kills) == KILLS, kills
    copies = [c for letters in got.values() for c in letters.values()]
    duplicates = sum(len(c) - 1 for c in copies)
    for c in copies:
        assert all(m.data == c[0].data for m in c), "a duplicate differs from its first copy"
    assert duplicates <= KILLS, "%d duplicates for %d kills" % (duplicates, KILLS)
    assert len(ids) == COUNT
    print("500 applications, %d letters, notify killed %d times (after %s letters): "
          "%d duplicate(s), each with its Message-ID; pipeline %.1f s"
          % (total, KILLS, kills, duplicates, pipeline_s), flush=True)


def test_smtp_server_down_for_30_s():
    numbers = [next(serial) for _ in range(20)]
    server.stop()
    down = time.monotonic()
    ids = through_pipeline(numbers)
    published_s = time.monotonic() - down
    # The pipeline did not wait for mail: everything published, mail still down.
    assert published_s < 30, "publishing 20 files took %.1f s with mail down" % published_s
    assert all(s == "published" for s in states(list(ids.values())).values())
    assert not [m for m in server.snapshot() if m.rcpt in expected_letters(numbers)]
    time.sleep(30 - (time.monotonic() - down))    # the outage lasts 30 s
    server.start()
    back = time.monotonic()
    wait_letters(expected_letters(numbers), timeout=240)
    print("mail down 30 s: 20 files published in %.1f s meanwhile; every letter %.1f s after the "
          "server came back" % (published_s, time.monotonic() - back), flush=True)


def test_550_for_one_address():
    refused, fine = next(serial), next(serial)
    server.refuse.add(contact(refused))
    ids = submit([refused, fine], incomplete={refused, fine})
    # The other file's letters arrive; the refused address's are failed.
    wait_letters(expected_letters([fine], {fine}), timeout=120)
    notices = server.wait_for(lambda ms: sum(m.rcpt == STAFF_EMAIL and ids[refused] in m.text()
                                             for m in ms) >= 2, 120, "the staff's notices")
    failed = [f for f in stack.essp_lines("mail", "failed") if f["to"] == contact(refused)]
    assert len(failed) == 2, failed
    assert all(f["id"] == ids[refused] and "550" in f["error"] and f["attempts"] == 1
               for f in failed), failed
    assert {f["kind"] for f in failed} == set(INCOMPLETE_KINDS), failed
    # One attempt per letter: the server saw no retry.
    assert server.rcpt_attempts[contact(refused)] == 2, server.rcpt_attempts[contact(refused)]
    assert not server.to(contact(refused))
    assert len([m for m in notices if m.rcpt == STAFF_EMAIL and ids[refused] in m.text()]) == 2


def setup():
    stack.start()
    stack.start("notify")
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_kill_between_the_250_and_the_commit, test_550_for_one_address,
                     test_smtp_server_down_for_30_s, test_kill_9_five_times_during_500_applications])
    finally:
        stack.cleanup()
        server.stop()
