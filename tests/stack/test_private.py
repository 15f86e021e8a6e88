"""No anonymous access to anything private, on any port (proto/README.md
2.6 and 6.1): on every endpoint `essp endpoints` prints, an anonymous
client, a client with an unknown key and a consumer's key used against
another stream are each refused.  The streams of intake, validation and
review are served only on their CURVE endpoints, to the keys of their
consumers and of staff; intake's status, history, amend and appeal need
the application's token (or a staff key); the desk's accounts and
notify's letters answer only a staff key (notify's sender, its own
secret); the desk's pages need a session; submit, ping, publication's
stream and its directory stay open to anyone.  Each test names the
endpoints it probed, and the last checks that every endpoint was."""

import concurrent.futures
import http.client
import os
import sys

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import Client, load_cert, pack, unpack  # noqa: E402
from http_client import Gateway  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
stack = harness.Stack(BIN)
PRIVATE = ("intake", "validation", "review")
# Who consumes each private stream (each service's upstreams).
CONSUMERS = {"intake": {"validation"}, "validation": {"review", "intake"},
             "review": {"publication", "intake"}}
SERVICES = ("intake", "validation", "review", "publication")
life = {}
# The endpoints (names as `essp endpoints` prints them) a test probed.
probed = set()


def ask(address, request, keys=None, server_key=None, timeout=1.5):
    """The reply to one request, or None when none comes (a refused
    handshake is silence)."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    if keys:
        socket.curve_publickey, socket.curve_secretkey = keys
        socket.curve_serverkey = server_key
    socket.connect(address)
    try:
        socket.send(pack(dict(dict(v=1, rid=1), **request)))
        if not socket.poll(int(timeout * 1000)):
            return None
        return unpack(socket.recv())
    finally:
        socket.close()


PULL = dict(type="pull", after=0, max=1000, wait=0)


def refused(reply, rule=None, what=""):
    """Silence, or an error (with that rule): never a batch of events."""
    assert reply is None or (reply["type"] == "error" and (rule is None or reply.get("rule") == rule)), \
        "%s: not refused: %s" % (what, str(reply)[:300])


def refused_all(probes):
    """Each probe (what, address, request, keys, server_key) is answered
    by silence or an error, never a batch.  They are asked all at once:
    each silence is a full wait of its own."""
    with concurrent.futures.ThreadPoolExecutor(len(probes)) as pool:
        replies = list(pool.map(lambda probe: ask(*probe[1:]), probes))
    for probe, reply in zip(probes, replies):
        refused(reply, what=probe[0])


def forbidden(reply, rule, what):
    assert reply is not None and reply["type"] == "error" and reply["code"] == "forbidden" \
        and reply["rule"] == rule and reply["field"] == "type", "%s: %s" % (what, str(reply)[:300])


def batch(reply, what):
    assert reply is not None and reply["type"] == "batch" and reply["events"], "%s: %s" % (what, str(reply)[:300])


def service_keys(name):
    return stack.service_keys(name)


def server_key(name):
    return stack.server_key(name)


def endpoints():
    return {e["service"]: e for e in stack.essp_lines("endpoints")}


def port_of(url):
    return int(url.rsplit(":", 1)[1].strip("/"))


def setup():
    stack.start()
    stack.start("desk")
    stack.start("notify")
    stack.essp_json("member", "add", "Claire Moreau", "--college", "researchers")
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = harness.make_siret(4242)
    receipt = Client(stack.port, "intake").call("submit", application=document, key="private-1")
    assert receipt["type"] == "receipt", receipt
    life.update(id=receipt["id"], token=receipt["token"])
    # Every private stream holds events about it.
    stack.wait_state(receipt["id"], "in_review")


def test_plain_endpoints_serve_no_private_stream():
    eps = endpoints()
    silent = []
    for name in PRIVATE:
        address = eps[name]["endpoint"]
        # Anonymous: the pull is answered forbidden / type / authentication.
        forbidden(ask(address, PULL), "authentication", "anonymous pull of %s" % name)
        forbidden(ask(address, dict(PULL, wait=1000)), "authentication", "held pull of %s" % name)
        # An unknown key, or a consumer's key: the plain endpoint speaks no
        # CURVE, the handshake fails, nothing is answered.
        silent.append(("unknown key on %s" % name, address, PULL, zmq.curve_keypair(), server_key(name)))
        for consumer in CONSUMERS[name]:
            silent.append(("%s's key on %s's plain endpoint" % (consumer, name), address, PULL,
                           service_keys(consumer), server_key(name)))
        # ping stays open.
        assert ask(address, dict(type="ping"))["type"] == "pong"
        probed.add(name)
    refused_all(silent)


def test_secure_endpoints_admit_only_consumers_and_staff():
    eps = endpoints()
    assert {"intake-secure", "validation-secure", "review-secure"} <= set(eps), eps
    staff = load_cert(stack.key_path("staff", "operator"))
    member = load_cert(stack.key_path("member", "Claire Moreau"))
    silent = []
    for name in PRIVATE:
        entry = eps[name + "-secure"]
        address, server = entry["endpoint"], load_cert(entry["server_key"])[0]
        assert server == server_key(name)
        # No key at all, or a key the certificate store does not hold: no
        # handshake, no answer.
        silent.append(("anonymous on %s-secure" % name, address, PULL, None, None))
        silent.append(("unknown key on %s-secure" % name, address, PULL, zmq.curve_keypair(), server))
        # A service's key: its consumers' only; a member's: never.
        for other in SERVICES:
            reply = ask(address, PULL, service_keys(other), server)
            if other in CONSUMERS[name]:
                batch(reply, "%s pulls %s" % (other, name))
            else:
                forbidden(reply, "role", "%s's key against the %s stream" % (other, name))
        forbidden(ask(address, PULL, member, server), "role", "a member's key against the %s stream" % name)
        batch(ask(address, PULL, staff, server), "staff pulls %s" % name)
        probed.add(name + "-secure")
    refused_all(silent)


def test_intake_requests_need_the_token_or_a_staff_key():
    address = endpoints()["intake"]["endpoint"]
    app_id, token = life["id"], life["token"]
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    requests = (dict(type="status", id=app_id), dict(type="history", id=app_id),
                dict(type="amend", id=app_id, application=document, key="private-amend"),
                dict(type="appeal", id=app_id, motivation="Nous contestons.", key="private-appeal"))
    for request in requests:
        for extra in ({}, {"token": "x" * 43}):
            reply = ask(address, dict(request, **extra))
            assert reply is not None and reply["type"] == "error" and reply["code"] == "not_found", \
                "%s %s: %s" % (request["type"], extra or "without token", str(reply)[:300])
    # With the token, as over HTTP.
    assert ask(address, dict(type="status", id=app_id, token=token))["type"] == "status"
    assert ask(address, dict(type="history", id=app_id, token=token))["type"] == "history"
    # On the secure endpoint: a staff key reads it; a service's key does not.
    secure = endpoints()["intake-secure"]["endpoint"]
    staff = load_cert(stack.key_path("staff", "operator"))
    assert ask(secure, dict(type="status", id=app_id), staff, server_key("intake"))["type"] == "status"
    reply = ask(secure, dict(type="status", id=app_id), service_keys("validation"), server_key("intake"))
    assert reply["type"] == "error" and reply["code"] == "not_found", reply
    # The essp tool: the token, else the staff key.
    assert stack.essp_json("status", app_id, "--token", token)["id"] == app_id
    assert stack.essp_json("status", app_id)["id"] == app_id
    wrong = stack.essp("status", app_id, "--token", "x" * 43, check=False)
    assert wrong.returncode == 1 and "not_found" in wrong.stderr, wrong.stderr


def test_the_gateway_needs_the_token():
    gateway = Gateway(int(endpoints()["intake-http"]["endpoint"].rsplit(":", 1)[1].strip("/")))
    app_id = life["id"]
    assert gateway.status(app_id, None).status == 401
    assert gateway.status(app_id, "x" * 43).status == 404
    assert gateway.status(app_id, life["token"]).status == 200
    assert gateway.post_json("/api/v1/applications/" + app_id, {}, method="PUT").status == 401
    assert gateway.post_json("/api/v1/applications/%s/appeal" % app_id, {"motivation": "x"}).status == 401
    probed.add("intake-http")


def test_what_stays_open():
    eps = endpoints()
    intake = eps["intake"]["endpoint"]
    document = harness.fixture("valid", "mutuelle-entraide-vendee.json")
    document["organisation"]["siret"] = harness.make_siret(4243)
    assert ask(intake, dict(type="submit", application=document, key="private-2"))["type"] == "receipt"
    for name in SERVICES:
        assert ask(eps[name]["endpoint"], dict(type="ping"))["type"] == "pong"
    publication = eps["publication"]["endpoint"]
    reply = ask(publication, PULL)
    assert reply["type"] == "batch", reply
    assert ask(publication, dict(type="directory"))["type"] == "directory"
    assert ask(publication, dict(type="hello"))["type"] == "hello"
    # No stream of publication's is private, so it has no CURVE endpoint;
    # a CURVE client gets no answer from its plain one.
    refused(ask(publication, PULL, zmq.curve_keypair(), server_key("review")), what="CURVE on publication")
    assert "publication-secure" not in eps
    probed.add("publication")


# What each of the desk's and notify's endpoints is asked: a request of
# the staff's, and a request their own threads send with a secret.
STAFF_REQUEST = {"desk": dict(type="account_list"), "notify": dict(type="mail_failed")}
STAFF_REPLY = {"desk": "accounts", "notify": "mail_failed"}
INTERNAL_REQUEST = {"desk": (dict(type="desk_get", inproc=b"\0" * 32, email="claire.moreau@example.org"), "inproc"),
                    "notify": (dict(type="outbox_due", secret="0" * 64, at=0), "secret")}


def test_desk_and_notify_answer_only_staff_and_their_own_threads():
    eps = endpoints()
    staff = load_cert(stack.key_path("staff", "operator"))
    member = load_cert(stack.key_path("member", "Claire Moreau"))
    silent = []
    for name in ("desk", "notify"):
        plain, request = eps[name]["endpoint"], STAFF_REQUEST[name]
        # On the plain endpoint: the staff's request needs a key, the
        # internal one its secret; ping stays open.
        forbidden(ask(plain, request), "authentication", "anonymous %s on %s" % (request["type"], name))
        internal, rule = INTERNAL_REQUEST[name]
        reply = ask(plain, internal)
        assert reply is not None and reply["type"] == "error" and reply["code"] == "forbidden" \
            and reply["field"] == rule, "%s without its secret: %s" % (name, reply)
        silent.append(("CURVE on %s's plain" % name, plain, request, zmq.curve_keypair(), server_key(name)))
        assert ask(plain, dict(type="ping"))["type"] == "pong"
        probed.add(name)
        # On the CURVE endpoint: no key or an unknown one, no handshake; a
        # member's or a service's key, forbidden; staff, answered.
        entry = eps[name + "-secure"]
        secure, server = entry["endpoint"], load_cert(entry["server_key"])[0]
        assert server == server_key(name)
        silent.append(("anonymous on %s-secure" % name, secure, request, None, None))
        silent.append(("unknown key on %s-secure" % name, secure, request, zmq.curve_keypair(), server))
        forbidden(ask(secure, request, member, server), "role", "a member's key on %s-secure" % name)
        for other in SERVICES:
            forbidden(ask(secure, request, service_keys(other), server), "role",
                      "%s's key on %s-secure" % (other, name))
        reply = ask(secure, request, staff, server)
        assert reply is not None and reply["type"] == STAFF_REPLY[name], "staff on %s-secure: %s" % (name, reply)
        probed.add(name + "-secure")
    refused_all(silent)


def test_the_desk_pages_need_a_session():
    port = port_of(endpoints()["desk-http"]["endpoint"])
    for method, path in (("GET", "/comite"), ("GET", "/admin"), ("GET", "/admin/personnes"),
                         ("POST", "/admin/personnes")):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request(method, path, body=b"" if method == "POST" else None)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        # Sent to the login page, with nothing of the committee's or the
        # staff's in the answer.
        assert response.status == 303 and response.getheader("Location").startswith("/connexion"), \
            (method, path, response.status, response.getheader("Location"))
        assert b"Claire Moreau" not in body, (method, path)
    # The login page itself is open.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/connexion")
    assert connection.getresponse().status == 200
    connection.close()
    probed.add("desk-http")


def test_every_endpoint_is_covered():
    """Every endpoint `essp endpoints` prints was probed by a test above:
    a new endpoint fails here until a test probes it."""
    assert set(endpoints()) == probed, "not probed: %s" % sorted(set(endpoints()) - probed)


if __name__ == "__main__":
    try:
        setup()
        harness.run([test_plain_endpoints_serve_no_private_stream,
                     test_secure_endpoints_admit_only_consumers_and_staff,
                     test_intake_requests_need_the_token_or_a_staff_key, test_the_gateway_needs_the_token,
                     test_what_stays_open, test_desk_and_notify_answer_only_staff_and_their_own_threads,
                     test_the_desk_pages_need_a_session, test_every_endpoint_is_covered])
    finally:
        stack.cleanup()
