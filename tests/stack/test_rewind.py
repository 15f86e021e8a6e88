"""A rewind is detected, never followed: review's store is restored alone
from an older copy while publication and intake had already applied its
stream further.  Each of them logs one error naming both services, both
seqs and what to do, and stops reading review's stream: the events the
restored review then appends under seqs its readers already used are
neither applied nor skipped over, even once review's head has passed
their cursors again."""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
import rewinding  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))


def test_the_readers_of_a_rewound_stream_stop_and_say_why():
    rewound = rewinding.RewoundStack(BIN).run()
    stack = rewound.stack
    try:
        for reader in ("publication", "intake"):
            found = rewinding.rewinds(stack, reader)
            # Once, with both numbers: where review's stream ends now (the
            # restored review re-derives A2's round from validation's
            # stream, so one more than the copy held, or not yet), and how
            # far the reader had applied it.
            assert len(found) == 1, (reader, found)
            head, who, cursor = found[0]
            assert who == reader and cursor == rewound.before, found
            assert rewound.after <= head < rewound.before, (found, rewound.after, rewound.before)
            log = stack.log(reader)
            assert "restore both from the same backup (essp restore)" in log, log
            assert "then restart %s" % reader in log, log
        # The restored review goes on: A2 approved again (its votes were
        # lost with the copy), A3 before the committee.  Its head passes
        # the readers' cursors with events they must not take for the
        # ones they applied under the same seqs.
        for member, _ in publishing.MEMBERS:
            stack.essp_json("vote", rewound.a2, "approve", "--as", member)
        a3 = rewound.publisher.submit(rewound.publisher.document(name="Troisième Structure"))
        rewinding.wait_for(lambda: rewinding.head(stack, "review") > rewound.before, "A3's round in review")
        rewinding.wait_for(lambda: a3 in [i["id"] for i in stack.essp_lines("queue", "--as", "Claire Moreau")],
                           "A3 in the committee's queue")
        # Intake stopped at its cursor: A3 stays received (a reader that
        # skipped ahead would have applied A3's round), A2's approval is
        # not applied, and the cursor has not moved.
        state = stack.essp_json("status", a3)["state"]
        assert state == "received", state
        assert stack.essp_json("status", rewound.a2)["state"] == "in_review"
        assert rewinding.cursors(stack, "intake")["review"] == rewound.before
        # Publication published nothing more: A1 only.
        assert [e["id"] for e in stack.essp_lines("directory")] == [rewound.a1]
        # And neither logged the rewind twice.
        for reader in ("publication", "intake"):
            assert len(rewinding.rewinds(stack, reader)) == 1
        # A restart of the readers (the one the error advises, or a crash's)
        # finds review's head past their cursors: the event under each
        # cursor's seq is not the one they applied, and they stop again
        # rather than go on from there (skipping A2's approval).
        for reader in ("publication", "intake"):
            stack.kill(reader, signal.SIGTERM)
            stack.start(reader)
        for reader in ("publication", "intake"):
            rewinding.wait_for(lambda: rewinding.rewinds_at(stack, reader), "%s's rewind error at its start" % reader)
            assert rewinding.rewinds_at(stack, reader) == [(rewound.before, reader)], rewinding.rewinds_at(stack, reader)
            health = rewinding.health(stack, reader)
            stream = [s for s in health["streams"] if s["producer"] == "review"][0]
            assert stream["rewound"] and not health["ready"], health
        # A new event after the restart changes nothing.
        a4 = rewound.publisher.submit(rewound.publisher.document(name="Quatrième Structure"))
        rewinding.wait_for(lambda: a4 in [i["id"] for i in stack.essp_lines("queue", "--as", "Claire Moreau")],
                           "A4 in the committee's queue")
        assert rewinding.cursors(stack, "intake")["review"] == rewound.before
        assert stack.essp_json("status", rewound.a2)["state"] == "in_review"
        assert stack.essp_json("status", a3)["state"] == "received"
        assert [e["id"] for e in stack.essp_lines("directory")] == [rewound.a1]
    finally:
        rewound.cleanup()


if __name__ == "__main__":
    harness.run([test_the_readers_of_a_rewound_stream_stop_and_say_why])
