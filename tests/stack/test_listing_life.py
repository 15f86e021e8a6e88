"""The life of a listing after the committee's approval, on the four real
services through the essp tool: a renewal that replaces the old listing, a
complaint that suspends a listing until the committee reinstates or
withdraws it, the erasure of an applicant's personal data (from every
service's records, the history chain still verifiable), and expiry when
`essp clock tick` reaches the listing's end (three years, or the ESUS
agreement's end when it comes first)."""

import atexit
import calendar
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import SERVICES, Client, pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-listing-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
DAY = 86400
counter = [500]


def fresh(name="mutuelle-entraide-vendee.json", siret=None):
    counter[0] += 1
    return harness.numbered_fixture(counter[0], name=name, siret=siret)


def submit(document, *extra):
    path = harness.write_json(work, "app%d.json" % counter[0], document)
    return stack.essp_json("submit", path, *extra)


def vote(app_id, decision, member, motivation="La plainte est fondée : engagements non tenus."):
    """One vote: a file is before the committee once intake shows it
    in_review (or suspended, for a complaint round)."""
    args = [app_id, decision, "--as", member]
    if decision in ("reject", "changes", "withdraw"):
        args += ["--motivation", motivation]
    return stack.essp_json("vote", *args)


def committee(app_id, decision):
    """Two votes from two colleges: the quorum set in essp.conf."""
    vote(app_id, decision, "Claire Moreau")
    return vote(app_id, decision, "Hervé Le Guen")


def listed(document, *extra):
    receipt = submit(document, *extra)
    stack.wait_state(receipt["id"], "in_review")
    assert committee(receipt["id"], "approve")["outcome"] == "approve"
    stack.wait_state(receipt["id"], "published")
    wait_directory(receipt["id"], True)
    return receipt["id"]


def directory_ids():
    return [e["id"] for e in stack.essp_lines("directory")]


def wait_directory(app_id, present, timeout=5.0):
    deadline = time.monotonic() + timeout
    while (app_id in directory_ids()) != present:
        if time.monotonic() > deadline:
            raise AssertionError("%s %s the directory" % (app_id, "never entered" if present else "stayed in"))
        time.sleep(0.02)


def decided(app_id):
    events = [e for e in pull_all(stack.port, "review") if e["id"] == app_id and e["type"] == "decided"]
    assert events, "no decision for %s" % app_id
    return events[-1]


def review_withdrawal(app_id):
    """The one `withdrawn` event of review's stream for app_id."""
    events = [e for e in pull_all(stack.port, "review") if e["id"] == app_id and e["type"] == "withdrawn"]
    assert len(events) == 1, events
    return events[0]


def midnight(day):
    return calendar.timegm(day.timetuple())


def tick(now):
    """`essp clock tick --now DATE`: the ids withdrawn, over every line."""
    lines = stack.essp_lines("clock", "tick", "--now", now)
    assert lines and all(line["more"] is False for line in lines[-1:]), lines
    return [i for line in lines for i in line["expired"]]


def setup():
    with open(os.path.join(stack.home, "essp.conf"), "w") as f:
        f.write("ESSP_QUORUM_VOTES=2\nESSP_LISTING_YEARS=3\nESSP_EXPIRY_FOLLOWS_CERTIFICATES=1\n")
    stack.start()
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)


def test_a_renewal_replaces_the_listing_it_renews():
    document = fresh()
    old_id = listed(document)
    # A renewal names an earlier application of the same SIRET.
    stranger = harness.write_json(work, "stranger.json", fresh())
    wrong = stack.essp("submit", stranger, "--renews", old_id, check=False)
    assert wrong.returncode == 1 and "field renews" in wrong.stderr and "same_siret" in wrong.stderr, wrong.stderr
    wrong = stack.essp("submit", stranger, "--renews", "nope", check=False)
    assert wrong.returncode == 1 and "field renews" in wrong.stderr and "exists" in wrong.stderr, wrong.stderr
    # Renewed while the old listing is still published.
    document["references"][0]["year"] = 2026
    receipt = submit(document, "--renews", old_id)
    new_id = receipt["id"]
    assert new_id != old_id and receipt["state"] == "received"
    stack.wait_state(new_id, "in_review")
    for _ in range(200):
        items = [i for i in stack.essp_lines("queue", "--as", "Sophie Bernard") if i["id"] == new_id]
        if items:
            break
        time.sleep(0.05)
    assert items and items[0]["renews"] == old_id, items
    assert old_id in directory_ids(), "the old listing stays until the renewal is approved"
    committee(new_id, "approve")
    stack.wait_state(new_id, "published")
    old = stack.wait_state(old_id, "withdrawn")
    assert old.get("withdrawn_kind") == "renewed", old
    assert decided(new_id)["renews"] == old_id
    withdrawals = [e for e in pull_all(stack.port, "publication") if e["id"] == old_id and e["type"] == "withdraw"]
    assert [e["reason"] for e in withdrawals] == ["renewed"], withdrawals
    wait_directory(old_id, False)
    assert new_id in directory_ids()


def test_a_complaint_suspends_then_the_committee_reinstates_or_withdraws():
    app_id = listed(fresh())
    reason = "Plainte d'une association cliente : engagement de confidentialité non respecté."
    ack = stack.essp_json("complaint", app_id, "--reason", reason)
    assert ack == {"id": app_id, "state": "suspended"}, ack
    assert stack.essp_json("complaint", app_id, "--reason", reason) == ack, "repeated: the same ack"
    wait_directory(app_id, False, timeout=2.0)
    stack.wait_state(app_id, "suspended")
    for _ in range(200):
        items = [i for i in stack.essp_lines("queue", "--as", "Sophie Bernard") if i["id"] == app_id]
        if items:
            break
        time.sleep(0.05)
    assert items and items[0]["kind"] == "complaint" and items[0]["complaint"] == reason, items
    refused = stack.essp("vote", app_id, "approve", "--as", "Claire Moreau", check=False)
    assert refused.returncode == 1, "a complaint round is decided by reinstate or withdraw"
    assert committee(app_id, "reinstate")["outcome"] == "reinstate"
    stack.wait_state(app_id, "published")
    wait_directory(app_id, True)
    # Another complaint, and this time the listing is withdrawn.
    stack.essp_json("complaint", app_id, "--reason", "Deuxième plainte : facturation abusive.")
    wait_directory(app_id, False, timeout=2.0)
    assert committee(app_id, "withdraw")["outcome"] == "withdraw"
    status = stack.wait_state(app_id, "withdrawn")
    assert status["state"] == "withdrawn"
    wait_directory(app_id, False)
    # Only a listed file can be the subject of a complaint.
    again = stack.essp("complaint", app_id, "--reason", "Troisième plainte.", check=False)
    assert again.returncode == 1 and "conflict" in again.stderr, again.stderr


def personal(document):
    """The personal data of an application, as bytes to look for."""
    org = document["organisation"]
    return {"name": org["name"].encode(), "siren": org["siret"][:9].encode(),
            "private name": org["private_contact"]["name"].encode(),
            "private email": org["private_contact"]["email"].encode(),
            "public email": org["public_contact"]["email"].encode()}


def data_files():
    found = []
    for root, _, files in os.walk(stack.home):
        found += [root for name in files if name == "data.mdb"]
    return sorted(found)


def live_records(directory):
    """Every key and value of every database of an LMDB environment, as
    mdb_dump reads them (live records only, not free pages)."""
    result = subprocess.run(["mdb_dump", "-a", directory], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return b"\n".join(bytes.fromhex(line.strip()) for line in result.stdout.splitlines()
                      if line.startswith(" ") and len(line.strip()) % 2 == 0)


def test_erasure_leaves_no_personal_data_and_the_history_verifies():
    document = fresh()
    tag = "%d" % counter[0]
    document["organisation"]["name"] = "Mutuelle Effacement Kerhervé " + tag
    document["organisation"]["private_contact"] = {"name": "Gwenaëlle Quéméner-" + tag,
                                                   "email": "gwenaelle.%s@effacement.example" % tag}
    document["organisation"]["public_contact"]["email"] = "contact.%s@effacement.example" % tag
    app_id = listed(document)
    secrets = personal(document)
    data = data_files()
    assert len(data) >= 4, data
    assert any(secrets["private email"] in live_records(d) for d in data), "the data is there before"
    ack = stack.essp_json("erase", app_id)
    assert ack == {"id": app_id, "state": "withdrawn"}, ack
    assert stack.essp_json("erase", app_id) == ack, "erasing again: the same ack"
    status = stack.wait_state(app_id, "withdrawn")
    assert not status.get("name"), "no name in essp status: %s" % status
    assert status.get("reason") == "erased" and status.get("erased_at"), status
    assert "application" not in status, status
    wait_directory(app_id, False)
    for service in SERVICES:
        for event in pull_all(stack.port, service):
            if event["id"] != app_id:
                continue
            packed = msgpack.packb(event, use_bin_type=True)
            for what, value in secrets.items():
                assert value not in packed, "%s in %s's stream: %s" % (what, service, event["type"])
    # Every service's records, once the erasure has reached them all.
    deadline = time.monotonic() + 10
    while True:
        found = [(d, what) for d in data for what, value in secrets.items() if value in live_records(d)]
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not found, "personal data left in live LMDB records: %s" % found
    # Nor in the files themselves: each service compacts its store after
    # an erasure, so freed pages do not keep the old bytes either.
    def raw_left():
        left = []
        for d in data:
            with open(os.path.join(d, "data.mdb"), "rb") as f:
                raw = f.read()
            left += [(os.path.relpath(d, stack.home), what) for what, value in secrets.items() if value in raw]
        return left
    deadline = time.monotonic() + 10
    while raw_left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not raw_left(), "personal data left in the LMDB files: %s" % raw_left()
    history = stack.essp_lines("history", app_id)
    assert history[-1]["verified"] is True, history[-1]
    for record in history[:-1]:
        for what, value in secrets.items():
            assert value.decode() not in json.dumps(record, ensure_ascii=False), (what, record)


def test_an_esus_agreement_ending_first_ends_the_listing():
    document = fresh("societe-esus-boussole-rse-laval.json")
    document["organisation"]["esus"]["expires"] = "2027-03-31"
    app_id = listed(document)
    assert decided(app_id)["expires"] == midnight(datetime.date(2027, 3, 31))
    assert app_id not in tick("2027-03-30")
    assert app_id in tick("2027-03-31")
    status = stack.wait_state(app_id, "withdrawn")
    assert status.get("withdrawn_kind") == "expired", status
    assert "expiré le 2027-03-31" in review_withdrawal(app_id)["reason"]
    wait_directory(app_id, False)
    withdrawals = [e for e in pull_all(stack.port, "publication") if e["id"] == app_id and e["type"] == "withdraw"]
    assert [e["reason"] for e in withdrawals] == ["expired"], withdrawals


def test_a_listing_expires_three_years_after_its_approval():
    app_id = listed(fresh())
    decision = decided(app_id)
    approved = datetime.datetime.fromtimestamp(decision["at"], datetime.timezone.utc).date()
    end = approved.replace(year=approved.year + 3)
    assert decision["expires"] == midnight(end), decision
    before = tick((end - datetime.timedelta(days=1)).isoformat())
    assert app_id not in before
    assert app_id in directory_ids()
    expired = tick((end + datetime.timedelta(days=1)).isoformat())
    assert app_id in expired, expired
    status = stack.wait_state(app_id, "withdrawn")
    assert status.get("withdrawn_kind") == "expired", status
    wait_directory(app_id, False)
    withdrawal = review_withdrawal(app_id)
    assert withdrawal["kind"] == "expired" and "expiré le %s" % end.isoformat() in withdrawal["reason"], withdrawal
    # Unix seconds work as well as a date; nothing is left to expire.
    assert stack.essp_json("clock", "tick", "--now", str(midnight(end) + 2 * DAY))["expired"] == []
    bad = stack.essp("clock", "tick", "--now", "demain", check=False)
    assert bad.returncode == 2 and "--now" in bad.stderr, bad.stderr


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_a_renewal_replaces_the_listing_it_renews,
            test_a_complaint_suspends_then_the_committee_reinstates_or_withdraws,
            test_erasure_leaves_no_personal_data_and_the_history_verifies,
            test_an_esus_agreement_ending_first_ends_the_listing,
            test_a_listing_expires_three_years_after_its_approval,
        ])
    finally:
        stack.cleanup()
