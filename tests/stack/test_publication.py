"""The publication stream contract and the directory search, on the real
stack: signatures a stranger verifies from proto/stream.md with PyNaCl,
the signing key created once and given out, no private byte leaving the
publication service, and `essp directory` with its filters and CSV."""

import csv
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
from essp_client import Client, pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-publication-")
publisher = publishing.Publisher(stack, work)
MARKER = "zq7-secret-marker-4418"
published = {}


def setup():
    stack.start()
    publishing.add_members(stack)
    # A small directory whose names exercise the folding of the search.
    p = publisher
    published["ecole"] = p.publish(p.document("scic-ateliers-du-bocage-formation-cholet.json",
                                              name="École des Transitions Solidaires",
                                              departments=["49", "72"], formats=["support", "training"],
                                              themes=["democratic_governance", "ethics_deontology"]))
    published["coop"] = p.publish(p.document(name="COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE",
                                             departments=["85"], scope=["specific"]))
    published["asso"] = p.publish(p.document("association-trajectoires-solidaires-angers.json",
                                             name="Œuvre d'entraide angevine"))
    published["mutuelle"] = p.publish(p.document("mutuelle-entraide-vendee.json"))


def key_hex():
    return stack.essp_json("stream", "--pubkey")["key"]


def test_signing_key_created_once_private_and_given_out():
    keys = os.path.join(stack.home, "keys")
    secret = os.path.join(keys, "publication.key")
    mode = stat.S_IMODE(os.stat(secret).st_mode)
    assert mode == 0o600, oct(mode)
    with open(os.path.join(keys, "publication.pub")) as f:
        on_disk = f.read().strip()
    hello = Client(stack.port, "publication").call("hello")
    assert hello["type"] == "hello" and hello["algorithm"] == "ed25519"
    assert hello["context"] == "essp-stream-v1\n"
    assert hello["key"] == on_disk == key_hex()
    assert len(on_disk) == 64 and int(on_disk, 16) >= 0
    stack.kill("publication")
    stack.start("publication")
    assert key_hex() == on_disk, "a restart keeps the key"


def test_every_event_verifies_with_the_published_key_alone():
    key = key_hex()
    events = pull_all(stack.port, "publication")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert len(events) >= 4
    for event in events:
        content = publishing.verify(event, key)
        assert content["type"] == event["type"] and content["id"] == event["id"]
        assert content["at"] == event["at"]
        if event["type"] == "upsert":
            assert content["entry"] == event["entry"] and content["version"] == event["version"]
    first = events[0]
    # What is signed is exact: a changed byte, another seq or another key fails.
    tampered = dict(first, signed=first["signed"].replace(b"Transitions", b"Transitiona"))
    assert tampered["signed"] != first["signed"]
    assert not publishing.signature_holds(tampered, key)
    assert not publishing.signature_holds(dict(first, seq=first["seq"] + 1), key)
    assert not publishing.signature_holds(first, "00" * 32 if key != "00" * 32 else "11" * 32)


def test_withdrawal_is_a_signed_tombstone():
    app_id = publisher.publish(publisher.document(name="Structure qui se retire"))
    stack.essp_json("withdraw", app_id, "--reason", "Demande de l'accompagnateur")
    stack.wait_state(app_id, "withdrawn")
    events = [e for e in pull_all(stack.port, "publication") if e["id"] == app_id]
    assert [e["type"] for e in events] == ["upsert", "withdraw"]
    content = publishing.verify(events[1], key_hex())
    assert content == {"type": "withdraw", "at": events[1]["at"], "id": app_id, "reason": "withdrawn"}
    ids = [e["id"] for e in stack.essp_lines("directory")]
    assert app_id not in ids


def test_private_fields_never_leave_publication():
    document = publisher.document(name="Structure au dossier confidentiel")
    organisation = document["organisation"]
    organisation["private_contact"] = {"name": "Marie " + MARKER, "email": MARKER + "@prive.example",
                                       "phone": "02 00 00 00 00"}
    document["principles"]["purpose"] += " " + MARKER
    document["principles"]["governance"] += " " + MARKER
    # A reference is published without its summary nor its client's
    # SIREN: the client's name and the year are public.
    document["references"][0]["summary"] += " " + MARKER
    document["references"][0]["client_siren"] = "914 736 285"
    document["references"][0]["client"] = "Client public de la structure"
    # Declared networks are published (and searched); the organisations a
    # structure declares ties with stay private.
    document["ties"] = {"organisations": ["853 645 562"], "networks": ["URSCOP Ouest"]}
    document["trained_people"] = [{"name": "Paul " + MARKER, "session_date": "2025-03-04"}]
    document["offer"]["private_area"] = True
    app_id = publisher.publish(document)
    secret = MARKER.encode()
    # The marker did enter the system (intake's private stream holds it):
    # a leak past publication would be seen.
    assert secret in b"".join(publishing.raw_pulls_of(stack.port, "intake"))
    stream = b"".join(publishing.raw_pulls(stack.port))
    assert app_id.encode() in stream and secret not in stream and b"853645562" not in stream
    assert b"URSCOP Ouest" in stream and b"Client public de la structure" in stream
    assert b"914 736 285" not in stream and b"2025-03-04" in stream
    answers = b"".join(publishing.raw_directory(stack.port))
    answers += b"".join(publishing.raw_directory(stack.port, q="confidentiel"))
    assert app_id.encode() in answers and secret not in answers
    for args in (("directory",), ("directory", "--csv"), ("stream", "--from", "0"),
                 ("directory", "--q", "Structure au dossier")):
        output = stack.essp(*args).stdout
        assert "dossier confidentiel" in output, args
        assert MARKER not in output and "853645562" not in output, args
    mirror = publishing.Mirror(stack)
    assert mirror.once() == 0, mirror.log()
    assert app_id in mirror.pages()
    site = publishing.site_bytes(mirror.out) + publishing.site_bytes(mirror.data)
    assert "Structure au dossier confidentiel".encode() in site
    assert secret not in site


def names(*args):
    return [e["organisation"]["name"] for e in stack.essp_lines("directory", *args)]


def test_directory_filters_combine_and_fold_french_text():
    everything = names()
    assert everything == sorted(everything, key=lambda n: publishing_fold(n)), everything
    assert names("--q", "ecole") == ["École des Transitions Solidaires"]
    assert names("--q", "ÉCOLE transitions") == ["École des Transitions Solidaires"]
    assert names("--q", "coopérative bocage") == ["COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE"]
    # "coopérative" finds the cooperatives by their legal form too (SCOP, SCIC).
    cooperatives = names("--q", "coopérative")
    assert "COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE" in cooperatives, cooperatives
    assert "École des Transitions Solidaires" in cooperatives, cooperatives
    assert "Œuvre d'entraide angevine" not in cooperatives, cooperatives
    assert names("--q", "oeuvre") == ["Œuvre d'entraide angevine"]
    assert names("--q", "ecole nowhere-at-all") == []
    # Filters: each alone, then together (AND).
    in_49 = names("--department", "49")
    assert "École des Transitions Solidaires" in in_49
    assert "COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE" not in in_49
    assert names("--department", "85", "--scope", "specific") == [
        "COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE", "Mutuelle Entraide et Prévoyance de Vendée",
        "Structure au dossier confidentiel"]
    training = names("--format", "training")
    assert "École des Transitions Solidaires" in training
    assert "Œuvre d'entraide angevine" not in training
    assert names("--format", "training", "--theme", "ethics_deontology", "--department", "72") \
        == ["École des Transitions Solidaires"]
    assert names("--legal-form", "association") == ["Œuvre d'entraide angevine"]
    assert names("--legal-form", "association", "--format", "training") == []
    # In 49 with that theme: the École by its own offer and the structure
    # with the private file by its template's (scop-ancrage-conseil-nantes);
    # the withdrawn structure has the same offer but left the directory.
    entries = stack.essp_lines("directory", "--department", "49", "--theme", "democratic_governance")
    found = [e["organisation"]["name"] for e in entries]
    assert found == ["École des Transitions Solidaires", "Structure au dossier confidentiel"], found
    for entry in entries:
        assert "49" in entry["offer"]["departments"]
        assert "democratic_governance" in entry["offer"]["themes"]


def publishing_fold(name):
    import unicodedata
    text = unicodedata.normalize("NFD", name).lower().replace("œ", "oe")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else " " for c in text).split()


def test_directory_refuses_unknown_codes_naming_the_field():
    for option, value, field in (("--theme", "gardening", "theme"), ("--format", "webinar", "format"),
                                 ("--department", "99", "department"),
                                 ("--legal-form", "sarl", "legal_form")):
        result = stack.essp("directory", option, value, check=False)
        assert result.returncode == 1, (option, result.stderr)
        assert field in result.stderr and "enum" in result.stderr, result.stderr
    assert stack.essp("directory", "--colour", "blue", check=False).returncode == 2


def test_directory_csv_is_rfc4180_utf8():
    data = subprocess.run([os.path.join(BIN, "essp"), "directory", "--csv"], env=stack.env,
                          capture_output=True, check=True).stdout
    raw = data.decode("utf-8")
    lines = raw.split("\r\n")
    assert lines[-1] == "" and len(lines) == len(names()) + 2, "one CRLF-ended line per entry"
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["identifiant", "nom", "forme juridique"]
    assert all(len(row) == len(header) for row in body)
    by_name = {row[1]: dict(zip(header, row)) for row in body}
    coop = by_name["COOPERATIVE D'ACCOMPAGNEMENT DU BOCAGE"]
    assert coop["départements"] == "85" and coop["identifiant"] == published["coop"]
    # A theme label holds a comma: quoted, and read back whole.
    assert "RSE, RSO et ISO 26000" in coop["thèmes"]
    assert '"' in raw and ',"' in raw
    assert [row[1] for row in body] == names()
    filtered = list(csv.reader(io.StringIO(stack.essp("directory", "--csv", "--q", "ecole").stdout,
                                           newline="")))
    assert [row[1] for row in filtered[1:]] == ["École des Transitions Solidaires"]


def wait_unlisted(app_id, timeout=20):
    deadline = time.monotonic() + timeout
    while app_id in [e["id"] for e in stack.essp_lines("directory")]:
        assert time.monotonic() < deadline, "%s stays listed" % app_id
        time.sleep(0.05)


def test_directory_pages_are_bounded_and_survive_a_withdrawal():
    client = Client(stack.port, "publication")
    seen, after = [], ""
    while True:
        reply = client.call("directory", after=after, limit=1)
        assert len(reply["entries"]) <= 1
        seen += [e["id"] for e in reply["entries"]]
        if "next" not in reply:
            break
        after = reply["next"]
        if len(seen) == 1:
            # The entry the cursor points at is withdrawn: paging goes on.
            stack.essp_json("withdraw", seen[0], "--reason", "Cessation d'activité")
            stack.wait_state(seen[0], "withdrawn")
            wait_unlisted(seen[0])
    everything = [e["id"] for e in stack.essp_lines("directory")]
    assert seen[1:] == everything, (seen, everything)
    refused = client.call("directory", limit=5000)
    assert refused["type"] == "error" and refused["field"] == "limit"
    client.close()


# ------------------------------------------------ the life of a listing

ERASED_MARKER = "zq9-effacee-7731"


def life_application(name, seed):
    document = harness.fixture("valid", "scop-ancrage-conseil-nantes.json")
    document["organisation"]["name"] = name
    document["organisation"]["siret"] = harness.make_siret(700000 + seed)
    return document


def test_the_life_of_a_listing_as_review_tells_it():
    """Suspension and reinstatement, renewal, expiry, a complaint's
    withdrawal and an erasure, as review's stream tells them (a stand-in
    review serves the events the protocol defines); the real publication
    service and essp-mirror follow."""
    life = harness.Stack(BIN)
    review = None
    try:
        review = publishing.start_publication_alone(life)
        at = 1764115200                          # 2025-11-26
        expires = 1858809600                     # 2028-11-26 00:00 UTC
        apps = {k: life_application(n, i) for i, (k, n) in enumerate((
            ("a", "Structure suspendue puis rétablie"), ("b", "Structure renouvelée"),
            ("c", "Structure renouvelée"), ("d", "Structure retirée après plainte"),
            ("e", "Structure effacée " + ERASED_MARKER)))}

        def decided(app_id, decision, round_=1, kind="review", **extra):
            extra.setdefault("motivations", [])
            review.add("decided", at=at, id=app_id, revision=1, round=round_, decision=decision,
                       kind=kind, **extra)

        decided("lifeA", "approve", application=apps["a"], expires=expires)
        review.add("withdrawn", at=at + 1, id="lifeA", kind="suspended",
                   reason="Une réclamation est examinée par le comité.")
        decided("lifeA", "reinstate", 2, "complaint", application=apps["a"], expires=expires)
        decided("lifeB", "approve", application=apps["b"])
        decided("lifeC", "approve", application=apps["c"], renews="lifeB", expires=expires)
        review.add("withdrawn", at=at + 2, id="lifeB", kind="renewed",
                   reason="L'inscription est renouvelée par le dossier lifeC.")
        review.add("withdrawn", at=at + 3, id="lifeA", kind="expired",
                   reason="L'inscription a expiré le 2028-11-26 (durée de l'inscription).")
        review.add("withdrawn", at=at + 3, id="lifeA", kind="expired", reason="Répété.")
        decided("lifeD", "approve", application=apps["d"])
        decided("lifeD", "withdraw", 2, "complaint", motivations=["Pratiques contraires à la charte."])
        decided("lifeF", "reject", motivations=["Références insuffisantes."])
        review.add("queued", at=at, id="lifeF", revision=1, round=2, kind="appeal")
        decided("lifeE", "approve", application=apps["e"])
        publishing.wait_head(life, 10, timeout=30)
        key = Client(life.port, "publication").call("hello")["key"]
        mirror = publishing.Mirror(life, extra=["--key", key])
        assert mirror.once() == 0, mirror.log()
        assert mirror.pages() == ["lifeC", "lifeE"]
        assert ERASED_MARKER in mirror.read("accompagnateurs/lifeE.html")

        review.add("withdrawn", at=at + 4, id="lifeE", kind="erased", reason="Données effacées.")
        publishing.wait_head(life, 11, timeout=30)
        events = pull_all(life.port, "publication")
        summary = [(e["type"], e["id"], e.get("version") or e.get("reason")) for e in events]
        assert summary == [("upsert", "lifeA", 1), ("withdraw", "lifeA", "suspended"),
                           ("upsert", "lifeA", 2), ("upsert", "lifeB", 1), ("upsert", "lifeC", 1),
                           ("withdraw", "lifeB", "renewed"), ("withdraw", "lifeA", "expired"),
                           ("upsert", "lifeD", 1), ("withdraw", "lifeD", "withdrawn"),
                           ("redacted", "lifeE", None), ("withdraw", "lifeE", "erased")], summary
        for event in events:
            content = publishing.verify(event, key)
            assert content["type"] == event["type"] and content["id"] == event["id"]
        redacted = events[9]
        assert sorted(redacted) == ["at", "id", "seq", "sig", "signed", "type", "v"], redacted
        assert publishing.verify(redacted, key) == {"type": "redacted", "at": redacted["at"], "id": "lifeE"}
        tampered = dict(redacted, signed=redacted["signed"].replace(b"lifeE", b"lifeX"))
        assert not publishing.signature_holds(tampered, key)
        assert events[0]["entry"]["listed_until"] == "2028-11-26"
        assert "listed_until" not in events[3]["entry"]
        stream = b"".join(publishing.raw_pulls(life.port))
        assert ERASED_MARKER.encode() not in stream and "effacée".encode() not in stream
        listed = Client(life.port, "publication").call("directory")["entries"]
        assert [e["id"] for e in listed] == ["lifeC"]
        with open(os.path.join(life.home, "data", "publication", "data.mdb"), "rb") as f:
            assert ERASED_MARKER.encode() not in f.read(), "publication's data file keeps the erased bytes"

        # The mirror that listed lifeE erases it; a new one never sees it.
        assert mirror.once() == 0, mirror.log()
        fresh = publishing.Mirror(life, "fresh", extra=["--key", key])
        assert fresh.once() == 0, fresh.log()
        for site in (mirror, fresh):
            assert site.pages() == ["lifeC"], site.pages()
            assert ERASED_MARKER.encode() not in publishing.site_bytes(site.out), "out"
            # No record of the site's store holds it, nor the file itself:
            # the mirror compacts its store after an erasure, so the pages
            # LMDB freed do not keep the bytes.
            for db in ("meta", "entries", "names", "feed", "pages"):
                dump = subprocess.run(["mdb_dump", "-p", "-s", db, site.data], capture_output=True,
                                      check=True).stdout
                assert ERASED_MARKER.encode() not in dump, db
            with open(os.path.join(site.data, "data.mdb"), "rb") as f:
                assert ERASED_MARKER.encode() not in f.read(), "the mirror's data file keeps the erased bytes"
            assert "Structure effacée".encode() not in publishing.site_bytes(site.out)
            page = site.read("accompagnateurs/lifeC.html")
            assert "L’inscription prend fin le <time datetime=\"2028-11-26\">26 novembre 2028</time>" in page
            atom = site.read("annuaire.atom")
            assert "Retrait de l’annuaire : Structure renouvelée" in atom
            assert "son inscription a été renouvelée sous une nouvelle fiche" in atom
            assert "son inscription est suspendue" in atom
            assert "arrivée à échéance" in atom and "a été retirée" in atom
        # The site that had listed it says that it went, not who it was.
        assert "Une structure ne figure plus dans l’annuaire : ses données ont été effacées" in \
            mirror.read("annuaire.atom")
        assert "effacées" not in fresh.read("annuaire.atom")
    finally:
        if review:
            review.close()
        life.cleanup()


if __name__ == "__main__":
    try:
        setup()
        harness.run([
            test_signing_key_created_once_private_and_given_out,
            test_every_event_verifies_with_the_published_key_alone,
            test_withdrawal_is_a_signed_tombstone,
            test_private_fields_never_leave_publication,
            test_directory_filters_combine_and_fold_french_text,
            test_directory_refuses_unknown_codes_naming_the_field,
            test_directory_csv_is_rfc4180_utf8,
            test_directory_pages_are_bounded_and_survive_a_withdrawal,
            test_the_life_of_a_listing_as_review_tells_it,
        ])
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
