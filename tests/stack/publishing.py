"""What the publication and mirror tests share: applications taken through
the real pipeline to publication, the check of a stream event's signature
written from proto/stream.md alone (with PyNaCl, not with the C code), the
mirror program, and a stand-in review service that feeds the real
publication service a generated stream of approvals (to reach 100,000
entries in seconds instead of hours of votes)."""

import copy
import os
import re
import struct
import subprocess
import threading
import time

import msgpack
import zmq
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

import harness
from essp_client import (HOMES, PUBLIC_STREAMS, Client, endpoint, pack, secure_endpoint, staff_keys, stand_in,
                          unpack)

MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
CONTEXT = b"essp-stream-v1\n"


def add_members(stack):
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)


class Publisher:
    """Takes applications through intake, validation and the committee's
    votes to publication, with the essp tool as people would."""

    def __init__(self, stack, work):
        self.stack = stack
        self.work = work
        self.count = 0

    def document(self, template="scop-ancrage-conseil-nantes.json", name=None, **offer):
        self.count += 1
        document = harness.fixture("valid", template)
        document["organisation"]["siret"] = harness.make_siret(500000 + self.count)
        if name:
            document["organisation"]["name"] = name
        document["offer"].update(offer)
        return document

    def submit(self, document):
        path = harness.write_json(self.work, "application-%d.json" % self.count, document)
        receipt = self.stack.essp_json("submit", path)
        return receipt["id"]

    def approve(self, app_id):
        self.stack.wait_state(app_id, "in_review")
        for member, _ in MEMBERS:
            self.stack.essp_json("vote", app_id, "approve", "--as", member)
        self.stack.wait_state(app_id, "published")

    def publish(self, document):
        app_id = self.submit(document)
        self.approve(app_id)
        return app_id


def signed_message(seq, signed):
    return CONTEXT + struct.pack(">Q", seq) + signed


def verify(event, key_hex):
    """The event's signed content, decoded, when its signature verifies;
    raises BadSignatureError otherwise."""
    VerifyKey(bytes.fromhex(key_hex)).verify(signed_message(event["seq"], event["signed"]),
                                             event["sig"])
    return unpack(event["signed"])


def follow_verified(events, key_hex):
    """A consumer that trusts only key_hex, as proto/stream.md section 2.1
    says: each event verified with the key in force at its seq; a "key"
    event, once verified, makes the key it names the trusted one from the
    next seq.  Returns the decoded contents and the key trusted at the end;
    raises BadSignatureError (or AssertionError) on the first bad event."""
    contents = []
    for event in events:
        content = verify(event, key_hex)
        assert content["type"] == event["type"], (content, event)
        if event["type"] == "key":
            assert content["algorithm"] == "ed25519" and content["since"] == event["seq"] + 1, content
            assert content["key"] == event["key"] and content["key"] != key_hex, content
            key_hex = content["key"]
        else:
            assert content["id"] == event["id"], (content, event)
        contents.append(content)
    return contents, key_hex


def signature_holds(event, key_hex):
    try:
        verify(event, key_hex)
        return True
    except BadSignatureError:
        return False


def raw_pulls(port, after=0):
    """Every raw reply of the publication stream from `after`: the bytes as
    they leave the service."""
    return raw_pulls_of(port, "publication", after)


def raw_pulls_of(port, service, after=0):
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    if service in PUBLIC_STREAMS:
        socket.connect(endpoint(port, service))
    else:
        # A private stream: with the stack's staff key, on its CURVE endpoint.
        keys, server = staff_keys(port, service)
        socket.curve_publickey, socket.curve_secretkey = keys
        socket.curve_serverkey = server
        socket.connect(secure_endpoint(port, service))
    replies = []
    try:
        for rid in range(1, 100000):
            socket.send(pack(dict(v=1, type="pull", rid=rid, after=after, max=1000, wait=0)))
            assert socket.poll(10000), "publication does not answer a pull"
            data = socket.recv()
            replies.append(data)
            reply = unpack(data)
            for event in reply["events"]:
                after = event["seq"]
            if after >= reply["head"]:
                return replies
    finally:
        socket.close()


def raw_directory(port, **filters):
    """Every raw reply of the directory, page after page."""
    client = Client(port, "publication")
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(client.address)
    client.close()
    replies, after = [], ""
    try:
        for rid in range(1, 100000):
            socket.send(pack(dict(v=1, type="directory", rid=rid, after=after, limit=1000, **filters)))
            assert socket.poll(10000), "publication does not answer directory"
            data = socket.recv()
            replies.append(data)
            reply = unpack(data)
            if "next" not in reply:
                return replies
            after = reply["next"]
    finally:
        socket.close()


class Mirror:
    """essp-mirror, run once (until caught up) or followed as a process."""

    def __init__(self, stack, name="mirror", extra=()):
        self.stack = stack
        self.out = os.path.join(stack.home, name + "-site")
        self.data = os.path.join(stack.home, "data", name)
        self.log_path = os.path.join(stack.home, "log", name + ".log")
        self.extra = list(extra)
        self.process = None

    def command(self, once):
        return ([os.path.join(self.stack.bin_dir, "essp-mirror"), "--out", self.out, "--data", self.data]
                + (["--once"] if once else []) + self.extra)

    def once(self, timeout=600, env=None):
        with open(self.log_path, "ab") as log:
            return subprocess.run(self.command(True), env=env or self.stack.env, stdout=log, stderr=log,
                                  timeout=timeout).returncode

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(False), env=self.stack.env, stdout=log, stderr=log)
        log.close()

    def kill(self, sig=9):
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self.process = None
        return code

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-6000:]

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def pages(self):
        return sorted(n[:-5] for n in os.listdir(os.path.join(self.out, "accompagnateurs"))
                      if n.endswith(".html"))

    def wait_for(self, predicate, timeout=60, what="the mirror"):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("%s did not catch up: %s" % (what, self.log()))
            time.sleep(0.1)


def feed_seqs(mirror):
    """The stream seqs of the items of the mirror's Atom feed."""
    return [int(s) for s in re.findall(r"<id>urn:essp:stream:[0-9a-f]{64}:(\d+)</id>",
                                       mirror.read("annuaire.atom"))]


def site_bytes(directory):
    """Every byte of every file under directory."""
    chunks = []
    for root, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                chunks.append(f.read())
    return b"".join(chunks)


# --------------------------------------------------------------- scale tests

CITIES = (("Nantes", "44000", "44"), ("Angers", "49000", "49"), ("Le Mans", "72000", "72"),
          ("Laval", "53000", "53"), ("La Roche-sur-Yon", "85000", "85"), ("Cholet", "49300", "49"),
          ("Saint-Nazaire", "44600", "44"), ("Saumur", "49400", "49"))
THEMES = ("continuous_improvement", "csr_iso26000", "democratic_governance", "strategy_consultation",
          "territorial_anchoring", "wage_policy_social_exemplarity", "users_unmet_needs",
          "diversity_equality", "sustainable_development", "ethics_deontology")


def generated_application(i, template):
    """The i-th of a large generated directory: a valid application with
    its own name, SIRET, city and offer."""
    document = copy.deepcopy(template)
    city, postcode, department = CITIES[i % len(CITIES)]
    organisation = document["organisation"]
    organisation["name"] = "Structure %06d de l'économie sociale" % i
    organisation["siret"] = "%014d" % (10000000000000 + i)
    organisation["address"] = {"street": "%d rue de la Coopération" % (1 + i % 200), "postcode": postcode,
                               "city": city}
    document["offer"]["departments"] = [department]
    document["offer"]["themes"] = [THEMES[i % len(THEMES)], THEMES[(i * 7 + 3) % len(THEMES)]]
    if document["offer"]["themes"][0] == document["offer"]["themes"][1]:
        document["offer"]["themes"].pop()
    document["offer"]["formats"] = [("support", "training")[i % 2]]
    return document


class FakeReview:
    """Stands where the review service listens and serves its stream: one
    "decided" (approve) event per generated application, appended on
    demand, or any event given whole (add).  The real publication service
    follows it as it follows review: pull, held pull, batch.  With another
    `service` it stands for that service instead (intake, for validation).
    Review's and intake's streams are private: it serves them on the CURVE
    endpoint, with a key written in the stack's keys/ as the real one's."""

    def __init__(self, port, service="review"):
        self.service = service
        self.context = zmq.Context.instance()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        if service in PUBLIC_STREAMS:
            self.router.bind(endpoint(port, service))
        else:
            stand_in(self.router, HOMES[port], service)
            self.router.bind(secure_endpoint(port, service))
        self.events = []
        self.lock = threading.Lock()
        self.stopping = False
        self.held = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def append(self, app_id, application, at=None, kind="decided"):
        with self.lock:
            seq = len(self.events) + 1
            if kind == "decided":
                event = dict(seq=seq, v=1, type="decided", at=at or int(time.time()), id=app_id,
                             revision=1, round=1, decision="approve", motivations=[],
                             application=application)
            else:
                event = dict(seq=seq, v=1, type="withdrawn", at=at or int(time.time()), id=app_id,
                             reason="Demande de l'accompagnateur")
            self.events.append(msgpack.packb(event, use_bin_type=True))

    def add(self, event_type, **fields):
        """Appends one event {seq, v, type, at, **fields}; returns its seq."""
        with self.lock:
            seq = len(self.events) + 1
            event = dict(seq=seq, v=1, type=event_type, at=fields.pop("at", int(time.time())), **fields)
            self.events.append(msgpack.packb(event, use_bin_type=True))
            return seq

    def _batch(self, rid, after, maximum):
        with self.lock:
            head = len(self.events)
            chosen = self.events[after:after + maximum]
        header = msgpack.packb(dict(v=1, type="batch", rid=rid, head=head), use_bin_type=True)
        # The events are forwarded as stored bytes: a map of 4 + "events".
        return (bytes([0x85]) + header[1:] + msgpack.packb("events") + _array_header(len(chosen))
                + b"".join(chosen))

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self.stopping:
            if poller.poll(20):
                frames = self.router.recv_multipart()
                request = unpack(frames[-1])
                if request.get("type") == "pull":
                    self.held.append((frames[:-1], request, time.monotonic() + request.get("wait", 0) / 1000))
                elif request.get("type") == "ping":
                    self.router.send_multipart(frames[:-1] + [pack(dict(v=1, type="pong", rid=request["rid"],
                                                                        service=self.service, head=len(self.events)))])
            now = time.monotonic()
            keep = []
            for envelope, request, deadline in self.held:
                if request["after"] < len(self.events) or now >= deadline:
                    self.router.send_multipart(envelope + [self._batch(request["rid"], request["after"],
                                                                       request.get("max", 100))])
                else:
                    keep.append((envelope, request, deadline))
            self.held = keep

    def close(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.router.close()


def _array_header(n):
    if n < 16:
        return bytes([0x90 | n])
    if n < 65536:
        return b"\xdc" + struct.pack(">H", n)
    return b"\xdd" + struct.pack(">I", n)


def start_publication_alone(stack):
    """Only the publication service of the stack, following a FakeReview."""
    review = FakeReview(stack.port)
    stack.start("publication")
    return review


def wait_head(stack, head, timeout=600):
    client = Client(stack.port, "publication", timeout=2, tries=3)
    deadline = time.monotonic() + timeout
    try:
        while True:
            reply = client.call("ping")
            if reply["head"] >= head:
                return reply["head"]
            if time.monotonic() > deadline:
                raise AssertionError("publication stayed at %d of %d" % (reply["head"], head))
            time.sleep(0.2)
    finally:
        client.close()
