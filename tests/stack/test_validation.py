"""The real validation service following intake's stream (a stand-in intake
serves the events of the protocol): a renewal's `renews` goes on into
`validated`, an appeal is passed on with intake's fields, and an erasure
redacts everything validation said about the application before passing
the `erased` on; the other applications' events are left as they were."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
import rewinding  # noqa: E402
from essp_client import pull_all  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
MARKER = "zq5-personnel-2291"


def application(name, seed):
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["name"] = name
    document["organisation"]["siret"] = harness.make_siret(900000 + seed)
    document["principles"]["purpose"] += " " + MARKER
    return document


def wait_events(stack, count, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        events = pull_all(stack.port, "validation")
        if len(events) >= count:
            return events
        assert time.monotonic() < deadline, "validation stayed at %d of %d events" % (len(events), count)
        time.sleep(0.05)


def caught_up(stack, intake):
    """Waits until validation has applied every event the stand-in intake
    served so far: what it does with them is then in its stream."""
    head = len(intake.events)
    rewinding.wait_for(lambda: rewinding.cursors(stack, "validation")["intake"] == head,
                       "validation applying intake's stream up to %d" % head, timeout=20)


def test_renewal_appeal_and_erasure_pass_through_validation():
    stack = harness.Stack(BIN)
    intake = None
    try:
        intake = publishing.FakeReview(stack.port, service="intake")
        stack.start("validation", ready=True)
        at = 1764115200
        intake.add("submitted", at=at, id="renewal1", revision=1, renews="earlier1",
                   application=application("Mutuelle qui renouvelle", 1))
        intake.add("submitted", at=at + 1, id="other1", revision=1,
                   application=application("Mutuelle voisine", 2))
        motivation = "Nous contestons ce refus : " + MARKER
        intake.add("appealed", at=at + 2, id="renewal1", revision=1, motivation=motivation)
        events = wait_events(stack, 3)
        assert [(e["type"], e["id"]) for e in events] == [
            ("validated", "renewal1"), ("validated", "other1"), ("appealed", "renewal1")]
        assert events[0]["renews"] == "earlier1" and events[0]["verdict"] == "review"
        assert MARKER in events[0]["application"]["principles"]["purpose"]
        assert "renews" not in events[1]
        assert {k: v for k, v in events[2].items() if k != "seq"} == dict(
            v=1, type="appealed", at=at + 2, id="renewal1", revision=1, motivation=motivation)
        other = events[1]

        intake.add("erased", at=at + 3, id="renewal1")
        # What intake's own erasure left in its log: nothing for validation.
        intake.add("redacted", at=at, id="renewal1")
        wait_events(stack, 4)
        # intake's "redacted" read as well: it adds nothing to the stream.
        caught_up(stack, intake)
        events = pull_all(stack.port, "validation")
        assert len(events) == 4, events
        assert events[0] == dict(seq=1, v=1, type="redacted", at=events[0]["at"], id="renewal1")
        assert events[1] == other, "another application's event is left as it was"
        assert events[2] == dict(seq=3, v=1, type="redacted", at=at + 2, id="renewal1")
        assert events[3] == dict(seq=4, v=1, type="erased", at=at + 3, id="renewal1")
        stream = b"".join(publishing.raw_pulls_of(stack.port, "validation"))
        assert stream.count(MARKER.encode()) == 1, "only the other application keeps its text"
        assert b"renouvelle" not in stream and b"contestons" not in stream

        # Killed and started again, it applies nothing twice.
        stack.kill("validation")
        stack.start("validation", ready=True)
        caught_up(stack, intake)
        assert pull_all(stack.port, "validation") == events
    finally:
        if intake:
            intake.close()
        stack.cleanup()


if __name__ == "__main__":
    harness.run([test_renewal_appeal_and_erasure_pass_through_validation])
