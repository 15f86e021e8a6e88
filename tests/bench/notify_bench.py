#!/usr/bin/python3
"""essp-notify's figures, on the real stack and a real SMTP server on
loopback (aiosmtpd, tests/stack/smtp_server.py):

  mails per second   the letters delivered per second while a backlog
                     waits (notify stopped while applications go through
                     intake and validation, then started: every letter is
                     written and sent as fast as notify can);
  lag at a rate      applications offered to intake at RATE per second
                     for SECONDS (pipelined, not waiting for receipts):
                     how long after its submission each receipt letter
                     reached the server (median, 99th percentile, worst),
                     and how long after the last submission the last
                     letter arrived.

    tests/bench/notify_bench.py [BIN] [--rate 1000] [--seconds 10] [--backlog 2000]

BIN defaults to build/bin.  Prints one JSON object."""

import argparse
import json
import os
import statistics
import sys
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "stack"))
import harness  # noqa: E402
from essp_client import endpoint, pack, unpack  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402


def documents(count, first):
    template = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    for n in range(first, first + count):
        doc = dict(template, organisation=dict(template["organisation"]))
        doc["organisation"]["siret"] = harness.make_siret(600000 + n)
        doc["organisation"]["name"] = "Mutuelle d’essai n°%d" % n
        doc["organisation"]["private_contact"] = dict(doc["organisation"]["private_contact"],
                                                      email="bench-%d@essais.example" % n)
        yield n, "bench-%d@essais.example" % n, doc


def offer(stack, count, first, rate):
    """Sends count submissions at `rate` per second on one DEALER without
    waiting for each receipt; returns {address: time sent}."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint(stack.port, "intake"))
    sent, receipts = {}, 0
    start = time.monotonic()
    for i, (n, address, doc) in enumerate(documents(count, first)):
        due = start + i / rate
        while True:
            now = time.monotonic()
            while socket.poll(0):
                reply = unpack(socket.recv())
                assert reply["type"] == "receipt", reply
                receipts += 1
            if now >= due:
                break
            time.sleep(min(due - now, 0.001))
        socket.send(pack(dict(v=1, type="submit", rid=n, application=doc, key="bench-%d" % n)))
        sent[address] = time.monotonic()
    offered_s = time.monotonic() - start
    while receipts < count:
        assert socket.poll(60000), "intake stopped answering"
        assert unpack(socket.recv())["type"] == "receipt"
        receipts += 1
    socket.close()
    return sent, offered_s


def receipt_times(server, addresses):
    return {m.rcpt: m.at for m in server.snapshot() if m.rcpt in addresses
            and "enregistrée" in m.message["Subject"]}


def mails_per_second(stack, server, backlog):
    """notify stopped, `backlog` applications through intake and validation
    (two letters each: receipt, in review), then notify started."""
    stack.kill("notify")
    before = len(server.snapshot())
    sent, _ = offer(stack, backlog, 1, 2000)
    expected = before + 2 * backlog
    started = time.monotonic()
    stack.start("notify")
    server.wait_count(expected, timeout=3600)
    elapsed = time.monotonic() - started
    return {"letters": 2 * backlog, "seconds": round(elapsed, 2),
            "mails_per_second": round(2 * backlog / elapsed, 1), "smtp_sessions": server.sessions}


def lag(stack, server, rate, seconds):
    count = int(rate * seconds)
    before = len(server.snapshot())
    sent, offered_s = offer(stack, count, 10 ** 6, rate)
    addresses = set(sent)
    # Two letters each (receipt, in review): counted, not searched, while
    # they arrive.
    server.wait_count(before + 2 * count, timeout=3600)
    arrived = receipt_times(server, addresses)
    delays = sorted(arrived[a] - sent[a] for a in addresses)
    last_sent = max(sent.values())
    return {"offered_per_second": rate, "applications": count,
            "achieved_per_second": round(count / offered_s, 1),
            "receipt_delay_s": {"median": round(statistics.median(delays), 3),
                                "p99": round(delays[int(len(delays) * 0.99) - 1], 3),
                                "max": round(delays[-1], 3)},
            "last_letter_after_last_submission_s": round(max(arrived.values()) - last_sent, 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin", nargs="?", default=os.path.join(harness.ROOT, "build", "bin"))
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--backlog", type=int, default=2000)
    args = parser.parse_args()
    server = SmtpServer().start()
    stack = harness.Stack(os.path.abspath(args.bin), env={"ESSP_SMTP_URL": server.url})
    try:
        stack.start()
        stack.start("notify")
        figures = {"mail_backlog": mails_per_second(stack, server, args.backlog),
                   "lag": lag(stack, server, args.rate, args.seconds)}
        print(json.dumps(figures, indent=2))
    finally:
        stack.cleanup()
        server.stop()


if __name__ == "__main__":
    main()
