"""essp import resumed after a kill -9 (proto/README.md « Importer
l'annuaire existant »): essp import killed in the middle of a file, then
intake killed in the middle of another; each time the same command run
again completes the import, and every listing of the file is published
exactly once."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import import_file  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
work = tempfile.mkdtemp(prefix="essp-import-kill-")
ROWS = 3000


def start_import(path):
    return subprocess.Popen([os.path.join(BIN, "essp"), "import", path, "--json"], env=stack.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_until_imported(process, count):
    """Reads essp's JSON lines until `count` rows are reported imported:
    then intake has committed them."""
    imported = 0
    while imported < count:
        line = process.stdout.readline()
        assert line, "essp import ended early: %s" % process.stderr.read()
        imported += json.loads(line).get("outcome") == "imported"
    return imported


def rerun(path):
    result = subprocess.run([os.path.join(BIN, "essp"), "import", path, "--json"], env=stack.env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def published_sirets(count, timeout=120.0):
    """The SIRETs of the directory once it lists `count` entries."""
    deadline = time.monotonic() + timeout
    while True:
        entries = stack.essp_lines("directory")
        if len(entries) >= count:
            return [e["organisation"]["siret"] for e in entries]
        if time.monotonic() > deadline:
            raise AssertionError("%d entries published, %d expected" % (len(entries), count))
        time.sleep(0.5)


def test_kill_essp_import_then_rerun():
    path = os.path.join(work, "premier.csv")
    good, _ = import_file.write(path, ROWS, bad_every=0, first=30001)
    process = start_import(path)
    read_until_imported(process, 600)
    process.send_signal(signal.SIGKILL)
    process.wait()
    summary = rerun(path)
    assert summary["imported"] + summary["already"] == ROWS, summary
    assert summary["already"] >= 600 and summary["imported"] > 0, summary
    sirets = published_sirets(ROWS)
    assert len(sirets) == ROWS and sorted(sirets) == sorted(good)
    assert rerun(path)["imported"] == 0


def test_kill_intake_then_rerun():
    path = os.path.join(work, "second.csv")
    good, _ = import_file.write(path, ROWS, bad_every=0, first=40001)
    process = start_import(path)
    read_until_imported(process, 600)
    stack.kill("intake")
    process.send_signal(signal.SIGKILL)
    process.wait()
    stack.start("intake")
    summary = rerun(path)
    assert summary["imported"] + summary["already"] == ROWS, summary
    assert summary["already"] >= 600 and summary["imported"] > 0, summary
    sirets = published_sirets(2 * ROWS)
    assert len(sirets) == 2 * ROWS and len(set(sirets)) == 2 * ROWS
    assert set(good) <= set(sirets)


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([test_kill_essp_import_then_rerun, test_kill_intake_then_rerun])
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)
