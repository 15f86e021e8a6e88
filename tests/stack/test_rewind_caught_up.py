"""A producer put back to an older copy is caught even when its head has
passed its reader's cursor again before the reader asks.  Intake's store
is put back to a copy made after one application while validation, which
had applied three, is stopped; new applications then take intake's head
past validation's cursor, so that validation's first pull would be held
and answered with events under seqs it had already used.  Validation
compares intake's event at its cursor with the one it applied, finds
another, logs the rewind and stops reading intake: none of the new
applications is validated, none is skipped, and its health says why."""

import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
import rewinding  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))


def s_intake_read_by_validation(stack):
    head = rewinding.head(stack, "intake")
    rewinding.wait_for(lambda: rewinding.cursors(stack, "validation")["intake"] == head, "validation reading intake")
    return head


def s_restart_intake(stack, copy_from=None, copy_to=None):
    stack.kill("intake", signal.SIGTERM)
    data = rewinding.data_dir(stack, "intake")
    if copy_to:
        shutil.copyfile(os.path.join(data, "data.mdb"), copy_to)
    if copy_from:
        shutil.copyfile(copy_from, os.path.join(data, "data.mdb"))
        os.unlink(os.path.join(data, "lock.mdb"))
    stack.start("intake")


def test_a_rewind_caught_up_before_the_reader_asks():
    stack = harness.Stack(BIN)
    work = tempfile.mkdtemp(prefix="essp-rewind-")
    old = os.path.join(work, "intake-data.mdb")
    try:
        stack.start()
        publisher = publishing.Publisher(stack, work)
        publisher.submit(publisher.document(name="Première Structure"))
        s_intake_read_by_validation(stack)
        s_restart_intake(stack, copy_to=old)
        for name in ("Deuxième Structure", "Troisième Structure"):
            publisher.submit(publisher.document(name=name))
        cursor = s_intake_read_by_validation(stack)
        # Validation stopped; intake back to the older copy, whose head
        # then passes validation's cursor with other applications.
        stack.kill("validation", signal.SIGTERM)
        s_restart_intake(stack, copy_from=old)
        assert rewinding.head(stack, "intake") < cursor
        new = []
        while rewinding.head(stack, "intake") <= cursor:
            new.append(publisher.submit(publisher.document(name="Nouvelle Structure %d" % len(new))))
        stack.start("validation")
        pattern = "REWIND DETECTED: intake's event at seq %d is not the one validation applied under that seq" % cursor
        rewinding.wait_for(lambda: pattern in stack.log("validation"), "validation's rewind error")
        assert stack.log("validation").count("REWIND DETECTED") == 1
        health = rewinding.health(stack, "validation")
        stream = [s for s in health["streams"] if s["producer"] == "intake"][0]
        assert stream["rewound"] and not health["ready"], health
        waiting = "stopped: rewind of intake (its event at cursor %d is another)" % cursor
        assert waiting in health["waiting"], health
        # Nothing applied, nothing skipped: the cursor stayed, and every
        # new application is still as intake received it.
        submitted = publisher.submit(publisher.document(name="Dernière Structure"))
        assert rewinding.cursors(stack, "validation")["intake"] == cursor
        for app_id in new + [submitted]:
            assert stack.essp_json("status", app_id)["state"] == "received", app_id
    finally:
        stack.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run([test_a_rewind_caught_up_before_the_reader_asks])
