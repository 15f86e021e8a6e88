"""Every service's interface under hostile input, through a client written
from proto/README.md: malformed bytes, oversize frames, broken UTF-8, wrong
versions, unknown types and fields, missing fields.  Each is refused with
the field and the rule named (or, above the size limit, dropped before a
byte is decoded); the service keeps running and nothing is lost."""

import os
import random
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import SERVICES, Client, pack, pull_all, staff_client  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)


def refused(service, data, rule, field=None):
    client = Client(stack.port, service)
    try:
        reply = client.send_raw(data)
    finally:
        client.close()
    assert reply is not None, "no reply to %r" % data[:40]
    assert reply["type"] == "error" and reply["code"] == "invalid", reply
    assert reply["rule"] == rule, reply
    if field is not None:
        assert reply["field"] == field, reply
    return reply


def alive():
    for service in SERVICES:
        client = Client(stack.port, service, timeout=2, tries=1)
        assert client.call("ping")["type"] == "pong"
        client.close()


def test_malformed_bytes_are_refused_without_harm():
    for service in SERVICES:
        refused(service, bytes.fromhex("ddff000000"), "truncated")     # array of 4 G items in 5 bytes
        refused(service, bytes.fromhex("dfffffffff"), "truncated")     # map of 4 G pairs
        refused(service, bytes.fromhex("d9ff41"), "truncated")         # str8 longer than the frame
        refused(service, b"\x91" * 40 + b"\xc0", "depth")
        refused(service, bytes.fromhex("c1"), "malformed")
        refused(service, pack({"v": 1, "type": "ping"}) + b"\x00", "trailing_bytes")
        refused(service, bytes.fromhex("81a176") + b"\xa2\xc3\x28", "utf8")  # {"v": "\xc3("}
    alive()


def test_envelope_and_fields_are_checked():
    refused("intake", pack([1, 2, 3]), "type", "")
    refused("intake", pack({"type": "ping"}), "required", "v")
    refused("intake", pack({"v": 2, "type": "ping"}), "version", "v")
    refused("intake", pack({"v": 1, "type": "launch"}), "unknown_type", "type")
    refused("intake", pack({"v": 1, "type": "status"}), "required", "id")
    refused("intake", pack({"v": 1, "type": "status", "id": 42}), "type", "id")
    refused("intake", pack({"v": 1, "type": "status", "id": "x" * 33}), "max", "id")
    refused("intake", pack({"v": 1, "type": "status", "id": "a", "extra": 1}), "unknown_field", "extra")
    refused("review", pack({"v": 1, "type": "vote", "id": "a", "member": "m", "decision": "maybe"}),
            "enum", "decision")
    refused("review", pack({"v": 1, "type": "member_add", "name": "X", "college": "kings"}),
            "enum", "college")
    refused("publication", pack({"v": 1, "type": "pull", "after": 0, "max": 5000}), "range", "max")
    refused("intake", pack({"v": 1, "type": "submit", "application": {"organisation": 3}}),
            "type", "application.organisation")
    duplicate_key = bytes.fromhex("83") + pack("v") + pack(1) + pack("type") + pack("ping") + pack("v") + pack(1)
    refused("intake", duplicate_key, "duplicate_key")
    alive()


def test_seq_is_ignored_on_a_request():
    """README section 4.1: a key "seq" is ignored on any message, whatever its value."""
    for service in SERVICES:
        client = Client(stack.port, service)
        try:
            for seq in (7, "x"):
                reply = client.send_raw(pack({"v": 1, "type": "ping", "seq": seq}))
                assert reply is not None and reply["type"] == "pong", reply
                assert reply["service"] == service, reply
        finally:
            client.close()
    client = Client(stack.port, "intake")
    try:
        reply = client.send_raw(pack({"v": 1, "type": "status", "id": "nosuchid", "seq": 3}))
    finally:
        client.close()
    assert reply["type"] == "error" and reply["code"] == "not_found", reply


def test_oversize_frames_are_dropped_and_the_service_lives_on():
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect("tcp://127.0.0.1:%d" % stack.port)
    socket.send(pack({"v": 1, "type": "submit", "application": {"x": "a" * (2 << 20)}}))
    assert not socket.poll(500), "an oversize frame is never answered, never decoded"
    socket.close()
    alive()


def test_rid_is_echoed_and_req_sockets_work():
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect("tcp://127.0.0.1:%d" % (stack.port + 3))
    socket.send(pack({"v": 1, "type": "ping", "rid": 77}))
    assert socket.poll(2000)
    reply = msgpack.unpackb(socket.recv(), raw=False)
    assert reply == {"v": 1, "type": "pong", "rid": 77, "service": "publication", "head": reply["head"]}
    socket.close()


def test_held_pull_returns_as_soon_as_an_event_is_appended():
    head = Client(stack.port, "intake").call("ping")["head"]
    waiter = staff_client(stack.port, "intake", timeout=20, tries=1)
    waiter._connect()
    waiter.socket.send(pack({"v": 1, "type": "pull", "rid": 5, "after": head, "max": 10, "wait": 15000}))
    time.sleep(0.3)
    assert not waiter.socket.poll(0), "nothing to send yet: the pull is held"
    document = harness.fixture("valid", harness.fixture_names("valid")[0])
    document["organisation"]["siret"] = harness.make_siret(424242)
    started = time.monotonic()
    receipt = Client(stack.port, "intake").call("submit", application=document)
    assert waiter.socket.poll(5000)
    reply = msgpack.unpackb(waiter.socket.recv(), raw=False)
    assert reply["type"] == "batch" and [e["seq"] for e in reply["events"]] == [head + 1]
    assert time.monotonic() - started < 5, "answered when the event came, not at the deadline"
    waiter.close()
    # The application goes on through validation and review: the streams
    # are still until it is before the committee (the next test compares
    # them before and after).
    stack.wait_state(receipt["id"], "in_review")


def test_random_bytes_change_nothing():
    before = {s: pull_all(stack.port, s) for s in SERVICES}
    rng = random.Random(2026)
    seeds = [pack({"v": 1, "type": "status", "id": "abc"}), pack({"v": 1, "type": "pull", "after": 0}),
             pack({"v": 1, "type": "vote", "id": "a", "member": "b", "decision": "approve"})]
    for service in SERVICES:
        client = Client(stack.port, service, timeout=2, tries=1)
        client._connect()
        for _ in range(300):
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            client.socket.send(bytes(data))
        answered = 0
        while client.socket.poll(1000):
            client.socket.recv()
            answered += 1
        assert answered == 300, "%s answered %d of 300" % (service, answered)
        client.close()
    alive()
    assert {s: pull_all(stack.port, s) for s in SERVICES} == before


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_malformed_bytes_are_refused_without_harm,
            test_envelope_and_fields_are_checked,
            test_seq_is_ignored_on_a_request,
            test_oversize_frames_are_dropped_and_the_service_lives_on,
            test_rid_is_echoed_and_req_sockets_work,
            test_held_pull_returns_as_soon_as_an_event_is_appended,
            test_random_bytes_change_nothing,
        ])
    finally:
        stack.cleanup()
