"""The whole path through the four real services and the essp tool: an
application from submission to the publication stream, and every branch
(incomplete, amended, changes requested, rejected, withdrawn), with what the
applicant and the committee see at each step."""

import atexit
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-apps-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
counter = [0]


def fresh(kind="valid", name="mutuelle-entraide-vendee.json"):
    """A fixture with a SIRET of its own, so tests do not collide."""
    counter[0] += 1
    document = harness.fixture(kind, name)
    if "checksum" not in name:
        document["organisation"]["siret"] = harness.make_siret(counter[0])
    document["organisation"]["name"] += " %d" % counter[0]
    return document


def submit(document, *extra):
    path = harness.write_json(work, "app%d.json" % counter[0], document)
    return stack.essp_json("submit", path, *extra)


def vote(*args):
    """One vote: intake shows in_review only once review has the file."""
    return stack.essp_json("vote", *args)


def vote_all(app_id, decision, motivation="Le dossier doit préciser ses références."):
    for name, _ in MEMBERS:
        args = [app_id, decision, "--as", name]
        if decision != "approve":
            args += ["--motivation", motivation]
        vote(*args)


def setup():
    stack.start()
    for name, college in MEMBERS:
        member = stack.essp_json("member", "add", name, "--college", college)
        assert member["college"] == college


def test_valid_application_is_published():
    document = fresh()
    receipt = submit(document)
    assert receipt["state"] == "received" and receipt["revision"] == 1 and not receipt["duplicate"]
    status = stack.wait_state(receipt["id"], "in_review")
    outcomes = {c["code"]: c["outcome"] for c in status["report"]["criteria"]}
    assert "fail" not in outcomes.values(), outcomes
    assert outcomes["ESS-FORM"] == "pass" and outcomes["REF-CI"] == "review"
    vote(receipt["id"], "approve", "--as", "Claire Moreau")
    queue = stack.essp_lines("queue", "--as", "Sophie Bernard")
    item = [i for i in queue if i["id"] == receipt["id"]][0]
    assert item["report"]["verdict"] == "review" and not item["recused"]
    assert item["votes"] == [{"member": "Claire Moreau", "college": "researchers", "decision": "approve"}]
    assert item["application"]["organisation"]["name"] == document["organisation"]["name"]
    vote(receipt["id"], "approve", "--as", "Hervé Le Guen")
    vote(receipt["id"], "approve", "--as", "Sophie Bernard")
    status = stack.wait_state(receipt["id"], "published")
    assert [d["decision"] for d in status["decisions"]] == ["approve"]
    upserts = [e for e in pull_all(stack.port, "publication") if e["id"] == receipt["id"]]
    assert len(upserts) == 1 and upserts[0]["type"] == "upsert"
    entry = upserts[0]["entry"]
    assert entry["organisation"]["name"] == document["organisation"]["name"]
    assert entry["organisation"]["siret"] == document["organisation"]["siret"]
    for private in ("private_contact",):
        assert private not in entry["organisation"], entry
    for private in ("commitments", "principles"):
        assert private not in entry, entry
    # Of the references, the client, year, kind and topics are public; the
    # summary and the client's SIREN are not; of the people trained, only
    # the dates of their sessions; of the ties, only the declared networks.
    assert entry["references"] and all("summary" not in r and "client_siren" not in r for r in entry["references"])
    assert all(set(p) <= {"session_date"} for p in entry.get("trained_people", [])), entry
    assert set(entry.get("ties", {})) <= {"networks"}, entry
    names = [e["organisation"]["name"] for e in stack.essp_lines("directory")]
    assert document["organisation"]["name"] in names
    assert names == sorted(names, key=lambda n: n.lower()), names


def test_invalid_application_is_incomplete_with_its_code():
    for name in ("ESS-ID-siret-checksum.json", "REF-CI-none.json", "LOY-TAX-unticked.json"):
        code = "-".join(name.split("-")[:2])
        receipt = submit(fresh("invalid", name))
        status = stack.wait_state(receipt["id"], "incomplete")
        failing = [c for c in status["report"]["criteria"] if c["outcome"] == "fail"]
        assert [c["code"] for c in failing] == [code], failing
        assert failing[0]["reason"], "a reason in French is given"
        queue = stack.essp_lines("queue", "--as", "Claire Moreau")
        assert receipt["id"] not in [i["id"] for i in queue]


def test_amended_application_goes_round_again():
    document = fresh("invalid", "CLI-CONTRACT-unticked.json")
    receipt = submit(document)
    stack.wait_state(receipt["id"], "incomplete")
    document["commitments"]["contract_before_action"] = True
    path = harness.write_json(work, "amended.json", document)
    amended = stack.essp_json("amend", receipt["id"], path)
    assert amended["id"] == receipt["id"] and amended["revision"] == 2
    status = stack.wait_state(receipt["id"], "in_review")
    assert status["revision"] == 2
    # An application in review cannot be amended.
    refused = stack.essp("amend", receipt["id"], path, check=False)
    assert refused.returncode == 1 and "rule state" in refused.stderr, refused.stderr


def test_changes_requested_then_approved_keeps_both_rounds():
    document = fresh()
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    vote_all(receipt["id"], "changes", "Merci de détailler la gouvernance.")
    status = stack.wait_state(receipt["id"], "changes_requested")
    assert status["decisions"][0]["motivations"] == ["Merci de détailler la gouvernance."] * 3
    document["principles"]["governance"] += " Assemblée générale annuelle, un membre une voix."
    path = harness.write_json(work, "changes.json", document)
    assert stack.essp_json("amend", receipt["id"], path)["revision"] == 2
    stack.wait_state(receipt["id"], "in_review")
    for _ in range(200):
        items = [i for i in stack.essp_lines("queue", "--as", "Sophie Bernard") if i["id"] == receipt["id"]]
        if items:
            break
        time.sleep(0.05)
    item = items[0]
    assert item["round"] == 2 and item["revision"] == 2 and item["votes"] == []
    vote_all(receipt["id"], "approve")
    status = stack.wait_state(receipt["id"], "published")
    assert [d["decision"] for d in status["decisions"]] == ["changes", "approve"]
    assert [d["round"] for d in status["decisions"]] == [1, 2]


def test_rejected_application_is_never_listed_and_its_siret_is_free_again():
    document = fresh()
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    vote_all(receipt["id"], "reject", "Aucune référence d'accompagnement ESS vérifiable.")
    status = stack.wait_state(receipt["id"], "rejected")
    assert status["decisions"][0]["motivations"][0].startswith("Aucune référence")
    ids = [e["id"] for e in stack.essp_lines("directory")]
    assert receipt["id"] not in ids
    again = submit(document)
    assert again["id"] != receipt["id"]


def test_withdrawal_is_a_tombstone_on_the_stream():
    receipt = submit(fresh())
    stack.wait_state(receipt["id"], "in_review")
    vote_all(receipt["id"], "approve")
    stack.wait_state(receipt["id"], "published")
    ack = stack.essp_json("withdraw", receipt["id"], "--reason", "Demande de l'accompagnateur")
    assert ack["state"] == "withdrawn"
    stack.wait_state(receipt["id"], "withdrawn")
    events = [e for e in pull_all(stack.port, "publication") if e["id"] == receipt["id"]]
    assert [e["type"] for e in events] == ["upsert", "withdraw"], events
    assert events[1]["reason"] == "withdrawn"
    assert "Demande" not in str(events[1]), "the staff's free text stays private"
    assert receipt["id"] not in [e["id"] for e in stack.essp_lines("directory")]


def test_submission_is_idempotent_and_one_siret_has_one_open_application():
    document = fresh()
    first = submit(document, "--key", "retry-42")
    again = submit(document, "--key", "retry-42")
    assert again["id"] == first["id"] and again["duplicate"] is True
    other = stack.essp("submit", harness.write_json(work, "dup.json", document), check=False)
    assert other.returncode == 1
    assert "application.organisation.siret" in other.stderr and "unique" in other.stderr
    submitted = [e for e in pull_all(stack.port, "intake") if e["id"] == first["id"]]
    assert len(submitted) == 1
    # A key belongs to one application: reusing it to amend another is refused.
    other_doc = fresh("invalid", "LOY-FAIR-unticked.json")
    target = submit(other_doc)
    stack.wait_state(target["id"], "incomplete")
    reuse = stack.essp("amend", target["id"], harness.write_json(work, "reuse.json", other_doc),
                       "--key", "retry-42", check=False)
    assert reuse.returncode == 1 and "field key" in reuse.stderr, reuse.stderr


def test_schema_refusal_names_the_field_and_the_rule():
    document = fresh()
    del document["organisation"]["name"]
    result = stack.essp("submit", harness.write_json(work, "bad.json", document), check=False)
    assert result.returncode == 1
    assert "application.organisation.name" in result.stderr and "required" in result.stderr
    document = fresh()
    document["offer"]["departments"] = ["99"]
    result = stack.essp("submit", harness.write_json(work, "bad.json", document), check=False)
    assert result.returncode == 1 and "application.offer.departments[0]" in result.stderr
    broken = os.path.join(work, "broken.json")
    with open(broken, "wb") as f:
        f.write(b'{"organisation": {"name": "\xff\xfe"}}')
    result = stack.essp("submit", broken, check=False)
    assert result.returncode == 1 and "utf" in result.stderr.lower(), result.stderr


def test_quorum_needs_two_colleges_and_recused_members_cannot_vote():
    document = fresh()
    siren = document["organisation"]["siret"][:9]
    stack.essp_json("member", "add", "Marc Lefèvre", "--college", "researchers", "--tie", siren)
    stack.essp_json("member", "add", "Julie Roux", "--college", "researchers")
    receipt = submit(document)
    stack.wait_state(receipt["id"], "in_review")
    vote(receipt["id"], "approve", "--as", "Claire Moreau")
    item = [i for i in stack.essp_lines("queue", "--as", "Marc Lefèvre") if i["id"] == receipt["id"]][0]
    assert item["recused"] and item["conflicts"][0]["role"] == "applicant"
    refused = stack.essp("vote", receipt["id"], "approve", "--as", "Marc Lefèvre", check=False)
    assert refused.returncode == 1 and "recused" in refused.stderr
    stack.essp_json("vote", receipt["id"], "approve", "--as", "Julie Roux")
    assert stack.essp_json("status", receipt["id"])["state"] == "in_review"  # one college only
    ack = stack.essp_json("vote", receipt["id"], "approve", "--as", "Sophie Bernard")
    assert ack["outcome"] == "approve" and ack["votes"] == 3
    stack.wait_state(receipt["id"], "published")
    replay = stack.essp_json("vote", receipt["id"], "approve", "--as", "Sophie Bernard")
    assert replay["duplicate"] is True
    missing = stack.essp("vote", receipt["id"], "reject", "--as", "Julie Roux", check=False)
    assert missing.returncode == 1


def test_clean_restart_keeps_every_state():
    before = {e["id"]: e for e in stack.essp_lines("directory")}
    stream_before = pull_all(stack.port, "publication")
    codes = stack.stop()
    assert set(codes.values()) == {0}, codes
    stack.start()
    assert {e["id"]: e for e in stack.essp_lines("directory")} == before
    assert pull_all(stack.port, "publication") == stream_before


def test_cli_usage_and_unreachable_exit_codes():
    assert stack.essp("vote", check=False).returncode == 2
    assert stack.essp("submit", "a.json", "--bogus", check=False).returncode == 2
    assert stack.essp("status", "--help").returncode == 0
    assert stack.essp("--help").returncode == 0
    missing = stack.essp("status", "nosuchid", check=False)
    assert missing.returncode == 1 and "not_found" in missing.stderr
    dead = dict(stack.env, ESSP_PORT=str(harness.free_base_port()), ESSP_TIMEOUT_MS="200",
                ESSP_RETRIES="1")
    import subprocess
    result = subprocess.run([os.path.join(BIN, "essp"), "status", "x"], env=dead,
                            capture_output=True, text=True)
    assert result.returncode == 3 and "does not answer" in result.stderr


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_valid_application_is_published,
            test_invalid_application_is_incomplete_with_its_code,
            test_amended_application_goes_round_again,
            test_changes_requested_then_approved_keeps_both_rounds,
            test_rejected_application_is_never_listed_and_its_siret_is_free_again,
            test_withdrawal_is_a_tombstone_on_the_stream,
            test_submission_is_idempotent_and_one_siret_has_one_open_application,
            test_schema_refusal_names_the_field_and_the_rule,
            test_quorum_needs_two_colleges_and_recused_members_cannot_vote,
            test_clean_restart_keeps_every_state,
            test_cli_usage_and_unreachable_exit_codes,
        ])
    finally:
        stack.cleanup()
