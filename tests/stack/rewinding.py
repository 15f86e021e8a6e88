"""What the rewind tests share: a stack whose review store is put back to
an older copy of itself (copied while review was stopped, as an operator
restoring one service alone would), after publication and intake had read
review's stream past that copy.  Review's events come from votes, which
the older copy never saw: the restored review re-derives only what it can
from validation's stream, so its head stays below what its readers have
applied."""

import os
import re
import shutil
import signal
import tempfile
import time

import harness
import publishing
from essp_client import Client

# The error as the service's JSON log line carries it (common/event_log.h).
REWIND = re.compile(r"\"level\":\"error\",\"msg\":\"stream review: REWIND DETECTED: review's stream ends at seq (\d+) "
                    r"but (\w+) has already applied it up to seq (\d+)")


def head(stack, service):
    client = Client(stack.port, service)
    try:
        return client.call("ping")["head"]
    finally:
        client.close()


def cursors(stack, service):
    """A service's cursors, as it answers a backup_hold of 0 ms (staff)."""
    client = stack.staff(service=service)
    try:
        reply = client.call("backup_hold", ms=0)
        assert reply["type"] == "held", reply
        return reply["cursors"]
    finally:
        client.close()


def data_dir(stack, service):
    return os.path.join(stack.home, "data", service)


# The same, found at a start: the producer's head has passed the cursor
# again, and its event under the cursor's seq is not the one applied.
REWIND_AT = re.compile(r"\"level\":\"error\",\"msg\":\"stream review: REWIND DETECTED: review's event at seq (\d+) "
                       r"is not the one (\w+) applied under that seq")


def rewinds_at(stack, service):
    """The rewind errors of a start in a service's log: (cursor, reader)."""
    with open(os.path.join(stack.home, "log", service + ".log"), errors="replace") as f:
        return [(int(c), reader) for c, reader in REWIND_AT.findall(f.read())]


def health(stack, service):
    client = Client(stack.port, service)
    try:
        return client.call("health")
    finally:
        client.close()


def rewinds(stack, service):
    """The rewind errors in a service's log: (head, reader, cursor)."""
    with open(os.path.join(stack.home, "log", service + ".log"), errors="replace") as f:
        return [(int(h), reader, int(c)) for h, reader, c in REWIND.findall(f.read())]


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("%s did not happen within %d s" % (what, timeout))
        time.sleep(0.05)


class RewoundStack:
    """A1 before the committee; review's store copied (stopped); A2 before
    the committee and A1 approved and published: review's head `before`,
    applied by publication and intake.  Then the copy is put back: the
    restored review's head is below `before`."""

    def __init__(self, bin_dir):
        self.stack = harness.Stack(bin_dir)
        self.work = tempfile.mkdtemp(prefix="essp-rewind-")
        self.old = os.path.join(self.work, "review-data.mdb")

    def run(self):
        stack = self.stack
        stack.start()
        publishing.add_members(stack)
        self.publisher = publishing.Publisher(stack, self.work)
        self.a1 = self.publisher.submit(self.publisher.document(name="Première Structure"))
        stack.wait_state(self.a1, "in_review")
        stack.kill("review", signal.SIGTERM)
        shutil.copyfile(os.path.join(data_dir(stack, "review"), "data.mdb"), self.old)
        stack.start("review")
        self.after = head(stack, "review")
        self.a2 = self.publisher.submit(self.publisher.document(name="Deuxième Structure"))
        stack.wait_state(self.a2, "in_review")
        self.publisher.approve(self.a1)
        self.before = head(stack, "review")
        assert self.before == self.after + 2, (self.before, self.after)
        # Both readers have applied review's stream to its head.
        wait_for(lambda: cursors(stack, "intake")["review"] == self.before, "intake reading review")
        wait_for(lambda: [e["id"] for e in stack.essp_lines("directory")] == [self.a1], "A1 published")
        # Back to the older copy, review stopped (its lock file goes with
        # the environment it belonged to).
        stack.kill("review", signal.SIGTERM)
        shutil.copyfile(self.old, os.path.join(data_dir(stack, "review"), "data.mdb"))
        os.unlink(os.path.join(data_dir(stack, "review"), "lock.mdb"))
        stack.start("review")
        for reader in ("publication", "intake"):
            wait_for(lambda: rewinds(stack, reader), "%s's rewind error" % reader)
        return self

    def cleanup(self):
        self.stack.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)
