"""The audit trail through the real services: an application's whole life
(submitted, incomplete, amended, in review, changes requested, amended,
approved, published, withdrawn) read back with `essp history`, each step
with who, what and why, in order, its hash chain verified here from the
bytes as proto/README.md describes them; then intake's LMDB altered behind
its back (a changed byte, a removed record, a cut tail) and the break
reported by `essp history`, exit 1, naming the record.  A service that
alters its own answer is caught by the tool too.  Records kept the earlier
way (by application, before the trail) are read, erased and continued."""

import atexit
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import pack, staff_client, unpack  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
LMDB_EDIT = os.environ.get("ESSP_LMDB_EDIT") or os.path.join(os.path.dirname(BIN), "tests", "lmdb_edit")
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-history-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
CHANGES = "Merci de détailler la gouvernance."
REASON = "Demande de l'accompagnateur, courriel du 3 mars."
life = {}


def vote_all(app_id, decision, motivation=None):
    for name, _ in MEMBERS:
        args = [app_id, decision, "--as", name] + (["--motivation", motivation] if motivation else [])
        stack.essp_json("vote", *args)


def history(app_id):
    """essp history: (exit code, records, final line, stderr)."""
    result = stack.essp("history", app_id, check=False)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line]
    return result.returncode, lines[:-1], lines[-1] if lines else None, result.stderr


def wait_history(app_id, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        code, records, last, _ = history(app_id)
        if code == 0 and predicate(records):
            return records, last
        if time.monotonic() > deadline:
            raise AssertionError("history of %s: %s" % (app_id, records))
        time.sleep(0.05)


def verify_independently(reply):
    """The chain checked from proto/README.md alone: body = [core, tail],
    hash = BLAKE2b-256 of the core bytes, the core's why_digest = BLAKE2b-256
    of the tail's why keyed with its salt, prev = the previous hash,
    n = 1, 2, ..., head = last."""
    prev = bytes(32)
    for n, (body, digest) in enumerate(reply["records"], start=1):
        core, tail = msgpack.unpackb(body, raw=False)
        assert hashlib.blake2b(core, digest_size=32).digest() == digest, n
        fields = msgpack.unpackb(core, raw=False)
        assert list(fields) == ["n", "at", "who", "what", "why_digest", "state", "prev"], list(fields)
        assert list(tail) == ["why", "salt"], list(tail)
        assert hashlib.blake2b(tail["why"].encode(), digest_size=32, key=tail["salt"]).digest() \
            == fields["why_digest"], n
        assert fields["n"] == n and fields["prev"] == prev, n
        prev = digest
    assert reply["count"] == len(reply["records"]) and reply["head"] == prev


def setup():
    stack.start()
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)


def test_a_whole_life_is_recorded_in_order():
    document = harness.fixture("invalid", "CLI-CONTRACT-unticked.json")
    document["organisation"]["siret"] = harness.make_siret(4242)
    receipt = stack.essp_json("submit", harness.write_json(work, "app.json", document))
    app_id = life["id"] = receipt["id"]
    stack.wait_state(app_id, "incomplete")
    document["commitments"]["contract_before_action"] = True
    stack.essp_json("amend", app_id, harness.write_json(work, "fixed.json", document))
    stack.wait_state(app_id, "in_review")
    vote_all(app_id, "changes", CHANGES)
    stack.wait_state(app_id, "changes_requested")
    document["principles"]["governance"] += " Assemblée générale annuelle, un membre une voix."
    stack.essp_json("amend", app_id, harness.write_json(work, "changes.json", document))
    stack.wait_state(app_id, "in_review")
    vote_all(app_id, "approve")
    stack.wait_state(app_id, "published")
    # The decision and the listing come on two streams, in either order.
    wait_history(app_id, lambda r: {"decided", "published"} <= {x["what"] for x in r[9:]})
    stack.essp_json("withdraw", app_id, "--reason", REASON)
    records, last = wait_history(app_id, lambda r: any(x["who"] == "staff" for x in r))
    if os.environ.get("ESSP_SHOW_HISTORY"):
        print(stack.essp("history", app_id).stdout)

    steps = [(r["what"], r["state"]) for r in records]
    # A revision that passes validation is in_review once review has it
    # ("queued"): the report and the round come on two streams, in either
    # order.
    passed = ([("validated", "received"), ("queued", "in_review")],
              [("queued", "in_review"), ("validated", "in_review")])
    assert steps[:3] == [("submitted", "received"), ("validated", "incomplete"), ("amended", "received")], steps
    assert steps[3:5] in passed and steps[7:9] in passed, steps
    assert steps[5:7] == [("decided", "changes_requested"), ("amended", "received")], steps
    assert sorted(w for w, _ in steps[9:11]) == ["decided", "published"], steps
    assert ("published", "published") in steps[9:11], steps
    assert steps[-1] == ("withdrawn", "withdrawn"), steps
    assert [r["n"] for r in records] == list(range(1, len(records) + 1))
    assert all(a["at"] <= b["at"] for a, b in zip(records, records[1:]))
    # Beside the raw seconds, the same instant in ISO 8601 with the Paris
    # offset (winter +01:00, summer +02:00).
    for r in records:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", r["at_iso"]), r
        assert datetime.datetime.fromisoformat(r["at_iso"]).timestamp() == r["at"], r
    # who, what, why of each kind of step.
    assert records[0]["who"] == "applicant" and records[0]["why"] == "revision 1"
    assert records[1]["who"] == "validation" and "CLI-CONTRACT" in records[1]["why"], records[1]
    assert records[1]["why"].startswith("verdict incomplete")
    assert records[2]["why"] == "revision 2"
    names = ", ".join(name for name, _ in MEMBERS)
    assert records[5]["who"] == names, records[5]
    assert records[5]["why"].startswith("round 1: changes") and CHANGES in records[5]["why"], records[5]
    queued = [r for r in records if r["what"] == "queued"]
    assert [(r["who"], r["why"]) for r in queued] == [("review", "round 1 opens"), ("review", "round 2 opens")], queued
    decided = [r for r in records if r["what"] == "decided"][1]
    assert decided["who"] == names and decided["why"].startswith("round 2: approve"), decided
    published = [r for r in records if r["what"] == "published"][0]
    assert published["who"] == "publication"
    assert records[-1]["who"] == "staff" and records[-1]["why"] == REASON, records[-1]
    assert last["verified"] is True and last["records"] == len(records)
    assert last["head"] == records[-1]["hash"]
    life["count"] = len(records)

    reply = staff_client(stack.port, "intake").call("history", id=app_id)
    assert reply["type"] == "history" and reply["verified"] is True and "break" not in reply
    verify_independently(reply)
    # An unknown id is refused like status refuses it.
    unknown = stack.essp("history", "zzzzzzzzzzzz", check=False)
    assert unknown.returncode == 1 and "not_found" in unknown.stderr, unknown.stderr


def lmdb(db, *args):
    directory = os.path.join(stack.home, "data", "intake")
    result = subprocess.run([LMDB_EDIT, directory, db] + list(args), capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed(db):
    """{key hex: value bytes} of one of intake's databases."""
    return {key: bytes.fromhex(value) for key, value in (line.split() for line in lmdb(db, "list").splitlines())}


def stored_record(app_id):
    return msgpack.unpackb(listed("applications")[app_id.encode().hex()], raw=False)


def records_in_lmdb(app_id):
    """{n: (database, key hex, value bytes)} of one application, as stored:
    the trail's numbers in its record, from its "from" on; the records
    before, by application (id, n)."""
    head = stored_record(app_id)["history"]
    found = {}
    prefix = app_id.encode().hex()
    for key, value in listed("history").items():
        if key.startswith(prefix) and len(key) == len(prefix) + 16:
            found[int(key[len(prefix):], 16)] = ("history", key, value)
    trail = listed("trail")
    numbers = head.get("trail", b"")
    for i in range(0, len(numbers), 8):
        key = numbers[i:i + 8].hex()
        found[head["from"] + i // 8] = ("trail", key, trail[key])
    return found


def behind_intakes_back(change):
    """Stops intake (SIGTERM), changes its LMDB, starts it again."""
    assert stack.kill("intake", signal.SIGTERM) == 0
    change()
    stack.start("intake")


def expect_break(app_id, n, words):
    code, records, last, stderr = history(app_id)
    assert code == 1, (code, stderr)
    assert "broken at record %d" % n in stderr and words in stderr, stderr
    assert last["verified"] is False and last["break"]["n"] == n, last
    reply = staff_client(stack.port, "intake").call("history", id=app_id)
    assert reply["verified"] is False and reply["break"]["n"] == n, reply
    return records


def test_a_changed_byte_is_reported():
    app_id = life["id"]
    stored = records_in_lmdb(app_id)
    assert sorted(stored) == list(range(1, life["count"] + 1))
    # Written since the trail: every record there, in the order written.
    assert {db for db, _, _ in stored.values()} == {"trail"}, stored
    keys = [stored[n][1] for n in sorted(stored)]
    assert keys == sorted(keys), keys
    db, key, value = stored[6]   # the committee's changes, after a "queued" record
    assert b"gouvernance" in value
    altered = value.replace(b"gouvernance", b"gouvernancE", 1)
    behind_intakes_back(lambda: lmdb(db, "put", key, altered.hex()))
    records = expect_break(app_id, 6, "altered")
    assert "gouvernancE" in records[5]["why"]   # shown as it is, and flagged
    # Put back, the chain holds again: the check is exact, not a guess.
    behind_intakes_back(lambda: lmdb(db, "put", key, value.hex()))
    assert history(app_id)[0] == 0


def test_a_removed_record_and_a_cut_tail_are_reported():
    app_id = life["id"]
    stored = records_in_lmdb(app_id)
    db, key, value = stored[3]
    behind_intakes_back(lambda: lmdb(db, "del", key))
    expect_break(app_id, 3, "record 3 is missing")
    last = life["count"]
    last_db, last_key, last_value = stored[last]

    def restore_and_cut():
        lmdb(db, "put", key, value.hex())
        lmdb(last_db, "del", last_key)
    behind_intakes_back(restore_and_cut)
    expect_break(app_id, last, "records %d to %d are missing" % (last, last))
    behind_intakes_back(lambda: lmdb(last_db, "put", last_key, last_value.hex()))
    assert history(app_id)[0] == 0


def test_records_kept_by_application_are_read_erased_and_continued():
    """A store written before the trail: every record under (id, n), and a
    record whose history has no "from" nor "trail".  Intake reads the chain
    as it is, erases the whys where they are, and writes the erasure's
    record to the trail."""
    app_id = life["id"]
    count = life["count"]
    stored = records_in_lmdb(app_id)
    record = stored_record(app_id)
    earlier = dict(record, history={"count": count, "head": record["history"]["head"]})

    def to_the_earlier_form():
        for n, (db, key, value) in stored.items():
            lmdb("history", "put", app_id.encode().hex() + n.to_bytes(8, "big").hex(), value.hex())
            lmdb(db, "del", key)
        lmdb("applications", "put", app_id.encode().hex(), msgpack.packb(earlier, use_bin_type=True).hex())
    behind_intakes_back(to_the_earlier_form)
    assert {db for db, _, _ in records_in_lmdb(app_id).values()} == {"history"}
    code, records, last, stderr = history(app_id)
    assert code == 0 and len(records) == count and last["verified"] is True, stderr
    assert records[-1]["who"] == "staff" and records[-1]["why"] == REASON, records[-1]

    reply = staff_client(stack.port, "intake").call("erase", id=app_id)
    assert reply["type"] == "ack" and reply["state"] == "withdrawn", reply
    # The erasure's record, then what review and publication record of
    # the file's end as their streams bring it: all in the trail.
    code, records, last, stderr = history(app_id)
    assert code == 0 and last["verified"] is True and len(records) > count, (code, stderr, last)
    assert records[count]["what"] == "erased", records[count]
    after = records_in_lmdb(app_id)
    assert [after[n][0] for n in sorted(after)][:count + 1] == ["history"] * count + ["trail"], after
    assert {after[n][0] for n in after if n > count} == {"trail"}, after
    assert stored_record(app_id)["history"]["from"] == count + 1
    for n in range(1, count + 1):
        body, _ = msgpack.unpackb(after[n][2], raw=False)
        _, tail = msgpack.unpackb(body, raw=False)
        assert tail == {"erased": True}, (n, tail)


def test_the_tool_verifies_what_the_service_sends():
    """A service that alters a record and still says "verified" is caught:
    the tool checks the bytes itself."""
    app_id = life["id"]
    genuine = staff_client(stack.port, "intake").call("history", id=app_id)
    context = zmq.Context.instance()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")

    def serve():
        if router.poll(20000):
            identity, data = router.recv_multipart()
            request = unpack(data)
            forged = dict(genuine, rid=request["rid"])
            body, digest = forged["records"][1]
            forged["records"] = list(forged["records"])
            forged["records"][1] = [body.replace(b"validation", b"Validation", 1), digest]
            router.send_multipart([identity, pack(forged)])
    server = threading.Thread(target=serve)
    server.start()
    env = dict(stack.env, ESSP_INTAKE_ENDPOINT="tcp://127.0.0.1:%d" % port, ESSP_RETRIES="1")
    # With a token, the tool asks intake's plain endpoint (here the forger).
    result = subprocess.run([os.path.join(BIN, "essp"), "history", app_id, "--token", "t" * 43], env=env,
                            capture_output=True, text=True, timeout=60)
    server.join()
    router.close()
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "broken at record 2" in result.stderr and "intake said the chain holds" in result.stderr, \
        result.stderr


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_a_whole_life_is_recorded_in_order, test_a_changed_byte_is_reported,
                     test_a_removed_record_and_a_cut_tail_are_reported,
                     test_the_tool_verifies_what_the_service_sends,
                     test_records_kept_by_application_are_read_erased_and_continued])
    finally:
        stack.cleanup()
