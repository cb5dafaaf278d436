"""network.traceroute — the routers on the way to a host, and where loss starts.

Live with scapy (root or ``cap_net_raw``, IPv4): the probes for every TTL are
sent at once, not hop after hop, so a path that stops answering costs one
``timeout``, not ``max_hops × timeout``. Once the target has answered, the
missing replies of nearer hops are waited for only briefly (three times the
slowest reply seen), as traceroute's ``-w MAX,HERE,NEAR`` does. Modes: ``icmp``
(echo, the default, as mtr and tracert), ``udp`` (traceroute's default), ``tcp``
(SYN to ``port``; a SYN-ACK or a reset both mean the target was reached).

With ``count > 1`` the probes are sent in rounds ``interval`` seconds apart and
an mtr-style ``summary`` is added. Routers limit the ICMP errors they send
(Linux: a burst of 6, then one a second per source), so a round sends
``queries`` = 1 probe per hop by default, the default interval (0.7 s) keeps
ten rounds inside that budget with room to spare, and a round never follows
the previous one sooner than ``interval`` — a process starved of CPU does
not catch up in a burst. Replies already received when the trace ends are
read before anything is counted as lost. When neither the target nor an
"unreachable" answered, one last probe goes to the first hop that stayed
silent and is waited for up to ``LAST_WORD_WAIT`` (4 s): the last router has
spent its ICMP budget on the rounds and only says "host unreachable" once it
gives up resolving the address (ARP: about 3 s).

Without raw sockets the system ``traceroute``/``tracert`` is run and parsed
(an ICMP trace that the system tool may not send unprivileged is retried in
UDP mode); if that is missing too the step is skipped with the fixes. With
``source=FILE`` a saved traceroute/traceroute6 (Linux, macOS, FreeBSD) or
Windows tracert output is analysed instead.

Output::

    {
      "source": "live" | "<path>", "target": "example.com", "address": "10.200.3.2",
      "method": "scapy" | "system_traceroute" | "saved", "mode": "icmp" | "udp" | "tcp" | null,
      "reached": true | false | null,     # null: a saved output without its header
      "max_hops": 30 | null,              # null: a saved output that does not say
      "queries": 1, "count": 10,          # live only: probes per hop per round, rounds
      "hops": [{"ttl": 1, "address": "10.200.1.1" | null, "name": null,
                "addresses": ["10.200.1.1"], "rtts_ms": [0.05, 0.04, 0.04],
                "sent": 3, "loss_pct": 0.0, "flags": ["!H"]}],   # flags only when any
      "loss_starts_at": 2 | null,         # first TTL of loss that lasts to the end
      "summary": [{"ttl": 1, "address": "10.200.1.1", "sent": 10, "received": 10,
                   "loss_pct": 0.0, "last_ms": 0.05, "avg_ms": 0.05, "best_ms": 0.04,
                   "worst_ms": 0.07, "stdev_ms": 0.01}]            # only with count > 1
    }

Hops after the last one that answered are left out: they all timed out.

``reached`` is true only when the target itself answered. When a router answered
"unreachable" instead (``!H`` host, ``!N`` network, ``!X`` prohibited…) the path
ends there: ``unreachable`` names it (``{"ttl": 3, "address": "10.200.2.2",
"flag": "!H", "meaning": "host unreachable", "count": 4}``), and
``loss_starts_at`` stays null — that router spends its ICMP rate limit on the
unreachable replies, so the answers missing near the end are that limit, not
loss. ``delay_starts_at`` names the hop where round trips jump by 50 ms or more
and stay up to the end (``{"ttl": 3, "address": "10.200.3.2", "before_ms": 0.1,
"after_ms": 400.3, "added_ms": 400.2}``; best times per hop), or is null. When
this host cannot send at all (no route) the step still ends ``ok``, with no hops
and ``send_error`` saying why (``"Network is unreachable"``).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

from collectors._netparse import _stdev, hop_record, loss_starts_at, parse_traceroute
from collectors._netprobe import no_access, raw_allowed, resolve
from toolkit import plans
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.schema import BOOL, INT, NUM, STR, arr, enum, nullable, obj, opt
from toolkit.sources import SavedOutput, Source

OUTPUT = obj(
    source=STR, target=nullable(STR), address=nullable(STR),
    method=enum("scapy", "system_traceroute", "saved"),
    mode=nullable(enum("icmp", "udp", "tcp")), reached=nullable(BOOL),
    max_hops=nullable(INT), queries=opt(INT), count=opt(INT),  # queries, count: live only
    hops=arr(obj(ttl=INT, address=nullable(STR), name=nullable(STR), addresses=arr(STR),
                 rtts_ms=arr(NUM), sent=INT, loss_pct=nullable(NUM), flags=opt(arr(STR)))),
    loss_starts_at=nullable(INT),
    unreachable=opt(nullable(obj(ttl=INT, address=nullable(STR), flag=STR, meaning=STR,
                                 count=INT))),
    delay_starts_at=opt(nullable(obj(ttl=INT, address=nullable(STR), before_ms=NUM,
                                     after_ms=NUM, added_ms=NUM))),
    send_error=opt(STR),  # live only
    summary=opt(arr(obj(ttl=INT, address=nullable(STR), sent=INT, received=INT,
                        loss_pct=nullable(NUM), last_ms=nullable(NUM), avg_ms=nullable(NUM),
                        best_ms=nullable(NUM), worst_ms=nullable(NUM),
                        stdev_ms=nullable(NUM)))),
)

UDP_BASE = 33434  # traceroute's customary first destination port
# How long a router takes to give up on an address nobody has (ARP or neighbour
# discovery: three solicitations a second apart) and answer "host unreachable".
LAST_WORD_WAIT = 4.0
# ICMP destination-unreachable codes as traceroute prints them.
_UNREACH_FLAGS = {0: "!N", 1: "!H", 2: "!P", 4: "!F", 9: "!X", 10: "!X", 13: "!X"}


@dataclass
class _Probe:
    round: int
    ttl: int
    sent_at: float
    address: str | None = None
    rtt_ms: float | None = None
    flag: str | None = None
    final: bool = False


@dataclass(frozen=True)
class Plan:
    mode: str
    port: int
    queries: int
    max_hops: int
    count: int
    interval: float
    timeout: float


class _Tracer:
    def __init__(self, address: str, plan: Plan) -> None:
        self.address, self.plan = address, plan
        self.ident = os.getpid() & 0xFFFF
        self.sport = 0x8000 | (os.getpid() & 0x3FFF)
        self.send_sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.socks = [socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)]
        if plan.mode == "tcp":
            self.socks.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP))
        for sock in self.socks:
            if hasattr(socket, "SO_TIMESTAMPNS"):
                # The kernel's arrival time: replies may wait while a round is sent.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_TIMESTAMPNS, 1)
        self.probes: dict[int, _Probe] = {}
        self.reached_ttl: int | None = None  # where the path ends: the target or "unreachable"
        self.target_answered = False  # the target itself replied (a router's "!H" is not it)
        self.send_error = ""  # this host could not send ("Network is unreachable": no route)

    def _packet(self, index: int, ttl: int) -> bytes:
        from scapy.layers.inet import ICMP, IP, TCP, UDP

        ip: Any = IP(dst=self.address, ttl=ttl, id=(self.ident + index) & 0xFFFF)
        if self.plan.mode == "udp":
            return bytes(ip / UDP(sport=self.sport, dport=UDP_BASE + index) / (b"\0" * 32))
        if self.plan.mode == "icmp":
            return bytes(ip / ICMP(type=8, id=self.ident, seq=index) / (b"\0" * 32))
        return bytes(ip / TCP(sport=self.sport + index, dport=self.plan.port, flags="S",
                              seq=index << 16, window=1024))

    def send_round(self, rnd: int) -> None:
        last = self.reached_ttl or self.plan.max_hops  # later rounds stop at the target
        # Build the whole round first: scapy needs ~0.5 ms a packet, which would
        # otherwise delay the later probes and inflate the first hops' times.
        batch: list[tuple[int, int, bytes]] = []
        for ttl in range(1, last + 1):
            for _ in range(self.plan.queries):
                index = len(self.probes) + len(batch)
                batch.append((index, ttl, self._packet(index, ttl)))
        for index, ttl, data in batch:
            try:
                self.send_sock.sendto(data, (self.address, 0))
            except OSError as exc:  # ENETUNREACH: no route at all; nothing more to send
                self.send_error = exc.strerror or str(exc)
                return
            self.probes[index] = _Probe(rnd, ttl, time.time())

    def _match(self, data: bytes) -> tuple[int, str, str | None, bool] | None:
        """(probe index, replying address, flag, final) for an answer to one of our probes."""
        from scapy.layers.inet import ICMP, IP, TCP, ICMPerror, IPerror, TCPerror, UDPerror

        pkt = IP(data)
        src = pkt.src
        if pkt.haslayer(TCP) and src == self.address:
            tcp = pkt[TCP]
            index = tcp.dport - self.sport
            return (index, src, None, True) if tcp.sport == self.plan.port else None
        icmp = pkt.getlayer(ICMP)
        if icmp is None:
            return None
        if icmp.type == 0:
            ok = self.plan.mode == "icmp" and icmp.id == self.ident and src == self.address
            return (icmp.seq, src, None, True) if ok else None
        if icmp.type not in (3, 11) or not pkt.haslayer(IPerror):
            return None
        if pkt[IPerror].dst != self.address:
            return None
        index = None
        if self.plan.mode == "udp" and pkt.haslayer(UDPerror) and \
                pkt[UDPerror].sport == self.sport:
            index = pkt[UDPerror].dport - UDP_BASE
        elif self.plan.mode == "icmp" and pkt.haslayer(ICMPerror) and \
                pkt[ICMPerror].id == self.ident:
            index = pkt[ICMPerror].seq
        elif self.plan.mode == "tcp" and pkt.haslayer(TCPerror):
            index = pkt[TCPerror].sport - self.sport
        if index is None:
            return None
        if icmp.type == 3:
            final = src == self.address  # port unreachable from the target itself
            return index, src, None if final else _UNREACH_FLAGS.get(icmp.code, "!"), final
        return index, src, None, False

    def _read(self, sock: socket.socket) -> None:
        now = time.time()
        try:
            data, ancdata, _, _ = sock.recvmsg(65535, 64)
        except (BlockingIOError, InterruptedError):
            return
        for level, kind, value in ancdata:
            if level == socket.SOL_SOCKET and kind == getattr(socket, "SO_TIMESTAMPNS", -1):
                sec, nsec = struct.unpack("@qq", value[:16])
                now = sec + nsec / 1e9
        got = self._match(data)
        if got is None or got[0] not in self.probes:
            return
        index, src, flag, final = got
        probe = self.probes[index]
        if probe.address is not None:
            return
        probe.address, probe.rtt_ms = src, round((now - probe.sent_at) * 1000, 3)
        probe.flag, probe.final = flag, final or flag is not None
        if final and flag is None:
            self.target_answered = True
        if probe.final and (self.reached_ttl is None or probe.ttl < self.reached_ttl):
            self.reached_ttl = probe.ttl

    def _done(self, now: float, last_send: float) -> bool:
        if self.reached_ttl is None:
            return now >= last_send + self.plan.timeout
        waiting = [p for p in self.probes.values()
                   if p.ttl <= self.reached_ttl and p.address is None]
        if not waiting:
            return True
        slowest = max((p.rtt_ms or 0.0 for p in self.probes.values()), default=0.0) / 1000
        grace = min(self.plan.timeout, max(0.2, 3 * slowest))
        return now >= last_send + grace

    def run(self, budget: float) -> None:
        plan = self.plan
        # Wall-clock time throughout: the kernel's receive timestamps are wall-clock.
        start = time.time()
        deadline = start + budget
        rnd, last_send = 0, start
        last_word: int | None = None  # the TTL of the one last probe, once sent
        try:
            while True:
                now = time.time()
                # A starved process must not catch up by sending overdue rounds back to
                # back: routers rate-limit their ICMP errors (Linux: a burst of 6, then
                # 1/s), and a burst would show loss that the path does not have.
                due = start + rnd * plan.interval
                if rnd:
                    due = max(due, last_send + plan.interval)
                if rnd < plan.count and now >= due:
                    self.send_round(rnd)
                    if self.send_error:
                        return
                    rnd, last_send = rnd + 1, time.time()
                    continue
                finished = self._done(now, last_send) if last_word is None \
                    else self.reached_ttl is not None
                if now >= deadline or (rnd >= plan.count and finished):
                    self._drain()
                    if last_word is None and self.reached_ttl is None and deadline - now > 1:
                        # Nothing said where the path ends: ask the first silent hop once
                        # more, now that the routers' ICMP budgets have refilled, and
                        # wait as long as a router takes to give up on the address.
                        last_word = self._last_word(rnd)
                        if last_word is not None:
                            last_send, deadline = time.time(), min(deadline, time.time()
                                                                   + LAST_WORD_WAIT)
                            continue
                    return
                wake = due if rnd < plan.count else now + 0.05
                ready, _, _ = select.select(self.socks, [], [], max(0.0, min(wake, deadline)
                                                                   - now))
                for sock in ready:
                    self._read(sock)
        finally:
            for sock in (self.send_sock, *self.socks):
                sock.close()

    def _last_word(self, rnd: int) -> int | None:
        """Send one probe to the first hop that never answered; its TTL, or None when
        every hop answered or none did (no router to hear from)."""
        answered = {p.ttl for p in self.probes.values() if p.address is not None}
        if not answered or max(answered) >= self.plan.max_hops:
            return None
        ttl = max(answered) + 1
        index = len(self.probes)
        try:
            self.send_sock.sendto(self._packet(index, ttl), (self.address, 0))
        except OSError:
            return None
        self.probes[index] = _Probe(rnd, ttl, time.time())
        return ttl

    def _drain(self) -> None:
        """Read the replies that have already arrived: they are answers, not loss."""
        for _ in range(10_000):  # bounded: a flood must not keep us here
            ready, _, _ = select.select(self.socks, [], [], 0)
            if not ready:
                return
            for sock in ready:
                self._read(sock)

    def hops(self) -> list[dict[str, Any]]:
        answered = [p.ttl for p in self.probes.values() if p.address is not None]
        last = self.reached_ttl or max(answered, default=0)
        by_ttl: dict[int, list[dict[str, Any]]] = {}
        for p in self.probes.values():
            if p.ttl <= last:
                by_ttl.setdefault(p.ttl, []).append(
                    {"address": p.address, "rtt_ms": p.rtt_ms, "flag": p.flag})
        return [hop_record(ttl, by_ttl[ttl]) for ttl in sorted(by_ttl)]

    def last_rtts(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for p in sorted(self.probes.values(), key=lambda p: p.round):
            if p.rtt_ms is not None:
                out[p.ttl] = p.rtt_ms
        return out


_FLAG_MEANING = {"!N": "network unreachable", "!H": "host unreachable",
                 "!P": "protocol unreachable", "!F": "fragmentation needed",
                 "!X": "communication administratively prohibited", "!": "unreachable"}


def unreachable(hops: list[dict[str, Any]], reached: bool | None) -> dict[str, Any] | None:
    """The router that said the target cannot be reached (``!H``, ``!N``…), when the
    target itself never answered: the end of the path, not a hop that loses packets."""
    if reached:
        return None
    for hop in hops:
        flags = hop.get("flags") or []
        if flags:
            flag = max(set(flags), key=flags.count)
            return {"ttl": hop["ttl"], "address": hop["address"], "flag": flag,
                    "meaning": _FLAG_MEANING.get(flag, "unreachable"), "count": len(flags)}
    return None


def path_loss_start(hops: list[dict[str, Any]], reached: bool | None) -> int | None:
    """``loss_starts_at``, except when a router answers "unreachable" for a target that
    never answered: that router spends its ICMP rate limit (Linux: a burst of 6, then
    one a second) on the unreachable replies, so its own and the last hops' missing
    answers are that limit, not loss on the path."""
    if unreachable(hops, reached) is not None:
        return None
    return loss_starts_at([h for h in hops if not h.get("flags")])


DELAY_JUMP_MS = 50.0  # a step smaller than this is queueing noise, not where delay starts


def delay_starts_at(hops: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The hop where round trips jump and stay high to the end of the path.

    Each hop's best (lowest) time is used: a router answering its own ICMP slowly
    shows spikes in its average, never in its best. The hop with the largest
    step up of at least ``DELAY_JUMP_MS`` that every later hop keeps (half of it
    at least) is where the delay starts: the link into it, or that router."""
    # "Unreachable" answers wait for the router's neighbour lookup (ARP: seconds), so
    # they say nothing about the path's delay.
    best = [(h["ttl"], h["address"], min(h["rtts_ms"])) for h in hops
            if h["rtts_ms"] and not h.get("flags")]
    found: dict[str, Any] | None = None
    for i, (ttl, address, after) in enumerate(best):
        before = best[i - 1][2] if i else 0.0
        jump = after - before
        if jump < DELAY_JUMP_MS or (found and jump <= found["added_ms"]):
            continue
        if all(later >= before + jump / 2 for _, _, later in best[i + 1:]):
            found = {"ttl": ttl, "address": address, "before_ms": round(before, 1),
                     "after_ms": round(after, 1), "added_ms": round(jump, 1)}
    return found


def summarise(hops: list[dict[str, Any]], last: dict[int, float]) -> list[dict[str, Any]]:
    """mtr's report columns per hop: Loss%, Snt, Last, Avg, Best, Wrst, StDev."""
    rows = []
    for hop in hops:
        rtts = hop["rtts_ms"]
        rows.append({
            "ttl": hop["ttl"], "address": hop["address"], "sent": hop["sent"],
            "received": len(rtts), "loss_pct": hop["loss_pct"],
            "last_ms": last.get(hop["ttl"]),
            "avg_ms": round(sum(rtts) / len(rtts), 3) if rtts else None,
            "best_ms": min(rtts) if rtts else None,
            "worst_ms": max(rtts) if rtts else None,
            "stdev_ms": round(_stdev(rtts), 3) if rtts else None,
        })
    return rows


def _merge(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Hops of several system traceroute runs, as one set of rounds."""
    by_ttl: dict[int, list[dict[str, Any]]] = {}
    for hops in runs:
        for hop in hops:
            probes = by_ttl.setdefault(hop["ttl"], [])
            rtts = list(hop["rtts_ms"])
            for i in range(hop["sent"]):
                rtt = rtts[i] if i < len(rtts) else None
                probes.append({"address": hop["address"] if rtt is not None else None,
                               "rtt_ms": rtt})
    return [hop_record(ttl, by_ttl[ttl]) for ttl in sorted(by_ttl)]


def _system(ctx: Context, address: str, family: int, plan: Plan) -> tuple[dict[str, Any], str]:
    from toolkit import _platform

    def once(mode: str, n: int) -> tuple[dict[str, Any] | None, str]:
        argv = _platform.traceroute_argv(address, mode=mode, queries=plan.queries,
                                         max_hops=plan.max_hops, timeout=plan.timeout,
                                         ipv6=family == socket.AF_INET6)
        try:
            ctx.require(argv[0], "traceroute")
        except Skipped as exc:  # the last fallback is missing: name every fix
            raise no_access("traceroute", str(exc)) from None
        res = ctx.run(argv, timeout=plan.max_hops * plan.timeout + 10,
                      save_as=f"traceroute-{n}.txt")
        err = res.stderr.decode("utf-8", errors="replace").strip()
        try:
            return parse_traceroute(res.text), err
        except ValueError:
            return None, err or f"exit {res.record.returncode}"

    mode = plan.mode
    parsed, err = once(mode, 1)
    if parsed is None and mode != "udp":
        mode = "udp"  # ICMP and TCP traces need privileges the UDP one does not
        parsed, err = once(mode, 1)
    if parsed is None:
        raise no_access("traceroute", f"system traceroute: {err.splitlines()[-1][:200]}")
    runs = [parsed["hops"]]
    for n in range(2, plan.count + 1):
        more, _ = once(mode, n)
        if more is not None:
            runs.append(more["hops"])
    if len(runs) > 1:
        parsed["hops"] = _merge(runs)
    return parsed, mode


def _plan(params: dict[str, Any]) -> Plan:
    count = params["count"]
    queries = params["queries"] if params["queries"] is not None else (3 if count == 1 else 1)
    plan = Plan(mode=params["mode"], port=params["port"], queries=queries,
                max_hops=params["max_hops"], count=count, interval=params["interval"],
                timeout=params["timeout"])
    if not 1 <= plan.max_hops <= 64 or not 1 <= plan.queries <= 10:
        raise Failed("max_hops must be 1-64 and queries 1-10")
    if not 1 <= count <= 1000 or plan.interval < 0.05 or plan.timeout <= 0:
        raise Failed("count must be 1-1000, interval at least 0.05 s, timeout above 0")
    return plan


def from_traceroute(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a saved traceroute/traceroute6 or Windows tracert output → the result."""
    parsed = parse_traceroute(saved.text)
    parsed.pop("format")
    return {"source": saved.path, "method": "saved", "mode": None, **parsed,
            "loss_starts_at": path_loss_start(parsed["hops"], parsed["reached"]),
            "unreachable": unreachable(parsed["hops"], parsed["reached"]),
            "delay_starts_at": delay_starts_at(parsed["hops"])}


def plan(params: dict[str, Any]) -> plans.Plan:
    """The step's plan (``toolkit.plans``); ``Plan`` in this module is the probing."""
    from toolkit import _platform

    host, wanted = plans.text(params.get("host"), "HOST"), params.get("method") or "auto"
    mode = str(params.get("mode")) if params.get("mode") in ("icmp", "udp", "tcp") else "icmp"
    count = int(plans.number(params.get("count"), 1))
    queries = int(plans.number(params["queries"], 1)) if params.get("queries") is not None \
        else 3 if count == 1 else 1
    modes = [mode] if mode == "udp" else [mode, "udp"]  # udp needs no privileges
    commands = [] if wanted == "scapy" else [_platform.traceroute_argv(
        host, mode=m, queries=queries, max_hops=int(plans.number(params.get("max_hops"), 30)),
        timeout=plans.number(params.get("timeout"), 2.0), ipv6=":" in host) for m in modes]
    targets = {"icmp": f"{host}/icmp", "udp": plans.host_port(host, UDP_BASE, "udp"),
               "tcp": plans.host_port(host, params.get("port"), "tcp")}
    ways = ([f"raw sockets (scapy: root or cap_net_raw, IPv4), {mode} probes"]
            if wanted in ("auto", "scapy") else []) + \
        ([f"the system traceroute in {mode} mode" + (", then in udp mode" if mode != "udp"
                                                    else "")] if commands else [])
    notes = ["the first that works of: " + "; ".join(ways)]
    if count > 1 and commands:
        notes.append(f"the system traceroute runs {count} times, one run per round")
    return plans.Plan(commands=commands, network=[targets[m] for m in dict.fromkeys(modes)
                                                  if wanted != "scapy" or m == mode],
                      notes=notes)


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(params)
    address, family = resolve(params.get("host") or "")
    wanted = params["method"]
    base = {"source": "live", "target": params["host"], "address": address,
            "max_hops": plan.max_hops, "queries": plan.queries, "count": plan.count}
    if wanted in ("auto", "scapy") and family == socket.AF_INET and raw_allowed():
        tracer = _Tracer(address, plan)
        tracer.run(ctx.remaining() - 0.5)  # return what was measured in time
        hops = tracer.hops()
        reached = tracer.target_answered
        result = {**base, "method": "scapy", "mode": plan.mode, "reached": reached,
                  "hops": hops, "loss_starts_at": path_loss_start(hops, reached),
                  "unreachable": unreachable(hops, reached),
                  "delay_starts_at": delay_starts_at(hops)}
        if tracer.send_error:
            result["send_error"] = tracer.send_error
        if plan.count > 1:
            result["summary"] = summarise(hops, tracer.last_rtts())
        return result
    if wanted == "scapy":
        raise no_access("traceroute with scapy")
    parsed, mode = _system(ctx, address, family, plan)
    hops = parsed["hops"]
    reached = bool(parsed["reached"])
    result = {**base, "method": "system_traceroute", "mode": mode, "reached": reached,
              "hops": hops, "loss_starts_at": path_loss_start(hops, reached),
              "unreachable": unreachable(hops, reached), "delay_starts_at": delay_starts_at(hops)}
    if plan.count > 1:
        result["summary"] = summarise(hops, {})
    return result


COLLECTOR = Collector(
    name="network.traceroute",
    output=OUTPUT,
    summary="Routers on the way to a host, loss per hop and where it starts",
    gather=gather,
    needs=Needs(commands=("traceroute",), root=True,
                notes="raw sockets (root or cap_net_raw) for the parallel scapy trace; "
                      "otherwise the system traceroute/tracert is used"),
    params=(
        Param("host", "str", None, "name or address to trace"),
        Param("mode", "str", "icmp", "probe type", choices=("icmp", "udp", "tcp")),
        Param("port", "int", 80, "destination port in tcp mode", min=1, max=65535),
        Param("queries", "int", None, "probes per hop per round (3, or 1 when count > 1)", min=1),
        Param("max_hops", "int", 30, "highest TTL probed", min=1, max=255),
        Param("count", "int", 1, "rounds; above 1 adds the mtr-style summary", min=1),
        Param("interval", "float", 0.7, "seconds between rounds", min=0),
        Param("timeout", "float", 2.0, "seconds to wait for a hop that does not answer", min=0.1),
        Param("method", "str", "auto", "force one method (tests, comparisons)",
              choices=("auto", "scapy", "system")),
        Param("source", "str", None, "analyse a saved traceroute/tracert output instead"),
    ),
    sources=(Source("traceroute", from_traceroute, "a saved traceroute/traceroute6 (Linux, "
                    "macOS, FreeBSD) or Windows tracert output"),),
    plan=plan,
    doc=__doc__ or "",
)
