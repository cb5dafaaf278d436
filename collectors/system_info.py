"""system.info — what machine this is and how it is doing right now.

Output::

    {
      "hostname": "pc-0042",
      "device": {"vendor": "LENOVO" | null, "model": "20XW0026GE" | null,
                 "version": "ThinkPad X1 Carbon Gen 9" | null, "firmware": "N32ET75W" | null},
      "os": {"system": "Linux", "name": "Debian GNU/Linux", "version": "12",
             "pretty_name": "Debian GNU/Linux 12 (bookworm)", "release": "6.1.0-18-amd64",
             "machine": "x86_64"},
      "kernel": "6.1.0-18-amd64",
      "boot_time": "2026-11-20T08:12:03+00:00", "uptime_s": 451234,
      "cpu": {"model": "…" | null, "logical": 8 | null, "physical": 4 | null,
              "usage_pct": 12.5, "load_avg": [0.4, 0.3, 0.2] | null,
              "load_per_cpu": 0.05 | null,
              "per_core_pct": [97.0, 12.0] | null},   # each logical CPU over the sample
      "memory": {"total_bytes": …, "available_bytes": …, "used_bytes": …, "percent": 41.2},
      "swap": {"total_bytes": …, "used_bytes": …, "percent": 0.0},
      "python": {"version": "3.11.7", "implementation": "CPython", "executable": "…"},
      "timezone": {"name": "Europe/Berlin" | null, "utc_offset": "+01:00"},
      "user": "alice" | null, "is_admin": false
    }

``load_avg`` is absent (null) where the OS keeps none; ``usage_pct`` is
sampled over ``sample_s`` seconds. ``device`` comes from the firmware tables
(DMI on Linux, ``hw.model`` on macOS, the BIOS registry key on Windows);
fields the machine does not fill (many VMs) are null, never guessed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from toolkit.collector import Collector, Context, Param
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, NUM, STR, arr, nullable, obj

OUTPUT = obj(
    hostname=STR,
    device=obj(vendor=nullable(STR), model=nullable(STR), version=nullable(STR),
               firmware=nullable(STR)),
    os=obj(system=STR, name=STR, version=STR, pretty_name=STR, release=STR, machine=STR),
    kernel=STR, boot_time=STR, uptime_s=INT,
    cpu=obj(model=nullable(STR), logical=nullable(INT), physical=nullable(INT), usage_pct=NUM,
            load_avg=nullable(arr(NUM)), load_per_cpu=nullable(NUM),
            per_core_pct=nullable(arr(NUM))),
    memory=obj(total_bytes=INT, available_bytes=INT, used_bytes=INT, percent=NUM),
    swap=obj(total_bytes=INT, used_bytes=INT, percent=NUM),
    python=obj(version=STR, implementation=STR, executable=STR),
    timezone=obj(name=nullable(STR), utc_offset=STR),
    user=nullable(STR), is_admin=BOOL,
)


def _cpu_percent(psutil: Any, sample_s: float) -> dict[str, Any]:
    """The whole CPU's and each core's busy % over one sample."""
    cores = psutil.cpu_percent(interval=sample_s, percpu=True)
    total = round(sum(cores) / len(cores), 1) if cores else 0.0
    return {"cpu_percent": total, "per_core_pct": [round(c, 1) for c in cores] or None}


def parse(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Pure: a raw psutil/platform snapshot (as ``gather`` records it) → the result."""
    boot = snapshot["boot_time"]
    now = snapshot["now"]
    mem, swap = snapshot["virtual_memory"], snapshot["swap_memory"]
    load = snapshot.get("load_avg")
    logical = snapshot["cpu_count_logical"] or 1
    offset_s = snapshot["utc_offset_s"]
    sign = "-" if offset_s < 0 else "+"
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    release = snapshot["os_release"]
    return {
        "hostname": snapshot["hostname"],
        "device": snapshot.get("device") or dict.fromkeys(("vendor", "model", "version",
                                                            "firmware")),
        "os": {
            "system": snapshot["system"],
            "name": release.get("name") or snapshot["system"],
            "version": release.get("version") or snapshot["version"],
            "pretty_name": release.get("pretty_name")
            or f"{snapshot['system']} {snapshot['release']}",
            "release": snapshot["release"],
            "machine": snapshot["machine"],
        },
        "kernel": snapshot["release"],
        "boot_time": datetime.fromtimestamp(boot, timezone.utc).isoformat(timespec="seconds"),
        "uptime_s": int(now - boot),
        "cpu": {
            "model": snapshot.get("cpu_model"),
            "logical": snapshot["cpu_count_logical"],
            "physical": snapshot.get("cpu_count_physical"),
            "usage_pct": snapshot["cpu_percent"],
            "load_avg": [round(x, 2) for x in load] if load else None,
            "load_per_cpu": round(load[0] / logical, 2) if load else None,
            "per_core_pct": snapshot.get("per_core_pct"),
        },
        "memory": {
            "total_bytes": mem["total"],
            "available_bytes": mem["available"],
            "used_bytes": mem["total"] - mem["available"],
            "percent": mem["percent"],
        },
        "swap": {"total_bytes": swap["total"], "used_bytes": swap["used"],
                 "percent": swap["percent"]},
        "python": snapshot["python"],
        "timezone": {"name": snapshot.get("timezone"),
                     "utc_offset": f"{sign}{hours:02d}:{minutes:02d}"},
        "user": snapshot.get("user"),
        "is_admin": snapshot["is_admin"],
    }


def snapshot(sample_s: float) -> dict[str, Any]:
    import getpass
    import platform
    import socket
    import sys
    import time

    import psutil

    from toolkit import _platform

    try:
        load: tuple[float, ...] | None = psutil.getloadavg()
    except (AttributeError, OSError):
        load = None
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (containers)
        user = None
    now = time.time()
    return {
        "now": now,
        "boot_time": psutil.boot_time(),
        "hostname": socket.gethostname(),
        "system": platform.system(),
        "release": platform.release(),
        "version": platform.version(),
        "machine": platform.machine(),
        "os_release": _platform.os_release(),
        "device": _platform.device_identity(),
        "cpu_model": _platform.cpu_model(),
        "cpu_count_logical": psutil.cpu_count(logical=True),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        **_cpu_percent(psutil, sample_s),
        "load_avg": list(load) if load else None,
        "virtual_memory": psutil.virtual_memory()._asdict(),
        "swap_memory": psutil.swap_memory()._asdict(),
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "timezone": _platform.timezone_name(),
        "utc_offset_s": int((datetime.now(timezone.utc).astimezone().utcoffset()
                             or timedelta(0)).total_seconds()),
        "user": user,
        "is_admin": _platform.is_admin(),
    }


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil and the OS: OS release, device identity (DMI), CPU, memory, "
                       "swap, load, time zone; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    import json

    raw = snapshot(params["sample_s"])
    ctx.save("snapshot.json", json.dumps(raw, indent=2))
    return parse(raw)


COLLECTOR = Collector(
    name="system.info",
    output=OUTPUT,
    summary="Device, OS, kernel, host, uptime, CPU, memory, swap, Python and time zone",
    gather=gather,
    params=(Param("sample_s", "float", 0.3, "seconds over which CPU usage is sampled", min=0),),
    plan=plan,
    doc=__doc__ or "",
)
