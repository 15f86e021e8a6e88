"""The stack spread over hosts (tests/stack/netns.py): each service alone
in its namespace with a home of its own, placed and connected only by
settings (ESSP_BIND, ESSP_<SERVICE>_ENDPOINT, ESSP_<SERVICE>_SECURE_ENDPOINT,
the gateways' binds) and by the public key files an operator copies
between hosts (README, Security).  The test itself is the client host:
it enters the "cli" namespace, and so do the essp tool and essp-mirror's
host, which has a namespace of its own."""

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import netns
from essp_client import PORT_OFFSETS, SECURE_OFFSETS, Client, load_cert

PORT = 7700          # the same on every host, as on real machines
SERVICES = ("intake", "validation", "review", "publication", "desk", "notify")
# The hosts whose link the tests put faults on.
WIRED = ("intake", "validation")


def endpoints(addresses):
    """The settings that tell every program where each service is."""
    env = {}
    for service, address in addresses.items():
        if service in PORT_OFFSETS:
            env["ESSP_%s_ENDPOINT" % service.upper()] = "tcp://%s:%d" % (address, PORT + PORT_OFFSETS[service])
        if service in SECURE_OFFSETS:
            env["ESSP_%s_SECURE_ENDPOINT" % service.upper()] = \
                "tcp://%s:%d" % (address, PORT + SECURE_OFFSETS[service])
    return env


class Spread:
    def __init__(self, bin_dir):
        self.bin_dir = bin_dir
        self.network = netns.Network()
        self.root = tempfile.mkdtemp(prefix="esspn-")
        self.address = {}        # service (or "cli", "mirror") -> address
        self.host_of = {}        # service -> host name (its namespace)
        self.processes = {}
        for host in SERVICES + ("mirror", "cli"):
            self.add_host(host, host, wired=host in WIRED)
        netns.enter(self.network.namespace("cli"))
        os.makedirs(self.home("cli"), exist_ok=True)
        self.mirror_process = None

    # -- hosts and settings ---------------------------------------------
    def add_host(self, host, service, wired=False):
        self.address[service] = self.network.add_host(host, wired)
        self.host_of[service] = host
        return self.address[service]

    def home(self, host):
        return os.path.join(self.root, host)

    def env(self, service):
        """The environment of a program on service's host: its own home,
        its own address to bind, everyone else's endpoints."""
        host = self.host_of.get(service, service)
        address = self.address[service]
        env = dict(os.environ, ESSP_HOME=self.home(host), ESSP_PORT=str(PORT), ESSP_BIND=address,
                   ESSP_TIMEOUT_MS="2000", ESSP_RETRIES="15")
        env.update(endpoints({s: self.address[s] for s in SERVICES}))
        if service == "intake":
            env["ESSP_HTTP_BIND"] = address
        if service == "desk":
            env["ESSP_DESK_HTTP_BIND"] = address
        return env

    # -- processes --------------------------------------------------------
    def start(self, service):
        host = self.host_of[service]
        os.makedirs(os.path.join(self.home(host), "log"), exist_ok=True)
        log = open(os.path.join(self.home(host), "log", service + ".stderr"), "ab")
        # ip netns exec runs the program itself in the namespace: the pid
        # is the service's.
        self.processes[service] = subprocess.Popen(
            ["ip", "netns", "exec", self.network.namespace(host), os.path.join(self.bin_dir, "essp-" + service)],
            env=self.env(service), stdout=log, stderr=log, cwd=self.home(host))
        log.close()

    def kill(self, service, sig=signal.SIGKILL):
        process = self.processes.pop(service)
        process.send_signal(sig)
        return process.wait(timeout=30)

    def start_mirror(self, extra=()):
        home = self.home("mirror")
        os.makedirs(os.path.join(home, "log"), exist_ok=True)
        log = open(os.path.join(home, "log", "mirror.stderr"), "ab")
        env = self.env("mirror")
        self.mirror_process = subprocess.Popen(
            ["ip", "netns", "exec", self.network.namespace("mirror"), os.path.join(self.bin_dir, "essp-mirror"),
             "--out", self.mirror_site(), "--data", os.path.join(home, "data"),
             "--key-file", os.path.join(home, "publication.pub")] + list(extra),
            env=env, stdout=log, stderr=log, cwd=home)
        log.close()

    def stop_mirror(self):
        self.mirror_process.send_signal(signal.SIGTERM)
        self.mirror_process.wait(timeout=30)
        self.mirror_process = None

    def mirror_site(self):
        return os.path.join(self.home("mirror"), "site")

    def cleanup(self):
        for service in list(self.processes):
            try:
                self.kill(service)
            except Exception:   # noqa: BLE001 - cleaning up whatever is left
                pass
        if self.mirror_process:
            self.mirror_process.kill()
            self.mirror_process.wait()
        self.network.destroy()
        if os.environ.get("ESSP_KEEP_HOME"):
            print("kept", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self, service):
        host = self.host_of[service]
        said = []
        for path in (os.path.join(self.home(host), "log", service + ".log"),
                     os.path.join(self.home(host), "log", service + ".stderr")):
            try:
                with open(path, errors="replace") as f:
                    said.append(f.read()[-2000:])
            except OSError:
                pass
        return "\n".join(said)

    # -- keys: the public files an operator copies between hosts ----------
    def wait_keys(self, services, timeout=20.0):
        """Waits until each service has made its key pair on first start."""
        deadline = time.monotonic() + timeout
        for service in services:
            keys = os.path.join(self.home(self.host_of[service]), "keys")
            while not (os.path.exists(os.path.join(keys, service + ".cert"))
                       and os.path.exists(os.path.join(keys, "allowed", "service-%s.cert" % service))):
                assert time.monotonic() < deadline, "%s made no key: %s" % (service, self.log(service))
                time.sleep(0.05)

    def share_keys(self, servers_first=False):
        """Copies every public key file to every host: each service's
        certificate into keys/ (consumers trust their producers' servers),
        the services', staff's and members' certificates into
        keys/allowed/ (producers admit them).  Secret files never move.
        With servers_first, the servers' certificates go first and the
        admitted keys a while later, as an operator copying one kind of
        file, then the other, would: the consumers connect meanwhile, are
        refused, and must get through once admitted without a restart."""
        hosts = sorted(set(self.host_of.values()) | {"cli"})
        public = {}
        for host in hosts:
            keys = os.path.join(self.home(host), "keys")
            for path in glob.glob(os.path.join(keys, "*.cert")) + glob.glob(os.path.join(keys, "allowed", "*.cert")):
                public[os.path.relpath(path, keys)] = path
        if servers_first:
            self._copy_keys(hosts, {r: p for r, p in public.items() if not r.startswith("allowed")})
            time.sleep(1.5)     # consumers look for their producer's key once a second
        self._copy_keys(hosts, public)
        # The key the stream is signed with goes to the downstream site
        # out of band.
        shutil.copy(os.path.join(self.home(self.host_of["publication"]), "keys", "publication.pub"),
                    os.path.join(self.home("mirror"), "publication.pub"))

    def _copy_keys(self, hosts, public):
        for host in hosts:
            keys = os.path.join(self.home(host), "keys")
            os.makedirs(os.path.join(keys, "allowed"), mode=0o700, exist_ok=True)
            for relative, source in public.items():
                target = os.path.join(keys, relative)
                if not os.path.exists(target):
                    shutil.copy(source, target)

    # -- clients (from the cli host) -------------------------------------
    def client(self, service, staff=False, **options):
        """A client of a service on its host; with the staff key of the cli
        host on its authenticated endpoint when staff is set."""
        if staff:
            keys = load_cert(os.path.join(self.home("cli"), "keys", "staff", "operator.cert_secret"))
            server = load_cert(os.path.join(self.home("cli"), "keys", service + ".cert"))[0]
            client = Client(PORT, service, keys=keys, server_key=server, **options)
            client.address = "tcp://%s:%d" % (self.address[service], PORT + SECURE_OFFSETS[service])
        else:
            client = Client(PORT, service, **options)
            client.address = "tcp://%s:%d" % (self.address[service], PORT + PORT_OFFSETS[service])
        return client

    def wait_healthy(self, services, timeout=20.0):
        deadline = time.monotonic() + timeout
        for service in services:
            client = self.client(service, timeout=0.5, tries=1)
            try:
                while True:
                    try:
                        health = client.call("health")
                        if health.get("ready"):
                            break
                    except TimeoutError:
                        health = {"waiting": ["no answer"]}
                    assert time.monotonic() < deadline, \
                        "%s is not ready: %s\n%s" % (service, health.get("waiting"), self.log(service))
                    time.sleep(0.05)
            finally:
                client.close()

    def essp(self, *args, check=True):
        result = subprocess.run([os.path.join(self.bin_dir, "essp")] + list(args), env=self.env("cli"),
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError("essp %s exited %d: %s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def essp_json(self, *args):
        return json.loads(self.essp(*args).stdout)

    def essp_lines(self, *args):
        return [json.loads(line) for line in self.essp(*args).stdout.splitlines() if line]
