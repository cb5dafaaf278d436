"""A four-namespace test network: client — router1 — router2 — server.

Everything lives in namespaces this module creates; they are joined by veth
pairs only, so no packet can leave for a real network. Addresses::

    client  10.200.1.2 ─ 10.200.1.1  router1  10.200.2.1 ─ 10.200.2.2  router2
    router2 10.200.3.1 ─ 10.200.3.2  server        (10.200.3.99: nobody)

Run as a script (root) to build it by hand: ``python tests/netns_topology.py up|down``.
"""

from __future__ import annotations

import heapq
import os
import select
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CLIENT, ROUTER1, ROUTER2, SERVER = "10.200.1.2", "10.200.1.1", "10.200.2.2", "10.200.3.2"
ROUTER2_OUT = "10.200.3.1"
DEAD = "10.200.3.99"  # in the server's subnet, behind router2; nothing answers


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


@dataclass
class Topology:
    tag: str = field(default_factory=lambda: f"sk{os.getpid()}")
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def client(self) -> str:
        return f"{self.tag}-c"

    @property
    def router1(self) -> str:
        return f"{self.tag}-r1"

    @property
    def router2(self) -> str:
        return f"{self.tag}-r2"

    @property
    def server(self) -> str:
        return f"{self.tag}-s"

    def names(self) -> list[str]:
        return [self.client, self.router1, self.router2, self.server]

    def ns(self, name: str, *argv: str) -> None:
        _run("ip", "netns", "exec", name, *argv)

    def _link(self, a: str, a_addr: str, b: str, b_addr: str, n: int) -> None:
        ea, eb = f"v{n}a", f"v{n}b"
        _run("ip", "link", "add", ea, "netns", a, "type", "veth", "peer", "name", eb,
             "netns", b)
        self.ns(a, "ip", "addr", "add", a_addr, "dev", ea)
        self.ns(b, "ip", "addr", "add", b_addr, "dev", eb)
        self.ns(a, "ip", "link", "set", ea, "up")
        self.ns(b, "ip", "link", "set", eb, "up")

    def up(self) -> None:
        for name in self.names():
            _run("ip", "netns", "add", name)
            self.ns(name, "ip", "link", "set", "lo", "up")
        self._link(self.client, f"{CLIENT}/24", self.router1, f"{ROUTER1}/24", 1)
        self._link(self.router1, "10.200.2.1/24", self.router2, f"{ROUTER2}/24", 2)
        self._link(self.router2, f"{ROUTER2_OUT}/24", self.server, f"{SERVER}/24", 3)
        for router in (self.router1, self.router2):
            self.ns(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.ns(self.client, "ip", "route", "add", "default", "via", ROUTER1)
        self.ns(self.router1, "ip", "route", "add", "10.200.3.0/24", "via", ROUTER2)
        self.ns(self.router2, "ip", "route", "add", "10.200.1.0/24", "via", "10.200.2.1")
        self.ns(self.server, "ip", "route", "add", "default", "via", ROUTER2_OUT)

    def down(self) -> None:
        for proc in self.helpers:
            proc.kill()
            proc.wait(10)
        self.helpers.clear()
        for name in self.names():
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30,
                           check=False)

    def drop(self, router: str, percent: int) -> None:
        """Drop a share of the packets a router forwards (nftables, random). Both ways:
        a hop behind it answers a probe with p = (1 - share)², so at 30 % a hop stays
        silent for all of ten rounds about once in 800 traces (at 40 %: once in 80)."""
        self.ns(router, "nft", "add", "table", "inet", "sktest")
        self.ns(router, "nft", "add", "chain", "inet", "sktest", "lossy",
                "{ type filter hook forward priority 0 ; }")
        self.ns(router, "nft", "add", "rule", "inet", "sktest", "lossy",
                "numgen", "random", "mod", "100", "lt", str(percent), "drop")

    def delay(self, ms: int) -> None:
        """Delay by *ms* what router2 forwards towards the server (one way: the
        server's answers come back at once), without netem: router2 routes the
        packets from router1 into a tun device, and a process here holds each one
        for *ms* before handing it back (TTL restored: the detour is invisible)."""
        tun = "sktd"
        proc = subprocess.Popen(["ip", "netns", "exec", self.router2, sys.executable,
                                 os.path.abspath(__file__), "tundelay", tun, str(ms)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.helpers.append(proc)
        for _ in range(100):
            if subprocess.run(["ip", "netns", "exec", self.router2, "ip", "link", "show", tun],
                              capture_output=True, timeout=10).returncode == 0:
                break
            time.sleep(0.05)
        for conf in ("all", tun):
            self.ns(self.router2, "sysctl", "-qw", f"net.ipv4.conf.{conf}.rp_filter=0")
        self.ns(self.router2, "ip", "link", "set", tun, "up")
        self.ns(self.router2, "ip", "route", "add", "10.200.3.0/24", "dev", tun, "table", "100")
        self.ns(self.router2, "ip", "rule", "add", "iif", "v2b", "lookup", "100")

    def unplug(self) -> None:
        """The client's cable pulled: router1's end of their link goes down, so the
        client's adapter (v1a) stays up without a carrier."""
        self.ns(self.router1, "ip", "link", "set", "v1b", "down")
        # The kernel settles the client's operational state a moment later (linkwatch).
        for _ in range(60):
            state = subprocess.run(["ip", "netns", "exec", self.client, "ip", "-o", "link",
                                    "show", "v1a"], capture_output=True, text=True,
                                   timeout=10).stdout
            if "state DOWN" in state:
                break
            time.sleep(0.05)


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tun_delay(name: str, ms: float) -> None:
    """Hold every packet routed into tun *name* for *ms*, then send it back in."""
    import fcntl

    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))  # TUN, NO_PI
    queue: list[tuple[float, int, bytes]] = []
    n = 0
    while True:
        wait = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        ready, _, _ = select.select([fd], [], [], wait)
        if ready:
            packet = bytearray(os.read(fd, 65535))
            if len(packet) >= 20 and packet[0] >> 4 == 4 and packet[8] < 255:
                packet[8] += 1  # the kernel takes one off again when it forwards it out
                packet[10:12] = b"\0\0"
                ihl = (packet[0] & 0x0F) * 4
                packet[10:12] = struct.pack("!H", _ip_checksum(bytes(packet[:ihl])))
            n += 1
            heapq.heappush(queue, (time.monotonic() + ms / 1000, n, bytes(packet)))
        while queue and queue[0][0] <= time.monotonic():
            os.write(fd, heapq.heappop(queue)[2])


@contextmanager
def running(prefix: str) -> Iterator[Topology]:
    """The four namespaces, up for the ``with`` block and gone after it (also after a
    failure); ``prefix`` and this process's id name them, so test files and parallel
    sessions never share one."""
    t = Topology(tag=f"{prefix}{os.getpid() % 100000}")
    t.down()
    try:
        t.up()
        yield t
    finally:
        t.down()


if __name__ == "__main__":
    if sys.argv[1] == "tundelay":
        tun_delay(sys.argv[2], float(sys.argv[3]))
        sys.exit(0)
    topo = Topology(tag=sys.argv[2] if len(sys.argv) > 2 else "skman")
    if sys.argv[1] == "up":
        topo.up()
    else:
        topo.down()
