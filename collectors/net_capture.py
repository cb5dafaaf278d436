"""network.capture — a short packet capture (pcap) into the bundle, for Wireshark.

Root only (raw packet sockets), and never part of a run unless a playbook
step asks for it. Packets matching the BPF ``filter`` (tcpdump syntax, e.g.
``host 10.0.0.7 and tcp port 443``) on ``interface`` are captured with scapy
until ``duration`` seconds, ``max_packets`` or ``max_bytes`` is reached,
whichever comes first, and written as ``capture.pcap`` in the step's folder.

Each packet is cut to ``snaplen`` bytes (default 128: the headers and a little
payload). The bundle writer cannot redact inside a pcap, so a short snaplen
and a narrow filter are what keep passwords and tokens out of it.

Output::

    {
      "interface": "any", "filter": "tcp port 443", "snaplen": 128,
      "file": "capture.pcap" | null,   # null: nothing was captured
      "packets": 42, "bytes_saved": 5376, "duration_s": 10.0,
      "stopped_by": "duration" | "max_packets" | "max_bytes",
      "linktype": 113,
      "top_flows": [{"src": "10.0.0.5", "dst": "10.0.0.7", "proto": "tcp",
                     "sport": 51514, "dport": 443, "packets": 30}]
    }
"""

from __future__ import annotations

import errno
import struct
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, text
from toolkit.schema import INT, NUM, STR, arr, enum, nullable, obj

OUTPUT = obj(
    interface=STR, filter=STR, snaplen=INT, file=nullable(STR), packets=INT,
    bytes_saved=INT, duration_s=NUM, stopped_by=enum("duration", "max_packets", "max_bytes"),
    linktype=INT,
    top_flows=arr(obj(src=STR, dst=STR, proto=STR, sport=nullable(INT), dport=nullable(INT),
                      packets=INT)),
)

_PCAP_HEADER = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


def pcap_bytes(packets: list[tuple[float, bytes, int]], linktype: int, snaplen: int) -> bytes:
    """Classic pcap (microsecond timestamps, libpcap 2.4 format) of (time, data, length)."""
    out = bytearray(_PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
    for ts, data, length in packets:
        sec = int(ts)
        out += _RECORD.pack(sec, int((ts - sec) * 1_000_000), len(data), length) + data
    return bytes(out)


def _flow(pkt: Any) -> tuple[str, str, str, int | None, int | None] | None:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6

    ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    if ip is None:
        return None
    l4 = pkt.getlayer(TCP) or pkt.getlayer(UDP)
    proto = l4.name.lower() if l4 is not None else str(getattr(ip, "proto", getattr(
        ip, "nh", "?")))
    return (ip.src, ip.dst, proto, getattr(l4, "sport", None), getattr(l4, "dport", None))


@dataclass
class _State:
    size: int = 0  # bytes the pcap will hold
    stopped_by: str = "duration"
    linktype: int | None = None


def _check(params: dict[str, Any]) -> None:
    if not 0 < params["duration"] <= 300:
        raise Failed("duration must be 1-300 seconds")
    if not 1 <= params["max_packets"] <= 1_000_000 or not 1024 <= params["max_bytes"] \
            <= 200 * 1024 * 1024 or not 64 <= params["snaplen"] <= 65535:
        raise Failed("max_packets 1-1000000, max_bytes 1 KB-200 MB, snaplen 64-65535")


def plan(params: dict[str, Any]) -> Plan:
    iface = text(params.get("interface")) or "the default route's interface"
    bpf = text(params.get("filter")).strip() or "none"
    return Plan(notes=[f"listens on {iface} for {text(params.get('duration'))} s (filter: "
                       f"{bpf}), at most {text(params.get('max_packets'))} packets; sends "
                       "nothing; root only"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check(params)
    from toolkit import _platform

    if not _platform.is_admin():
        raise Skipped("packet capture needs root: run supportkit with sudo (the capture is "
                      "short and filtered, and goes only into the bundle)")
    bpf = (params.get("filter") or "").strip()
    iface = params.get("interface") or None
    from scapy.config import conf
    from scapy.error import Scapy_Exception
    from scapy.sendrecv import sniff

    if bpf:
        from scapy.arch.common import compile_filter

        try:
            compile_filter(bpf, iface=iface or conf.iface)
        except ImportError:
            raise Skipped("BPF filters need libpcap: "
                          f"{_platform.install_hint('libpcap0.8')}") from None
        except (Scapy_Exception, OSError) as exc:
            raise Failed(f"bad capture filter {bpf!r}: {exc}") from None
    kept: list[tuple[float, bytes, int]] = []
    flows: Counter[tuple[Any, ...]] = Counter()
    state = _State()

    def keep(pkt: Any) -> bool:
        raw = bytes(pkt)
        data = raw[:params["snaplen"]]
        kept.append((float(pkt.time), data, len(raw)))
        state.size += len(data) + _RECORD.size
        if state.linktype is None:
            state.linktype = conf.l2types.layer2num.get(type(pkt), 1)
        flow = _flow(pkt)
        if flow:
            flows[flow] += 1
        if len(kept) >= params["max_packets"]:
            state.stopped_by = "max_packets"
        elif state.size >= params["max_bytes"]:
            state.stopped_by = "max_bytes"
        return state.stopped_by != "duration"

    duration = min(params["duration"], ctx.remaining() - 1.0)
    t0 = time.monotonic()
    try:
        sniff(iface=iface, filter=bpf or None, timeout=max(0.5, duration), store=False,
              stop_filter=keep)
    except PermissionError:
        raise Skipped("packet capture needs root (or cap_net_raw and cap_net_admin): run "
                      "supportkit with sudo") from None
    except OSError as exc:
        if exc.errno in (errno.ENODEV, errno.ENXIO):
            raise Failed(f"no interface named {iface!r}: collect network.interfaces for "
                         "the names") from None
        raise Failed(f"capture failed: {exc}") from None
    took = round(time.monotonic() - t0, 3)
    linktype = state.linktype or 1
    name = ctx.save("capture.pcap", pcap_bytes(kept, linktype, params["snaplen"])) \
        if kept else None
    return {"interface": iface or str(conf.iface), "filter": bpf, "snaplen": params["snaplen"],
            "file": name, "packets": len(kept), "bytes_saved": state.size,
            "duration_s": took, "stopped_by": state.stopped_by, "linktype": linktype,
            "top_flows": [{"src": f[0], "dst": f[1], "proto": f[2], "sport": f[3],
                           "dport": f[4], "packets": n} for f, n in flows.most_common(10)]}


COLLECTOR = Collector(
    name="network.capture",
    output=OUTPUT,
    summary="Short BPF-filtered packet capture (pcap) into the bundle; root only",
    gather=gather,
    platforms=("linux", "darwin"),  # Windows would need the Npcap driver
    needs=Needs(root=True, notes="root for raw packet sockets; libpcap to compile BPF filters",
                powers=("capture-traffic",)),
    params=(
        Param("filter", "str", "", "BPF filter, tcpdump syntax (e.g. 'host 10.0.0.7 and "
              "tcp port 443')"),
        Param("interface", "str", None, "interface to listen on ('any' on Linux; default: "
              "the one of the default route)"),
        Param("duration", "float", 10.0, "seconds to capture", min=0.1),
        Param("max_packets", "int", 5000, "stop after this many packets", min=1),
        Param("max_bytes", "int", 2 * 1024 * 1024, "stop when the pcap reaches this size", min=1),
        Param("snaplen", "int", 128, "bytes kept of each packet", min=1, max=262144),
    ),
    plan=plan,
    doc=__doc__ or "",
)
