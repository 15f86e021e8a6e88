"""A small essp client written from proto/README.md: DEALER sockets,
one MessagePack map per frame, request ids, and retries with the same
request (and idempotency key) when a reply does not come.  Member, staff
and service keys go to a service's authenticated endpoint (review base
port + 5, intake + 6, validation + 7) with CURVE keys read from czmq
certificate files; the streams of intake, validation and review are
pulled there only (with the staff key: see pull_all)."""

import itertools
import os
import re
import time

import msgpack
import zmq

# The pipeline's four services (the harness starts them by default).
SERVICES = ("intake", "validation", "review", "publication")
# The offset of each service's endpoint from the base port
# (common/config.h's table), the pipeline's and the two beside it.
PORT_OFFSETS = {"intake": 0, "validation": 1, "review": 2, "publication": 3, "desk": 9, "notify": 12}
# The offset of each authenticated endpoint (CURVE) from the base port.
SECURE_OFFSETS = {"review": 5, "intake": 6, "validation": 7, "desk": 10, "notify": 13}
# The desk's web site and intake's HTTP gateway.
HTTP_OFFSET = 4
DESK_HTTP_OFFSET = 11
# Each service's metrics and health over HTTP (/metrics, /healthz): base
# + 16 + the service's index in common/config.h's service_id_t.
METRICS_OFFSETS = {"intake": 16, "validation": 17, "review": 18, "publication": 19, "desk": 20,
                   "notify": 21}
# The ports a stack takes from its base port on (the harness keeps them free).
PORT_BLOCK = 32
# The streams anyone may pull; the others only with a consumer's or staff key.
PUBLIC_STREAMS = ("publication",)
# ESSP_HOME of the stack on each base port (harness.Stack registers itself),
# where the staff key and the services' public keys are.
HOMES = {}


def endpoint(base_port, service):
    return "tcp://127.0.0.1:%d" % (base_port + PORT_OFFSETS[service])


def metrics_url(base_port, service, path="/metrics"):
    """A service's metrics (or, with path "/healthz", health) over HTTP."""
    return "http://127.0.0.1:%d%s" % (base_port + METRICS_OFFSETS[service], path)


def secure_endpoint(base_port, service="review"):
    """A service's authenticated endpoint (CURVE)."""
    return "tcp://127.0.0.1:%d" % (base_port + SECURE_OFFSETS[service])


def file_name(name):
    """A member or staff name as common/auth.c writes it in a file name."""
    kept = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    return "".join(chr(b) if b in kept else "%%%02X" % b for b in name.encode("utf-8"))


def load_cert(path):
    """(public key, secret key) of a czmq certificate file, in Z85 as
    pyzmq wants them; the secret is None in a public certificate."""
    keys = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = re.match(r'\s*(public-key|secret-key)\s*=\s*"(.*)"\s*$', line)
            if match:
                keys[match.group(1)] = match.group(2).encode("ascii")
    return keys.get("public-key"), keys.get("secret-key")


def pack(message):
    return msgpack.packb(message, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=True)


class Client:
    """Talks to one service.  call() resends the same request on a new
    socket when no reply comes in time: the services make resends safe."""

    _rids = itertools.count(1)

    def __init__(self, base_port, service, timeout=5.0, tries=20, keys=None, server_key=None):
        """keys: (public, secret) of the client, server_key: the service's
        public key (Z85); with them the client speaks CURVE to the
        service's authenticated endpoint."""
        self.context = zmq.Context.instance()
        self.address = secure_endpoint(base_port, service) if keys else endpoint(base_port, service)
        self.keys = keys
        self.server_key = server_key
        self.timeout = timeout
        self.tries = tries
        self.socket = None

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        if self.keys:
            self.socket.curve_publickey, self.socket.curve_secretkey = self.keys
            self.socket.curve_serverkey = self.server_key
        self.socket.connect(self.address)

    def close(self):
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None

    def call(self, message_type, extra_wait=0.0, **fields):
        request = dict(v=1, type=message_type, rid=next(self._rids), **fields)
        data = pack(request)
        for _ in range(self.tries):
            if self.socket is None:
                self._connect()
            self.socket.send(data)
            deadline = time.monotonic() + self.timeout + extra_wait
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self.socket.poll(int(left * 1000)):
                    break
                reply = unpack(self.socket.recv())
                if reply.get("rid") == request["rid"]:
                    return reply
            self._connect()  # a lost request or a restarted service
        raise TimeoutError("%s does not answer %s" % (self.address, message_type))

    def send_raw(self, data, timeout=2.0):
        """Sends bytes as they are; returns the decoded reply or None."""
        if self.socket is None:
            self._connect()
        self.socket.send(data)
        if not self.socket.poll(int(timeout * 1000)):
            return None
        return unpack(self.socket.recv())


def stand_in(socket, home, service):
    """Makes socket (before it binds) a CURVE server standing in for
    service's secure endpoint: a fresh key pair whose public half is
    written to keys/<service>.cert under home, where the consumers read
    the producer's key.  Without a ZAP handler any client key is admitted."""
    public, secret = zmq.curve_keypair()
    os.makedirs(os.path.join(home, "keys"), exist_ok=True)
    with open(os.path.join(home, "keys", service + ".cert"), "w", encoding="utf-8") as f:
        f.write('#   ZeroMQ CURVE Public Certificate\n\nmetadata\n    service = "%s"\ncurve\n'
                '    public-key = "%s"\n' % (service, public.decode("ascii")))
    socket.curve_server = True
    socket.curve_publickey = public
    socket.curve_secretkey = secret


def staff_keys(base_port, service, home=None):
    """(keys, server_key) of the staff key of the stack on base_port (the
    only one under keys/staff, or $ESSP_STAFF) for service's endpoint."""
    home = home or HOMES[base_port]
    staff = os.path.join(home, "keys", "staff")
    names = sorted(n for n in os.listdir(staff) if n.endswith(".cert_secret"))
    chosen = os.environ.get("ESSP_STAFF")
    name = file_name(chosen) + ".cert_secret" if chosen else names[0]
    keys = load_cert(os.path.join(staff, name))
    server = load_cert(os.path.join(home, "keys", service + ".cert"))[0]
    return keys, server


def staff_client(base_port, service, **options):
    """A client of service's authenticated endpoint with the staff key."""
    keys, server = staff_keys(base_port, service)
    return Client(base_port, service, keys=keys, server_key=server, **options)


def pull_all(base_port, service, after=0, batch=1000, keys=None, server_key=None):
    """Every event of a service's stream after `after`, checked gapless.
    A private stream is pulled with keys, or else the stack's staff key."""
    if service not in PUBLIC_STREAMS and keys is None:
        keys, server_key = staff_keys(base_port, service)
    client = Client(base_port, service, keys=keys, server_key=server_key)
    events = []
    try:
        while True:
            reply = client.call("pull", after=after, max=batch, wait=0)
            assert reply["type"] == "batch", reply
            # A head the batch never reaches would loop forever: an empty
            # batch below the head is a broken log, and fails the test.
            assert reply["events"] or after >= reply["head"], \
                "no events after %d although the head is %d" % (after, reply["head"])
            for event in reply["events"]:
                assert event["seq"] == after + 1, "gap: %d after %d" % (event["seq"], after)
                after = event["seq"]
                events.append(event)
            if after >= reply["head"]:
                return events
    finally:
        client.close()
