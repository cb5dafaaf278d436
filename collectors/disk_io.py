"""disk.io — how busy each disk is right now: throughput, operations, latency, busy time.

Live, from psutil's ``disk_io_counters(perdisk=True)`` read twice,
``sample_s`` seconds apart. Partitions, loop and RAM devices are left out
where the OS lists them beside their disk (the pattern comes from
``toolkit/_platform``). Swap traffic (pages in and out per second) is
sampled at the same time: a machine short of memory shows it here first.

Output::

    {
      "sample_s": 2.0,
      "disks": [
        {"name": "sda", "read_bytes_s": 10485760.0, "write_bytes_s": 524288.0,
         "read_iops": 80.0, "write_iops": 12.5,
         "await_ms": 18.2 | null,     # average time one I/O took (queue + service)
         "busy_pct": 97.0 | null}     # share of the sample the disk was working (Linux)
      ],
      "busiest": {"name": "sda", "busy_pct": 97.0} | null,
      "swap": {"in_bytes_s": 0.0, "out_bytes_s": 4096.0} | null
    }

A disk busy above ~90 % with a high ``await_ms`` (tens of ms on an SSD,
hundreds on a hard disk) is the bottleneck; ``busy_pct`` is null where the
OS does not count busy time (Windows, macOS).
"""

from __future__ import annotations

import re
import time
from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan
from toolkit.schema import NUM, STR, arr, nullable, obj

OUTPUT = obj(
    sample_s=NUM,
    disks=arr(obj(name=STR, read_bytes_s=NUM, write_bytes_s=NUM, read_iops=NUM,
                  write_iops=NUM, await_ms=nullable(NUM), busy_pct=nullable(NUM))),
    busiest=nullable(obj(name=STR, busy_pct=NUM)),
    swap=nullable(obj(in_bytes_s=NUM, out_bytes_s=NUM)),
)


def rates(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]],
          seconds: float, skip: str = "") -> list[dict[str, Any]]:
    """Pure: two readings of per-disk counters → per-second rates, busiest first."""
    if seconds <= 0:
        raise ValueError("the sample must last longer than 0 s")
    skip_re = re.compile(skip) if skip else None
    out: list[dict[str, Any]] = []
    for name, new in sorted(after.items()):
        old = before.get(name)
        if old is None or (skip_re and skip_re.match(name)):
            continue
        d = {k: max(0.0, float(new.get(k, 0)) - float(old.get(k, 0))) for k in new}
        ios = d.get("read_count", 0) + d.get("write_count", 0)
        busy = d.get("busy_time") if "busy_time" in new else None
        out.append({
            "name": name,
            "read_bytes_s": round(d.get("read_bytes", 0) / seconds, 1),
            "write_bytes_s": round(d.get("write_bytes", 0) / seconds, 1),
            "read_iops": round(d.get("read_count", 0) / seconds, 1),
            "write_iops": round(d.get("write_count", 0) / seconds, 1),
            "await_ms": round((d.get("read_time", 0) + d.get("write_time", 0)) / ios, 1)
            if ios else None,
            "busy_pct": min(100.0, round(100.0 * busy / (seconds * 1000), 1))
            if busy is not None else None,
        })
    out.sort(key=lambda r: (-(r["busy_pct"] or 0), -(r["read_bytes_s"] + r["write_bytes_s"])))
    return out


def _read() -> tuple[dict[str, dict[str, float]], tuple[int, int] | None]:
    import psutil

    try:
        disks = psutil.disk_io_counters(perdisk=True) or {}
    except (OSError, RuntimeError):
        disks = {}
    try:
        sw = psutil.swap_memory()
        swap: tuple[int, int] | None = (sw.sin, sw.sout)
    except (OSError, RuntimeError):
        swap = None
    return {n: c._asdict() for n, c in disks.items()}, swap


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil: the disks' and swap's I/O counters, read twice sample_s "
                       "apart; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    from toolkit import _platform

    sample = min(float(params["sample_s"]), max(0.2, ctx.remaining() / 3))
    t0 = time.monotonic()
    before, swap0 = _read()
    time.sleep(sample)
    after, swap1 = _read()
    seconds = time.monotonic() - t0
    if not after:
        raise Failed("the OS reports no disk I/O counters (on Windows: run 'diskperf -y' "
                     "as administrator, then try again)")
    disks = rates(before, after, seconds, _platform.IO_SKIP_DEVICES)
    swap = ({"in_bytes_s": round((swap1[0] - swap0[0]) / seconds, 1),
             "out_bytes_s": round((swap1[1] - swap0[1]) / seconds, 1)}
            if swap0 and swap1 else None)
    top = disks[0] if disks and disks[0]["busy_pct"] is not None else None
    return {"sample_s": round(seconds, 2), "disks": disks,
            "busiest": {"name": top["name"], "busy_pct": top["busy_pct"]} if top else None,
            "swap": swap}


COLLECTOR = Collector(
    name="disk.io",
    output=OUTPUT,
    summary="Disk throughput, operations, latency and busy time, and swap traffic, sampled",
    gather=gather,
    params=(Param("sample_s", "float", 2.0, "seconds over which the counters are sampled",
                  min=0.1),),
    plan=plan,
    doc=__doc__ or "",
)
