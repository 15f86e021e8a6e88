"""A host's network cable with faults, in user space: run inside a namespace
of its own between the host's interface (HOST_SIDE) and the switch's
(LAN_SIDE), it passes every Ethernet frame from one to the other, and on
command (one line on stdin each, "ok" on stdout when in force):
  delay MS      holds what the host sends MS milliseconds (as tc netem on
                the host's interface would)
  cut ADDRESS   drops every IPv4 packet between the host and ADDRESS, both
                ways, without a word back (a cable cut between them)
  mend          no cut, no delay
Used where the kernel has neither sch_netem nor a drop action (this
machine's: see netns.py).  Frames keep their offload header
(PACKET_VNET_HDR), so TCP's large segments pass whole."""

import heapq
import select
import socket
import sys
import time

SOL_PACKET = 263
PACKET_VNET_HDR = 15
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
VNET_HDR = 10
IPV4 = b"\x08\x00"


def open_side(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((name, 0))
    s.setblocking(False)
    return s


def addresses(frame):
    """(source, destination) of an IPv4 frame, else None."""
    eth = frame[VNET_HDR:]
    if eth[12:14] != IPV4 or len(eth) < 34:
        return None
    return eth[26:30], eth[30:34]


def main():
    host_side, lan_side = sys.argv[1], sys.argv[2]
    host, lan = open_side(host_side), open_side(lan_side)
    delay = 0.0
    cut = set()
    held = []           # (due, n, frame) from the host, when delayed
    n = 0
    print("ok", flush=True)
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select([host, lan, sys.stdin], [], [], timeout)
        if sys.stdin in ready:
            line = sys.stdin.readline()
            if not line:
                return
            words = line.split()
            if words[0] == "delay":
                delay = int(words[1]) / 1000.0
            elif words[0] == "cut":
                cut.add(socket.inet_aton(words[1]))
            elif words[0] == "mend":
                delay, cut = 0.0, set()
            print("ok", flush=True)
        for side, other in ((host, lan), (lan, host)):
            if side not in ready:
                continue
            while True:
                try:
                    frame, address = side.recvfrom(70000)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue        # what this program itself sent
                pair = addresses(frame)
                if pair and (pair[0] in cut or pair[1] in cut):
                    continue
                if side is host and delay:
                    n += 1
                    heapq.heappush(held, (time.monotonic() + delay, n, frame))
                else:
                    other.send(frame)
        now = time.monotonic()
        while held and held[0][0] <= now:
            lan.send(heapq.heappop(held)[2])


if __name__ == "__main__":
    main()
