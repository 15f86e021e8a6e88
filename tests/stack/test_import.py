"""essp import on the real stack (proto/README.md « Importer l'annuaire
existant »): 10,000 generated rows with one bad row in every 100 enter
as approved listings and are published without any vote (the committee
has no member at all), each bad row reported in French with its line,
field and rule; the same file again adds nothing; a dry run stores
nothing; the example file's dates become the entries' approval and end;
hostile files are refused row by row, or whole when the header is wrong;
and nobody but the staff may import."""

import datetime
import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import import_file  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
EXAMPLE = os.path.join(harness.ROOT, "tests", "fixtures", "import", "annuaire-existant.csv")
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-import-")


def essp_import(*args):
    """Runs essp import: (exit code, JSON lines of stdout, stderr)."""
    result = subprocess.run([os.path.join(BIN, "essp"), "import"] + list(args), env=stack.env,
                            capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line]
    return result.returncode, lines, result.stderr


def directory():
    return stack.essp_lines("directory")


def intake_head():
    return Client(stack.port, "intake").call("ping")["head"]


def wait_published(count, timeout=120.0):
    """Waits until the directory lists `count` entries (publication has
    applied every decision)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = directory()
        if len(entries) >= count:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError("%d entries published, %d expected" % (len(entries), count))
        time.sleep(0.5)


def write(name, text, mode="w"):
    path = os.path.join(work, name)
    with open(path, mode) as f:
        f.write(text)
    return path


def setup():
    stack.start()


def test_dry_run_stores_nothing():
    head = intake_head()
    code, lines, err = essp_import(EXAMPLE, "--dry-run", "--json")
    assert code == 0, err
    assert [r["outcome"] for r in lines[:-1]] == ["would_import"] * 3, lines
    assert lines[-1]["dry_run"] is True and lines[-1]["would_import"] == 3
    assert "essai : rien n'est enregistré" in err
    assert intake_head() == head
    assert directory() == []


def test_example_keeps_its_dates():
    code, lines, err = essp_import(EXAMPLE, "--json")
    assert code == 0, err
    assert [r["outcome"] for r in lines[:-1]] == ["imported"] * 3, lines
    entries = wait_published(3)
    # Listed from the original approval, for three years...
    entry = [e for e in entries if e.get("advisor") == "Maëlle Guérin"][0]
    approved = datetime.datetime(2025, 3, 14, tzinfo=datetime.timezone.utc).timestamp()
    assert entry["approved_at"] == approved, entry
    assert entry["listed_until"] == "2028-03-14", entry
    # ...or until its Qualiopi certificate ends, when that comes first.
    entry = [e for e in entries if e["organisation"]["siret"] == "51234567900017"][0]
    approved = datetime.datetime(2025, 9, 1, tzinfo=datetime.timezone.utc).timestamp()
    assert entry["approved_at"] == approved, entry
    assert entry["listed_until"] == "2027-06-30", entry
    # The two advisors of one structure are two listings.
    assert sorted(e["advisor"] for e in entries if e.get("advisor")) == \
        ["Maëlle Guérin", "Yannick Le Floc'h"]
    status = stack.essp_json("status", lines[0]["id"])
    assert status["state"] == "published", status
    assert status["decisions"][0]["decision"] == "approve"
    assert status["decisions"][0].get("voters", []) == []


def test_ten_thousand_rows():
    path = os.path.join(work, "annuaire-10000.csv")
    good, bad = import_file.write(path, 10000)
    assert len(good) == 9900 and len(bad) == 100
    started = time.monotonic()
    code, lines, err = essp_import(path, "--json")
    seconds = time.monotonic() - started
    summary = lines[-1]
    print("10000 rows in %.2f s end to end (%.0f rows/s; essp says %.2f s)"
          % (seconds, 10000 / seconds, summary["seconds"]), flush=True)
    assert code == 1, err                      # some rows were refused
    assert summary["imported"] == 9900 and summary["refused"] == 100, summary
    rows = {r["line"]: r for r in lines[:-1]}
    assert len(rows) == 10000
    for line, field, rule in bad:
        row = rows[line]
        assert row["outcome"] == "refused", row
        assert row["field"] == field, (row, field)
        assert rule is None or row["rule"] == rule, (row, rule)
        said = [s for s in err.splitlines() if s.startswith("ligne %d :" % line)]
        assert len(said) == 1 and "champ « %s »" % field in said[0] and "règle « %s »" % row["rule"] in said[0], said
    entries = wait_published(9903)
    assert len(entries) == 9903
    listings = [(e["organisation"]["siret"], e.get("advisor")) for e in entries]
    assert len(set(listings)) == len(listings)          # each listing once
    assert set(good) <= set(siret for siret, _ in listings)
    # No vote was needed: the committee has no member, and no round opened.
    assert stack.essp_lines("member", "list") == []
    # The same file again adds nothing.
    head = intake_head()
    code, lines, err = essp_import(path, "--json")
    assert lines[-1]["imported"] == 0 and lines[-1]["already"] == 9900 and lines[-1]["refused"] == 100
    assert intake_head() == head
    assert "est déjà enregistrée, dossier " in err
    assert len(directory()) == 9903


def test_progress_bar_only_on_a_terminal():
    master, slave = pty.openpty()
    process = subprocess.Popen([os.path.join(BIN, "essp"), "import", EXAMPLE, "--dry-run"], env=stack.env,
                               stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:                          # the terminal closed: essp is done
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=60) == 0
    os.close(master)
    text = shown.decode("utf-8")
    assert "\r\033[K[" in text and "3/3 lignes" in text and "lignes/s" in text and "reste" in text, text
    code, _, err = essp_import(EXAMPLE, "--dry-run")
    assert code == 0 and "\033[K" not in err and "lignes/s" in err, err


def test_hostile_rows_are_refused_one_by_one():
    with open(EXAMPLE, encoding="utf-8", newline="") as f:
        header, first = f.read().split("\r\n")[:2]
    long_cell = "x" * 70000
    rows = [first.replace("Ancrage Conseil SCOP", "Ancrage \udcff", 1), long_cell, "a,b,c"]
    text = "\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n"
    path = write("hostile.csv", text.encode("utf-8", "surrogateescape"), mode="wb")
    code, lines, err = essp_import(path, "--dry-run", "--json")
    assert code == 1, err
    by_line = {r["line"]: r for r in lines[:-1]}
    assert by_line[2]["rule"] == "utf8" and by_line[2]["field"] == "organisation.name", by_line[2]
    assert by_line[3]["rule"] == "too_long", by_line[3]
    assert by_line[4]["rule"] == "cells", by_line[4]
    assert "ligne 2 : champ « organisation.name » (colonne « nom »), règle « utf8 »" in err, err


def test_missing_column_refuses_the_file():
    with open(EXAMPLE, encoding="utf-8", newline="") as f:
        text = f.read().replace("contact courriel,", "", 1)
    path = write("sans-colonne.csv", text)
    head = intake_head()
    code, lines, err = essp_import(path)
    assert code == 1 and lines == []
    assert "colonne « contact courriel » manquante" in err and "rien n'est importé" in err, err
    assert intake_head() == head


def test_jsonl_rows():
    document = harness.numbered_fixture(77001)
    good = json.dumps({"approved_at": "2025-02-03", "application": document}, ensure_ascii=False)
    old = json.dumps({"approved_at": "2020-01-15", "application": harness.numbered_fixture(77002)})
    path = write("lignes.jsonl", good + "\n\n{\"approved_at\": \n" + old + "\n")
    code, lines, err = essp_import(path, "--json")
    assert code == 1, err
    by_line = {r["line"]: r for r in lines[:-1]}
    assert by_line[1]["outcome"] == "imported", by_line
    assert by_line[3]["outcome"] == "refused" and by_line[3]["rule"] == "json_syntax", by_line
    assert by_line[4]["outcome"] == "ended" and by_line[4]["rule"] == "ended", by_line
    assert "a pris fin le" in by_line[4]["message"]


def test_only_the_staff_imports():
    row = {"line": 2, "approved_at": 1735689600, "application": harness.numbered_fixture(77100)}
    # A key the intake knows but that is not the staff's: review's own.
    reply = Client(stack.port, "intake", keys=stack.service_keys("review"),
                   server_key=stack.server_key("intake"), tries=2).call("import", rows=[row])
    assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    assert reply["rule"] == "role" and "staff" in reply["message"], reply
    # Nor without a key, on the public endpoint.
    reply = Client(stack.port, "intake").call("import", rows=[row])
    assert reply["type"] == "error", reply
    # essp import without a staff key says so and sends nothing.
    home = tempfile.mkdtemp(prefix="essp-nostaff-", dir=work)
    shutil.copytree(os.path.join(stack.home, "keys"), os.path.join(home, "keys"))
    shutil.rmtree(os.path.join(home, "keys", "staff"))
    result = subprocess.run([os.path.join(BIN, "essp"), "import", EXAMPLE], capture_output=True, text=True,
                            env=dict(stack.env, ESSP_HOME=home), timeout=60)
    assert result.returncode == 2 and "no staff key" in result.stderr, result.stderr


def test_duplicate_row_is_refused_in_both_modes():
    """Two rows of one listing (same SIRET, no advisor) in one file: the
    second is refused, naming the first, in a dry run as for real."""
    document = harness.numbered_fixture(77200)
    document.pop("advisor", None)
    row = json.dumps({"approved_at": "2025-02-03", "application": document}, ensure_ascii=False)
    path = write("double.jsonl", row + "\n" + row + "\n")
    for mode in (["--dry-run"], []):
        code, lines, err = essp_import(path, "--json", *mode)
        assert code == 1, (mode, err)
        summary = lines[-1]
        assert summary["would_import" if mode else "imported"] == 1 and summary["refused"] == 1, (mode, summary)
        assert summary["already"] == 0, (mode, summary)
        second = [r for r in lines[:-1] if r["line"] == 2][0]
        assert second["outcome"] == "refused" and second["rule"] == "duplicate", second
        assert "la ligne 1 de ce fichier" in second["message"], second


def test_withdraw_reason_is_an_argument():
    """`essp withdraw ID --reason -h`: -h is the reason, not a request for
    the usage; a blank reason is refused and withdraws nothing."""
    code, lines, err = essp_import(EXAMPLE, "--json")
    app_id = lines[1]["id"]
    blank = stack.essp("withdraw", app_id, "--reason", " ", check=False)
    assert blank.returncode == 2 and "reason is required" in blank.stderr, blank
    assert stack.essp_json("status", app_id)["state"] != "withdrawn"
    dash = stack.essp("withdraw", app_id, "--reason", "-h", check=False)
    assert dash.returncode == 0 and "usage:" not in dash.stdout, dash
    assert stack.wait_state(app_id, "withdrawn")["state"] == "withdrawn"


def test_reference_errors_name_their_column():
    """Reference 1 empty, reference 2 wrong: the error names « référence 2 »
    (the application's references are numbered from the first filled)."""
    import csv
    import io
    with open(EXAMPLE, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, row = rows[0], rows[1]
    for i, heading in enumerate(header):
        if heading.startswith("référence 1 : "):
            row[i] = ""
    row[header.index("référence 2 : nature")] = "zzz"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, row])
    path = write("references.csv", out.getvalue())
    code, lines, err = essp_import(path, "--dry-run", "--json")
    assert code == 1, err
    assert lines[0]["field"] == "references[1].kind", lines[0]
    assert lines[0]["column"] == "référence 2 : nature", lines[0]
    assert "(colonne « référence 2 : nature »)" in err, err


def test_not_a_regular_file():
    """A directory or a pipe named x.csv is refused at once, saying so."""
    folder = os.path.join(work, "dossier.csv")
    os.mkdir(folder)
    pipe = os.path.join(work, "tube.csv")
    os.mkfifo(pipe)
    for path in (folder, pipe):
        code, lines, err = essp_import(path, "--dry-run")
        assert code == 1 and lines == [], (path, err)
        assert "n'est pas un fichier ordinaire" in err, (path, err)


def test_withdrawn_listing_is_not_brought_back():
    """A listing the staff withdrew stays withdrawn when its file is
    imported again: import publishes without a vote."""
    code, lines, err = essp_import(EXAMPLE, "--json")
    assert code == 0 and lines[-1]["imported"] == 0, (lines, err)
    withdrawn = lines[0]["id"]
    stack.essp_json("withdraw", withdrawn, "--reason", "retrait demandé par la structure")
    deadline = time.monotonic() + 60
    while withdrawn in [e.get("id") for e in directory()]:
        assert time.monotonic() < deadline, "the withdrawn listing is still published"
        time.sleep(0.5)
    head = intake_head()
    code, lines, err = essp_import(EXAMPLE, "--json")
    assert code == 0, err
    assert lines[-1]["imported"] == 0 and lines[-1]["already"] == 3, lines
    row = [r for r in lines[:-1] if r.get("id") == withdrawn][0]
    assert row["outcome"] == "already" and "a été retirée" in row["message"], row
    assert "a été retirée, dossier %s" % withdrawn in err, err
    assert intake_head() == head
    assert withdrawn not in [e.get("id") for e in directory()]


def test_erased_listing_is_not_brought_back():
    """A listing erased at its person's request is not imported again from
    the same file: the erasure keeps a keyed hash of SIRET and advisor,
    and nothing else of them."""
    code, lines, err = essp_import(EXAMPLE, "--json")
    assert code == 0 and lines[-1]["imported"] == 0, (lines, err)
    row = [r for r in lines[:-1] if "retirée" not in r.get("message", "")][0]
    erased, line = row["id"], row["line"]
    stack.essp_json("erase", erased)
    deadline = time.monotonic() + 60
    while erased in [e.get("id") for e in directory()]:
        assert time.monotonic() < deadline, "the erased listing is still published"
        time.sleep(0.5)
    head = intake_head()
    code, lines, err = essp_import(EXAMPLE, "--json")
    assert code == 0, err
    assert lines[-1]["imported"] == 0 and lines[-1]["already"] == 3, lines
    again = [r for r in lines[:-1] if r.get("line") == line][0]
    assert again["outcome"] == "already", again
    assert "a été effacée le" in again["message"] and "à la demande de la personne" in again["message"], again
    assert intake_head() == head
    assert erased not in [e.get("id") for e in directory()]


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_dry_run_stores_nothing, test_example_keeps_its_dates, test_ten_thousand_rows,
                     test_progress_bar_only_on_a_terminal, test_hostile_rows_are_refused_one_by_one, test_missing_column_refuses_the_file,
                     test_jsonl_rows, test_only_the_staff_imports, test_duplicate_row_is_refused_in_both_modes,
                     test_withdraw_reason_is_an_argument, test_withdrawn_listing_is_not_brought_back,
                     test_erased_listing_is_not_brought_back,
                     test_reference_errors_name_their_column, test_not_a_regular_file])
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
