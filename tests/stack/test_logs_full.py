"""A log line is never cut (README: Journaux).  The stack's log folder is a
small tmpfs: intake's log rotates by size (ESSP_LOG_MAX_BYTES,
ESSP_LOG_FILES) and keeps whole lines across files; then the filesystem is
filled up while requests keep coming: the lines that do not fit are left
out and counted, none is half written, and once there is room again the
log says how many were lost."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
MAX_BYTES = 16384
stack = harness.Stack(BIN, env={"ESSP_LOG_MAX_BYTES": str(MAX_BYTES), "ESSP_LOG_FILES": "3"})
LOG = os.path.join(stack.home, "log")


def log_files():
    return sorted(n for n in os.listdir(LOG) if n.startswith("intake.log"))


def assert_whole(name):
    """Every line of a log file is one JSON object ending in a newline."""
    with open(os.path.join(LOG, name), "rb") as f:
        data = f.read()
    assert data.endswith(b"\n"), "%s ends in the middle of a line: %r" % (name, data[-200:])
    for line in data.split(b"\n")[:-1]:
        assert line.startswith(b"{") and line.endswith(b"}"), "%s: a cut line: %r" % (name, line)
    return data


def pings(client, count):
    for _ in range(count):
        assert client.call("ping")["type"] == "pong"


def ping_lines():
    return [line for line in stack.log_lines("intake") if line.get("type") == "ping"]


def setup():
    # 256 KiB: the log files, then a filler that takes the rest.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0750", "essp-test-log", LOG], check=True)
    stack.start("intake")


def test_the_log_rotates_by_size_and_keeps_whole_lines():
    client = Client(stack.port, "intake")
    pings(client, 600)
    client.close()
    assert log_files() == ["intake.log", "intake.log.1", "intake.log.2"], log_files()
    for name in log_files():
        size = len(assert_whole(name))
        assert size <= MAX_BYTES, "%s: %d bytes" % (name, size)
    # The kept files hold the last lines, in order, nearly 3 x 16 KiB.
    times = [line["time"] for line in stack.log_lines("intake")]
    assert times == sorted(times)
    kept = len(ping_lines())
    assert 2 * MAX_BYTES // 200 < kept < 600, kept


def fill_the_filesystem():
    """A filler file takes every free byte of the log's filesystem."""
    with open(os.path.join(LOG, "filler"), "wb", buffering=0) as f:
        for chunk in (65536, 4096, 512, 64, 1):
            try:
                while True:
                    f.write(b"x" * chunk)
            except OSError:
                pass
    assert os.statvfs(LOG).f_bavail == 0


def lost_told(lines):
    return [line for line in lines if line.get("kind") == "message"
            and "could not be written whole" in line.get("msg", "")]


def test_a_full_disk_cuts_no_line_and_counts_the_lost_ones():
    client = Client(stack.port, "intake")
    # Filled right after a rotation, the log's last block has room for a
    # few lines at most, and the file stays far below the size that rotates
    # it: a rotation would free the oldest file's blocks and the lines
    # would fit again; without one, the lines of the full filesystem are
    # exactly those after the lines written before it.
    size = os.path.getsize(os.path.join(LOG, "intake.log"))
    for _ in range(MAX_BYTES // 64):
        pings(client, 1)
        rotated = os.path.getsize(os.path.join(LOG, "intake.log")) < size
        size = os.path.getsize(os.path.join(LOG, "intake.log"))
        if rotated:
            break
    else:
        raise AssertionError("intake.log did not rotate")
    block = os.statvfs(LOG).f_bsize
    room = -(-size // block) * block
    fill_the_filesystem()
    before = stack.log_lines("intake")
    assert lost_told(before) == [], "lines were lost while there was room"
    sent = 500
    pings(client, sent)   # every one answered
    during = stack.log_lines("intake")
    assert during[:len(before)] == before, "the log rotated: the filesystem was not full"
    assert os.path.getsize(os.path.join(LOG, "intake.log")) <= room, "intake.log grew past its last block"
    full = [line for line in during[len(before):] if line.get("type") == "ping"]
    assert len(full) < sent, "the filesystem was not full: %d of %d lines written" % (len(full), sent)
    for name in log_files():
        assert_whole(name)
    assert lost_told(during) == [], "the lost lines were told of while the filesystem was full"
    # Room again: the next line goes in, and a message counts the lost ones:
    # at least every ping of the full filesystem whose line is not in the log.
    os.unlink(os.path.join(LOG, "filler"))
    pings(client, 1)
    client.close()
    after = stack.log_lines("intake")
    assert after[:len(during)] == during, "the lines of the full filesystem changed"
    assert [line for line in after[len(during):] if line.get("type") == "ping"], "no line once there was room"
    told = lost_told(after[len(during):])
    assert len(told) == 1, lost_told(after)
    lost = int(re.match(r"(\d+) log lines", told[0]["msg"]).group(1))
    assert lost >= sent - len(full) > 0, (lost, sent, len(full))
    for name in log_files():
        assert_whole(name)


def teardown():
    stack.stop()
    subprocess.run(["umount", LOG], check=False)
    stack.cleanup()


def run_all():
    try:
        setup()
        harness.run([test_the_log_rotates_by_size_and_keeps_whole_lines,
                     test_a_full_disk_cuts_no_line_and_counts_the_lost_ones])
    finally:
        teardown()


if __name__ == "__main__":
    run_all()
