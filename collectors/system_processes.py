"""system.processes — what is running, what is busy, what is stuck.

Live, from psutil: every process is read twice, ``sample_s`` seconds apart,
and its CPU % is the CPU time it used in between (100 % = one core busy, as
``top`` shows it); memory is the resident set (RSS). With ``source=FILE``,
a ``snapshot.json`` this collector kept in an earlier bundle is analysed
again (e.g. ``-p procs.source=steps/04-system.processes/snapshot.json``).

Output::

    {
      "source": "live" | "<path of the saved snapshot>",
      "sample_s": 1.0,
      "cpu_count": 8,
      "memory_total_bytes": 16777216000 | null,
      "counts": {"total": 312, "running": 2, "sleeping": 290, "idle": 12,
                 "stopped": 0, "zombie": 1, "disk_sleep": 0, "other": 7},
      "zombies": [{"pid": 4242, "name": "defunct-child", "ppid": 4100,
                   "parent": "buggy-daemon" | null}],
      "top_cpu": [PROCESS, …],           # at most ``top``, busiest first
      "top_memory": [PROCESS, …],        # at most ``top``, largest RSS first
      "busiest": PROCESS | null,         # top_cpu[0]
      "hidden": 3,                       # processes that vanished or could not be read
      "own": 4,                          # supportkit's own processes, left out of all lists
      "per_core": [{"cpu": 0, "processes": [{"pid": 4321, "name": "gzip", "cpu_pct": 49.0}]}]
    }

    PROCESS = {"pid": 1234, "name": "firefox", "user": "alice" | null,
               "cmdline": "/usr/lib/firefox/firefox -contentproc …" (≤ 160 chars),
               "cpu_pct": 87.5 | null, "rss_bytes": 734003200 | null,
               "mem_pct": 4.4 | null, "status": "running"}

``cpu_pct`` is null for a process that started during the sample. On a
machine with several cores one process may show more than 100 %.
``per_core`` lists, for each core, the busy processes (≥ 5 %) that last ran
on it (``psutil.Process.cpu_num``, Linux and FreeBSD) — several programs
sharing one core show there. supportkit itself (this run, its workers and
what they started) is never listed: its unreaped workers are not zombies of
the machine, and its own sampling is not a hog. Command
lines pass through the bundle's secret redaction like every other text.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from toolkit.collector import Collector, Context, Param
from toolkit.plans import Plan
from toolkit.schema import INT, NUM, STR, arr, nullable, obj
from toolkit.sources import SavedOutput, Source

_PROCESS = obj(pid=INT, name=STR, user=nullable(STR), cmdline=STR, cpu_pct=nullable(NUM),
               rss_bytes=nullable(INT), mem_pct=nullable(NUM), status=nullable(STR),
               cpu=nullable(INT))
OUTPUT = obj(
    source=STR, sample_s=nullable(NUM), cpu_count=nullable(INT),
    memory_total_bytes=nullable(INT),
    counts=obj(total=INT, running=INT, sleeping=INT, idle=INT, stopped=INT, zombie=INT,
               disk_sleep=INT, other=INT),
    zombies=arr(obj(pid=INT, name=nullable(STR), ppid=nullable(INT), parent=nullable(STR))),
    top_cpu=arr(_PROCESS), top_memory=arr(_PROCESS), busiest=nullable(_PROCESS), hidden=INT,
    own=INT, per_core=arr(obj(cpu=INT, processes=arr(obj(pid=INT, name=STR, cpu_pct=NUM)))),
)
BUSY_ON_CORE = 5.0  # % of a core: below this a process is not "sharing" it

CMDLINE_CHARS = 160
# psutil's status names, grouped the way a person reads them.
_STATUS_GROUPS = {"running": "running", "sleeping": "sleeping", "idle": "idle",
                  "stopped": "stopped", "tracing-stop": "stopped", "zombie": "zombie",
                  "disk-sleep": "disk_sleep"}


def _shorten(cmdline: list[str] | str | None, name: str) -> str:
    text = " ".join(cmdline) if isinstance(cmdline, list) else (cmdline or "")
    text = text.strip() or f"[{name}]"  # kernel threads have no command line
    return text if len(text) <= CMDLINE_CHARS else text[:CMDLINE_CHARS - 1] + "…"


def parse(snapshot: dict[str, Any], top: int = 10) -> dict[str, Any]:
    """Pure: two psutil readings (as ``snapshot`` records them) → the result.

    ``snapshot`` = ``{"sample_s", "cpu_count", "memory_total", "hidden",
    "processes": [{pid, ppid, name, username, cmdline, status, rss,
    cpu_before, cpu_after}]}`` where ``cpu_*`` are user+system CPU seconds
    at the start and end of the sample (null when unknown).
    """
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("processes"), list):
        raise ValueError("not a system.processes snapshot: no 'processes' list")
    interval = float(snapshot.get("sample_s") or 0) or None
    mem_total = snapshot.get("memory_total")
    own = set(snapshot.get("own_pids") or [])
    # A child of ours (a command a collector ran, exited and not yet reaped when the
    # snapshot was taken) is ours too, though it was not in the tree when it was listed.
    procs = [p for p in snapshot["processes"] if isinstance(p, dict) and "pid" in p
             and p["pid"] not in own and p.get("ppid") not in own]
    names = {p["pid"]: p.get("name") for p in procs}
    counts = dict.fromkeys(("running", "sleeping", "idle", "stopped", "zombie",
                            "disk_sleep", "other"), 0)
    rows = []
    for p in procs:
        counts[_STATUS_GROUPS.get(str(p.get("status")), "other")] += 1
        before, after = p.get("cpu_before"), p.get("cpu_after")
        cpu = (round(100.0 * max(0.0, after - before) / interval, 1)
               if interval and before is not None and after is not None else None)
        rss = p.get("rss")
        name = str(p.get("name") or "?")
        rows.append({
            "pid": p["pid"], "name": name, "user": p.get("username"),
            "cmdline": _shorten(p.get("cmdline"), name),
            "cpu_pct": cpu, "rss_bytes": rss,
            "mem_pct": round(100.0 * rss / mem_total, 1)
            if rss is not None and mem_total else None,
            "status": p.get("status"),
            "cpu": p.get("cpu_num") if isinstance(p.get("cpu_num"), int) else None,
        })
    top_cpu = sorted((r for r in rows if r["cpu_pct"] is not None),
                     key=lambda r: (-r["cpu_pct"], r["pid"]))[:top]
    top_mem = sorted((r for r in rows if r["rss_bytes"] is not None),
                     key=lambda r: (-r["rss_bytes"], r["pid"]))[:top]
    zombies = [{"pid": p["pid"], "name": p.get("name"), "ppid": p.get("ppid"),
                "parent": names.get(p.get("ppid"))}
               for p in procs if p.get("status") == "zombie"]
    return {
        "sample_s": interval,
        "cpu_count": snapshot.get("cpu_count"),
        "memory_total_bytes": mem_total,
        "counts": {"total": len(procs), **counts},
        "zombies": zombies,
        "top_cpu": top_cpu,
        "top_memory": top_mem,
        "busiest": top_cpu[0] if top_cpu else None,
        "hidden": int(snapshot.get("hidden") or 0),
        "own": len(own),
        "per_core": _per_core(rows),
    }


def _per_core(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cores: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r["cpu"] is not None and (r["cpu_pct"] or 0) >= BUSY_ON_CORE:
            cores.setdefault(r["cpu"], []).append(
                {"pid": r["pid"], "name": r["name"], "cpu_pct": r["cpu_pct"]})
    return [{"cpu": c, "processes": sorted(ps, key=lambda p: (-p["cpu_pct"], p["pid"]))}
            for c, ps in sorted(cores.items())]


def own_pids() -> list[int]:
    """This run's processes: the topmost supportkit ancestor of this one, and all it
    started (the runner, its workers — finished but not yet reaped ones too — and their
    commands)."""
    import psutil

    top = psutil.Process()
    try:
        while True:
            parent = top.parent()
            if parent is None or not _is_supportkit(parent):
                break
            top = parent
        return sorted({top.pid, *(c.pid for c in top.children(recursive=True))})
    except psutil.Error:
        return [os.getpid()]


def _is_supportkit(proc: Any) -> bool:
    import psutil

    try:
        words = " ".join(proc.cmdline()[:6])  # python -I -B -m toolkit.run._worker
    except psutil.Error:
        return False
    return "toolkit" in words or "supportkit" in words


def _cpu_seconds(proc: Any) -> float | None:
    import psutil

    try:
        t = proc.cpu_times()
    except (psutil.Error, OSError):
        return None
    return float(t.user + t.system)


def snapshot(sample_s: float) -> dict[str, Any]:
    """Read every process twice, ``sample_s`` apart (the only part that touches psutil)."""
    import psutil

    attrs = ["pid", "ppid", "name", "username", "cmdline", "status", "memory_info"]
    if hasattr(psutil.Process, "cpu_num"):  # Linux, FreeBSD
        attrs.append("cpu_num")
    before: dict[int, tuple[Any, float | None]] = {}
    for proc in psutil.process_iter():
        before[proc.pid] = (proc, _cpu_seconds(proc))
    time.sleep(max(0.0, sample_s))
    rows = []
    for proc in psutil.process_iter(attrs, ad_value=None):
        info = proc.info
        # A pid that was reused during the sample is another process: no CPU delta.
        old = before.get(proc.pid)
        same = old is not None and old[0] == proc
        mem = info.pop("memory_info", None)
        rows.append({**info, "rss": getattr(mem, "rss", None),
                     "cpu_before": old[1] if same and old else None,
                     "cpu_after": _cpu_seconds(proc) if same else None})
    hidden = len(set(before) - {r["pid"] for r in rows})  # exited during the sample
    return {"sample_s": sample_s, "own_pids": own_pids(),
            "cpu_count": psutil.cpu_count(logical=True),
            "memory_total": psutil.virtual_memory().total, "hidden": hidden,
            "processes": rows}


def from_snapshot(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a ``snapshot.json`` an earlier run kept → the result."""
    return {"source": saved.path, **parse(json.loads(saved.data), saved.params["top"])}


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil: every process (name, user, command line, CPU time, memory), "
                       "read twice sample_s apart; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    sample = min(float(params["sample_s"]), max(0.0, ctx.remaining() / 3))
    raw = snapshot(sample)
    ctx.save("snapshot.json", json.dumps(raw, indent=1, default=str))
    return {"source": "live", **parse(raw, params["top"])}


COLLECTOR = Collector(
    name="system.processes",
    output=OUTPUT,
    summary="Process counts, zombies, and the top processes by CPU and by memory",
    gather=gather,
    params=(
        Param("top", "int", 10, "how many processes to list by CPU and by memory", min=1),
        Param("sample_s", "float", 1.0, "seconds over which CPU use is measured", min=0),
        Param("source", "str", None, "analyse a snapshot.json saved by an earlier run"),
    ),
    sources=(Source("snapshot", from_snapshot, "a snapshot.json this collector kept in an "
                    "earlier bundle", save_as="snapshot.json"),),
    plan=plan,
    doc=__doc__ or "",
)
