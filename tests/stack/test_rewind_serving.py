"""While intake and publication have stopped reading review's stream
after a rewind (test_rewind.py), the rest of the stack keeps serving:
intake takes submissions over ZeroMQ and HTTP and answers their status,
validation validates them, review puts them before the committee and
takes votes, publication answers the directory and its stream, and
intake still follows validation's and publication's streams."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import publishing  # noqa: E402
import rewinding  # noqa: E402
from essp_client import HTTP_OFFSET, pull_all  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))


def s_http_submit(stack, document):
    response = Gateway(stack.port + HTTP_OFFSET).post_json("/api/v1/applications", document)
    assert response.status == 201, response
    return response.json()


def test_the_stack_serves_while_a_reader_is_stopped():
    rewound = rewinding.RewoundStack(BIN).run()
    stack = rewound.stack
    try:
        publisher = rewound.publisher
        before = rewinding.cursors(stack, "intake")
        # Submissions, over ZeroMQ (the essp tool) and over HTTP.
        a3 = publisher.submit(publisher.document(name="Troisième Structure"))
        receipt = s_http_submit(stack, publisher.document(name="Quatrième Structure"))
        a4 = receipt["id"]
        for app_id in (a3, a4):
            assert stack.essp_json("status", app_id)["state"] == "received"
        # Validation validates them and review puts them before the
        # committee, which votes.
        rewinding.wait_for(lambda: {a3, a4} <= {i["id"] for i in stack.essp_lines("queue", "--as", "Claire Moreau")},
                           "A3 and A4 before the committee")
        ack = stack.essp_json("vote", a3, "reject", "--as", "Claire Moreau", "--motivation", "Hors champ")
        assert ack["id"] == a3 and not ack["duplicate"], ack
        # Intake still follows validation: its cursor there moved past the
        # two new verdicts; on review it stays where it stopped.
        rewinding.wait_for(lambda: rewinding.cursors(stack, "intake")["validation"] >= before["validation"] + 2,
                           "intake reading validation")
        assert rewinding.cursors(stack, "intake")["review"] == before["review"] == rewound.before
        # Publication answers the directory and its stream.
        assert [e["id"] for e in stack.essp_lines("directory")] == [rewound.a1]
        events = pull_all(stack.port, "publication")
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert rewinding.head(stack, "publication") == len(events)
        # Every service answers.
        for service in harness.SERVICES:
            assert rewinding.head(stack, service) >= 0
    finally:
        rewound.cleanup()


if __name__ == "__main__":
    harness.run([test_the_stack_serves_while_a_reader_is_stopped])
