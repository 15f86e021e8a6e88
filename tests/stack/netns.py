"""Hosts simulated with Linux network namespaces: a private network made by
the test, one namespace per host, each with its own address.

The switch is a bridge inside a namespace of its own (esspn-lan), and each
host is joined to it by a veth pair whose host end is eth0 in the host's
namespace.  Nothing is added to the machine's own namespace: no address, no
route, no interface, so no packet of the test can leave the machine, and
deleting the namespaces removes every interface with them.  Every name
starts with PREFIX; a run removes what an earlier killed run left.

Faults: a host can be joined through a "wire" (tests/stack/wire.py, in a
namespace of its own between the host's veth and the switch's) that adds
latency to what the host sends, as tc netem would, or cuts it from one
other host.  This machine's kernel has neither sch_netem nor a drop action
(CONFIG_NET_SCH_NETEM, CONFIG_NET_ACT_GACT unset), so the test carries
the fault in user space, where every kernel has it."""

import ctypes
import os
import subprocess
import sys

PREFIX = "esspn"
LAN = PREFIX + "-lan"
BRIDGE = "br0"
# A private range for the test's own hosts, reached from nowhere else: the
# machine's namespace has no route into it.
SUBNET = "10.231.18."
PREFIX_LEN = 24
CLONE_NEWNET = 0x40000000
WIRE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py")


class Missing(Exception):
    """What this machine lacks to simulate hosts (the test skips)."""


def ip(*args, check=True):
    result = subprocess.run(["ip"] + list(args), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), result.stderr.strip()))
    return result.stdout


def check_machine():
    """Raises Missing, saying what lacks, unless namespaces can be made."""
    if os.geteuid() != 0:
        raise Missing("network namespaces need root (this test runs as uid %d)" % os.geteuid())
    for tool in ("ip",):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode:
            raise Missing("the %s command is missing (Debian package iproute2)" % tool)
    probe = PREFIX + "-probe"
    result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if result.returncode != 0:
        raise Missing("ip netns add fails here: %s" % result.stderr.strip())
    ip("netns", "del", probe)


def namespaces():
    """The names of this test's namespaces that exist now."""
    names = []
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX + "-"):
            names.append(name)
    return names


def remove_all():
    """Ends the processes still running in this test's namespaces (an
    earlier run's, or this one's after a failure), then deletes the
    namespaces, which deletes their interfaces and the bridge."""
    for name in namespaces():
        for pid in ip("netns", "pids", name, check=False).split():
            if int(pid) == os.getpid():
                continue        # the test itself, on its client host
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        ip("netns", "del", name, check=False)


def enter(namespace):
    """Moves this process (its calling thread, and every thread and process
    it starts from now on) into namespace: the test then acts as a client
    on that host.  To be called before any socket or ZeroMQ context."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + namespace, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + namespace)
    finally:
        os.close(fd)


class Network:
    """The switch and the hosts on it.  hosts: name -> address."""

    def __init__(self):
        self.hosts = {}
        self.wires = {}          # host -> its wire's process
        self.next_host = 10
        remove_all()
        ip("netns", "add", LAN)
        ip("-n", LAN, "link", "add", BRIDGE, "type", "bridge")
        ip("-n", LAN, "link", "set", BRIDGE, "up")

    def namespace(self, host):
        return "%s-%s" % (PREFIX, host)

    def add_host(self, host, wired=False):
        """A namespace for host, joined to the switch (through a wire of
        its own when wired, for faults), with an address of its own;
        returns the address."""
        namespace = self.namespace(host)
        address = SUBNET + str(self.next_host)
        port = "p%d" % self.next_host
        self.next_host += 1
        ip("netns", "add", namespace)
        if wired:
            wire = self.namespace("wire-" + host)
            ip("netns", "add", wire)
            ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", "host", "netns", wire)
            ip("link", "add", "lan", "netns", wire, "type", "veth", "peer", "name", port, "netns", LAN)
            for side in ("host", "lan"):
                ip("-n", wire, "link", "set", side, "up")
            self.wires[host] = subprocess.Popen(
                ["ip", "netns", "exec", wire, sys.executable, WIRE, "host", "lan"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self._said_ok(host)
        else:
            ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", port, "netns", LAN)
        ip("-n", LAN, "link", "set", port, "master", BRIDGE, "up")
        ip("-n", namespace, "addr", "add", "%s/%d" % (address, PREFIX_LEN), "dev", "eth0")
        ip("-n", namespace, "link", "set", "eth0", "up")
        ip("-n", namespace, "link", "set", "lo", "up")
        self.hosts[host] = address
        return address

    # -- faults, on a wired host's link ---------------------------------
    def _said_ok(self, host):
        line = self.wires[host].stdout.readline()
        if line.strip() != "ok":
            raise RuntimeError("the wire of %s: %r" % (host, line))

    def _tell(self, host, command):
        self.wires[host].stdin.write(command + "\n")
        self.wires[host].stdin.flush()
        self._said_ok(host)

    def cut(self, host, other):
        """Drops every packet between host (wired) and other, both ways, as
        a cable cut between them would: no error comes back, TCP only sees
        silence; every other host still reaches both."""
        self._tell(host, "cut " + self.hosts[other])

    def delay(self, host, ms):
        """Adds ms to everything host (wired) sends: every round trip with
        host takes ms more."""
        self._tell(host, "delay %d" % ms)

    def mend(self, host):
        self._tell(host, "mend")

    def destroy(self):
        for wire in self.wires.values():
            try:
                wire.stdin.close()
                wire.wait(timeout=10)
            except Exception:   # noqa: BLE001 - remove_all ends it
                pass
        self.wires = {}
        remove_all()
