"""Members and staff are authenticated: review answers member and staff
requests only on its CURVE endpoint, behind zauth and the certificate store
in $ESSP_HOME/keys/allowed.  A key that is not in the store, or no key, gets
no answer; a member votes only as the member their key names; a removed
member's key is refused; staff requests need a staff key."""

import os
import sys

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client, load_cert, pack, secure_endpoint  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
SILENCE = dict(timeout=1.0, tries=1)


def refused_silently(client, message_type="ping", **fields):
    """The handshake fails: the request is never answered."""
    try:
        reply = client.call(message_type, **fields)
    except TimeoutError:
        return
    finally:
        client.close()
    raise AssertionError("answered without a valid key: %s" % reply)


def in_review():
    """An application waiting for the committee."""
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = harness.make_siret(31337)
    receipt = Client(stack.port, "intake").call("submit", application=document, key="auth-1")
    assert receipt["type"] == "receipt", receipt
    stack.wait_state(receipt["id"], "in_review")
    return receipt["id"]


def test_member_add_writes_a_key_pair_and_installs_its_public_half():
    for name, college in MEMBERS:
        assert stack.essp_json("member", "add", name, "--college", college)["name"] == name
    path = stack.key_path("member", "Hervé Le Guen")
    public, secret = load_cert(path)
    assert public and secret, "the member's key pair is in keys/members"
    allowed = os.path.join(stack.home, "keys", "allowed", "member-Herv%C3%A9%20Le%20Guen.cert")
    with open(allowed, encoding="utf-8") as f:
        text = f.read()
    assert load_cert(allowed) == (public, None), "only the public half is in the store"
    assert 'name = "Hervé Le Guen"' in text and 'role = "member"' in text
    listed = stack.essp_lines("member", "list")
    assert [m["name"] for m in listed] == sorted(name for name, _ in MEMBERS)
    endpoints = stack.essp_lines("endpoints")
    secure = [e for e in endpoints if e["service"] == "review-secure"]
    assert secure == [{"service": "review-secure", "endpoint": secure_endpoint(stack.port),
                       "server_key": os.path.join(stack.home, "keys", "review.cert")}]


def test_the_identity_of_the_key_reaches_the_service():
    claire = stack.review_as("Claire Moreau")
    reply = claire.call("queue")
    assert reply["type"] == "queue" and reply["member"] == "Claire Moreau", reply
    claire.close()
    herve = stack.review_as("Hervé Le Guen")
    assert herve.call("queue")["member"] == "Hervé Le Guen"
    herve.close()


def test_member_and_staff_requests_are_refused_on_the_plain_endpoint():
    plain = Client(stack.port, "review")
    for message_type, fields in (("member_add", dict(name="X", college="researchers")),
                                 ("member_list", {}), ("member_remove", dict(name="X")),
                                 ("queue", dict(member="Claire Moreau")),
                                 ("vote", dict(id="a", member="Claire Moreau", decision="approve")),
                                 ("withdraw", dict(id="a", reason="test"))):
        reply = plain.call(message_type, **fields)
        assert reply["type"] == "error" and reply["code"] == "forbidden", reply
        assert reply["rule"] == "authentication" and "authenticated endpoint" in reply["message"], reply
    # What stays on the plain endpoint: ping.  Review's stream is private
    # (test_private.py): pulled there, it is refused.
    assert plain.call("ping")["type"] == "pong"
    reply = plain.call("pull", after=0, wait=0)
    assert reply["type"] == "error" and reply["code"] == "forbidden" and reply["rule"] == "authentication", reply
    plain.close()


def test_an_unknown_key_or_no_key_is_refused():
    public, secret = zmq.curve_keypair()
    refused_silently(Client(stack.port, "review", keys=(public, secret), server_key=stack.server_key(),
                            **SILENCE))
    refused_silently(Client(stack.port, "review", keys=(public, secret), server_key=stack.server_key(),
                            **SILENCE), "vote", id="x", decision="approve")
    # A plain client on the secure port: no CURVE handshake, no answer.
    plain = zmq.Context.instance().socket(zmq.DEALER)
    plain.setsockopt(zmq.LINGER, 0)
    plain.connect(secure_endpoint(stack.port))
    plain.send(pack({"v": 1, "type": "ping", "rid": 1}))
    assert not plain.poll(1000), "a client without a key is never answered"
    plain.close()
    # The service's own public key is not a member's key either.
    server = stack.server_key()
    refused_silently(Client(stack.port, "review", keys=(server, secret), server_key=server, **SILENCE))
    assert stack.review_as("Claire Moreau").call("ping")["type"] == "pong", "a valid key still works"


def test_a_member_votes_only_as_themself():
    app_id = in_review()
    claire = stack.review_as("Claire Moreau")
    reply = claire.call("vote", id=app_id, member="Sophie Bernard", decision="approve")
    assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    assert reply["field"] == "member" and reply["rule"] == "identity", reply
    reply = claire.call("queue", member="Sophie Bernard")
    assert reply["code"] == "forbidden" and reply["rule"] == "identity", reply
    # Nothing was recorded for Sophie Bernard: her queue still has the file,
    # and no vote.
    sophie = stack.review_as("Sophie Bernard")
    items = [i for i in sophie.call("queue")["items"] if i["id"] == app_id]
    assert len(items) == 1 and items[0]["votes"] == [], items
    # Without a member field, the vote is the key's.
    assert claire.call("vote", id=app_id, decision="approve")["type"] == "vote_ack"
    items = [i for i in sophie.call("queue")["items"] if i["id"] == app_id]
    assert items[0]["votes"] == [{"member": "Claire Moreau", "college": "researchers", "decision": "approve"}]
    # The essp tool: --as chooses the key, and a member without a key here
    # cannot vote at all.
    result = stack.essp("vote", app_id, "approve", "--as", "Nobody", check=False)
    assert result.returncode == 2 and "no member key named 'Nobody'" in result.stderr, result.stderr
    claire.close()
    sophie.close()


def test_staff_requests_need_a_staff_key():
    claire = stack.review_as("Claire Moreau")
    for message_type, fields in (("member_add", dict(name="Intrus", college="researchers")),
                                 ("member_list", {}), ("member_remove", dict(name="Sophie Bernard")),
                                 ("withdraw", dict(id="a", reason="test"))):
        reply = claire.call(message_type, **fields)
        assert reply["type"] == "error" and reply["code"] == "forbidden" and reply["rule"] == "role", reply
    claire.close()
    staff = stack.staff()
    reply = staff.call("vote", id="a", member="operator", decision="approve")
    assert reply["code"] == "forbidden" and reply["rule"] == "role", reply
    assert len(staff.call("member_list")["members"]) == len(MEMBERS)
    staff.close()


def test_a_removed_member_is_refused():
    keys = load_cert(stack.key_path("member", "Sophie Bernard"))
    connected = stack.review_as("Sophie Bernard")
    assert connected.call("queue")["type"] == "queue"
    removed = stack.essp_json("member", "remove", "Sophie Bernard")
    assert removed["name"] == "Sophie Bernard" and removed["college"] == "ess_networks"
    assert not os.path.exists(os.path.join(stack.home, "keys", "allowed", "member-Sophie%20Bernard.cert"))
    # A connection opened before the removal: the member no longer exists.
    reply = connected.call("queue")
    assert reply["code"] == "not_found" and reply["field"] == "member", reply
    connected.close()
    # A new connection with the same key: refused at the handshake.
    refused_silently(Client(stack.port, "review", keys=keys, server_key=stack.server_key(), **SILENCE))
    assert [m["name"] for m in stack.essp_lines("member", "list")] == ["Claire Moreau", "Hervé Le Guen"]
    result = stack.essp("member", "remove", "Sophie Bernard", check=False)
    assert result.returncode == 1 and "no committee member" in result.stderr
    # Added again: a new key pair; the old key stays refused.
    stack.essp_json("member", "add", "Sophie Bernard", "--college", "ess_networks")
    assert load_cert(stack.key_path("member", "Sophie Bernard")) != keys
    refused_silently(Client(stack.port, "review", keys=keys, server_key=stack.server_key(), **SILENCE))
    assert stack.review_as("Sophie Bernard").call("queue")["member"] == "Sophie Bernard"


def test_the_service_key_is_kept_across_restarts():
    before = stack.server_key()
    stack.kill("review")
    stack.start("review")
    assert stack.server_key() == before
    assert stack.review_as("Claire Moreau").call("ping")["type"] == "pong"
    # Without a staff key, the essp tool says what to do.
    env = dict(stack.env, ESSP_STAFF="nobody")
    result = harness.subprocess.run([os.path.join(BIN, "essp"), "member", "list"], env=env,
                                    capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "no staff key named 'nobody'" in result.stderr, result.stderr


if __name__ == "__main__":
    try:
        stack.start()
        harness.run([
            test_member_add_writes_a_key_pair_and_installs_its_public_half,
            test_the_identity_of_the_key_reaches_the_service,
            test_member_and_staff_requests_are_refused_on_the_plain_endpoint,
            test_an_unknown_key_or_no_key_is_refused,
            test_a_member_votes_only_as_themself,
            test_staff_requests_need_a_staff_key,
            test_a_removed_member_is_refused,
            test_the_service_key_is_kept_across_restarts,
        ])
    finally:
        stack.cleanup()
