"""The stack under test: the four real services started as processes on
loopback, in a temporary ESSP_HOME with its own LMDB files and ports, and
the real essp tool.  Services can be stopped with SIGTERM or killed with
SIGKILL and started again, as an operator or a crash would."""

import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from essp_client import HOMES, PORT_BLOCK, SERVICES, Client, file_name, load_cert  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "applications")


# The blocks of ports this process took, each held by a lock on a file of
# PORT_LOCKS until the process ends: two tests that run at the same time
# (ctest -j) could otherwise both find the same block free, since a block
# is only looked at, not bound, until its services start.  essp-bench
# takes its blocks the same way (tests/bench/bench_stack.c).
PORT_LOCKS = os.path.join(tempfile.gettempdir(), "essp-ports")
_held_blocks = {}


def _take_block(base):
    """True when this process now holds base's lock (nobody else does)."""
    os.makedirs(PORT_LOCKS, exist_ok=True)
    fd = os.open(os.path.join(PORT_LOCKS, str(base)), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _held_blocks[base] = fd
    return True


def _give_block(base):
    os.close(_held_blocks.pop(base))


def _block_free(base):
    """True when every port of the block can be bound now."""
    sockets = []
    try:
        for offset in range(PORT_BLOCK):
            s = socket.socket()
            sockets.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", base + offset))
        return True
    except OSError:
        return False
    finally:
        for s in sockets:
            s.close()


def free_base_port():
    """A base port whose PORT_BLOCK ports (base + 0 to base + 31: every port
    of common/config.h's table, the metrics ports included) are free now,
    and that no other process of the tests or of essp-bench holds."""
    for _ in range(200):
        # Below the kernel's ephemeral range (32768 and up): a port there can be
        # taken by any outgoing connection while a service restarts.
        base = random.randrange(10000, 32768 - PORT_BLOCK, PORT_BLOCK)
        if base in _held_blocks or not _take_block(base):
            continue
        if _block_free(base):
            return base
        _give_block(base)
    raise RuntimeError("no free ports")


class Stack:
    def __init__(self, bin_dir, env=None):
        self.bin_dir = bin_dir
        self.home = tempfile.mkdtemp(prefix="essp-test-")
        self.port = free_base_port()
        self.env = dict(os.environ, ESSP_HOME=self.home, ESSP_PORT=str(self.port),
                        ESSP_TIMEOUT_MS="2000", ESSP_RETRIES="15")
        self.env.update(env or {})
        self.processes = {}
        HOMES[self.port] = self.home
        os.makedirs(os.path.join(self.home, "log"), exist_ok=True)
        # The staff key the essp tool uses for staff commands.
        self.essp("staff", "init", "operator")

    # -- processes ---------------------------------------------------------
    def start(self, service=None, ready=None):
        """Starts one service, or the four; waits until they answer, and
        when the whole stack starts (or ready=True) until each is ready
        (its health: every stream it follows answering)."""
        for name in [service] if service else SERVICES:
            # The service writes its own log/<name>.log (common/event_log.h);
            # what else it says on stderr (a sanitizer's report) goes beside.
            log = open(os.path.join(self.home, "log", name + ".stderr"), "ab")
            self.processes[name] = subprocess.Popen(
                [os.path.join(self.bin_dir, "essp-" + name)], env=self.env,
                stdout=log, stderr=log, cwd=self.home)
            log.close()
        self.wait_ready([service] if service else SERVICES)
        if ready or (ready is None and service is None):
            for name in [service] if service else SERVICES:
                self.wait_healthy(name)

    def wait_healthy(self, service, timeout=10.0):
        """Waits until a service's health says ready (common/health.h)."""
        deadline = time.monotonic() + timeout
        client = Client(self.port, service, timeout=0.5, tries=1)
        try:
            while True:
                health = client.call("health")
                if health.get("ready"):
                    return health
                if time.monotonic() > deadline:
                    raise AssertionError("%s is not ready: %s" % (service, health.get("waiting")))
                time.sleep(0.05)
        finally:
            client.close()

    def wait_ready(self, services, timeout=10.0):
        deadline = time.monotonic() + timeout
        for name in services:
            client = Client(self.port, name, timeout=0.2, tries=1)
            while True:
                try:
                    assert client.call("ping")["type"] == "pong"
                    break
                except TimeoutError:
                    if time.monotonic() > deadline:
                        raise AssertionError("%s did not start: %s" % (name, self.log(name)))
            client.close()

    def kill(self, service, sig=signal.SIGKILL):
        process = self.processes.pop(service)
        process.send_signal(sig)
        return process.wait(timeout=15)

    def stop(self):
        codes = {}
        for name in list(self.processes):
            codes[name] = self.kill(name, signal.SIGTERM)
        return codes

    def cleanup(self):
        for name in list(self.processes):
            try:
                self.kill(name)
            except Exception:
                pass
        if os.environ.get("ESSP_KEEP_HOME"):
            print("kept", self.home)
        else:
            shutil.rmtree(self.home, ignore_errors=True)

    def log_lines(self, service):
        """Every JSON line of a service's log, the rotated files first."""
        directory = os.path.join(self.home, "log")
        names = [n for n in os.listdir(directory)
                 if n == service + ".log" or n.startswith(service + ".log.")]
        names.sort(key=lambda n: -int(n.rsplit(".", 1)[1]) if n[-1].isdigit() else 0)
        lines = []
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                lines += [json.loads(line) for line in f.read().splitlines()]
        return lines

    def log(self, service):
        """What a service said (its messages, not its requests) and its
        stderr, the last 4000 characters."""
        try:
            said = ["%s %s %s" % (line["time"], line["level"], line["msg"])
                    for line in self.log_lines(service) if line["kind"] == "message"]
        except (OSError, ValueError):
            said = []
        try:
            with open(os.path.join(self.home, "log", service + ".stderr"), errors="replace") as f:
                said.append(f.read())
        except OSError:
            pass
        return "\n".join(said)[-4000:]

    # -- keys ---------------------------------------------------------------
    def key_path(self, role, name):
        """The key pair file (secret) of a member or staff name."""
        directory = "members" if role == "member" else "staff"
        return os.path.join(self.home, "keys", directory, file_name(name) + ".cert_secret")

    def server_key(self, service="review"):
        return load_cert(os.path.join(self.home, "keys", service + ".cert"))[0]

    def service_keys(self, service):
        """A service's own key pair (keys/<service>.cert_secret)."""
        return load_cert(os.path.join(self.home, "keys", service + ".cert_secret"))

    def review_as(self, name, role="member", service="review", **options):
        """A client of review's (or another service's) authenticated
        endpoint with the key of a member (or of staff with role="staff")."""
        return Client(self.port, service, keys=load_cert(self.key_path(role, name)),
                      server_key=self.server_key(service), **options)

    def staff(self, service="review", **options):
        """A client of service's authenticated endpoint with the staff key."""
        return self.review_as("operator", role="staff", service=service, **options)

    # -- the essp tool ----------------------------------------------------
    def essp(self, *args, check=True, stdin=None):
        result = subprocess.run([os.path.join(self.bin_dir, "essp")] + list(args), env=self.env,
                                capture_output=True, text=True, input=stdin, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError("essp %s exited %d: %s" % (" ".join(args), result.returncode,
                                                            result.stderr))
        return result

    def essp_json(self, *args):
        return json.loads(self.essp(*args).stdout)

    def essp_lines(self, *args):
        return [json.loads(line) for line in self.essp(*args).stdout.splitlines() if line]

    def wait_state(self, app_id, states, timeout=20.0):
        if isinstance(states, str):
            states = (states,)
        deadline = time.monotonic() + timeout
        while True:
            status = self.essp_json("status", app_id)
            if status["state"] in states:
                return status
            if time.monotonic() > deadline:
                raise AssertionError("%s stayed %s, expected %s" % (app_id, status["state"], states))
            time.sleep(0.05)


def without_iso(value):
    """A reply of essp without the ISO 8601 dates it adds beside each
    instant ("<name>_iso"): what the protocol itself carries, to compare
    with what other programs write (essp-mirror's annuaire.json)."""
    if isinstance(value, dict):
        return {k: without_iso(v) for k, v in value.items() if not k.endswith("_iso")}
    if isinstance(value, list):
        return [without_iso(v) for v in value]
    return value


def fixture(kind, name):
    with open(os.path.join(FIXTURES, kind, name)) as f:
        return json.load(f)


def numbered_fixture(n, kind="valid", name="mutuelle-entraide-vendee.json", siret=None):
    """A fixture made the n-th of its kind: a SIRET (unless given) and a
    name of its own, so that tests of one stack do not collide."""
    document = fixture(kind, name)
    document["organisation"]["siret"] = siret or make_siret(n)
    document["organisation"]["name"] += " %d" % n
    return document


def fixture_names(kind):
    return sorted(n for n in os.listdir(os.path.join(FIXTURES, kind)) if n.endswith(".json"))


def luhn_ok(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def make_siret(seed):
    """A valid SIRET, different for every seed below 10^7 (and never La
    Poste's): a SIREN that passes its Luhn key, then an establishment
    number whose last digit makes the 14 pass theirs."""
    head = "7%07d" % seed
    siren = next(head + key for key in "0123456789" if luhn_ok(head + key))
    return next(siren + "0001" + key for key in "0123456789" if luhn_ok(siren + "0001" + key))


def write_json(directory, name, document):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        json.dump(document, f, ensure_ascii=False)
    return path


def run(tests):
    """Runs test functions; prints a closing line ctest and people can read."""
    passed = failed = 0
    for test in tests:
        started = time.monotonic()
        try:
            test()
            passed += 1
            print("ok   %s (%.1f s)" % (test.__name__, time.monotonic() - started), flush=True)
        except Exception as error:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            traceback.print_exc()
            print("FAIL %s: %s" % (test.__name__, error), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
