"""hardware.sensors — temperatures, fans and battery, with the limits the hardware reports.

Live, from psutil: ``sensors_temperatures`` and ``sensors_fans`` (Linux and
FreeBSD, read from the kernel's hwmon drivers) and ``sensors_battery``
(Linux, Windows, macOS). What the OS or psutil does not offer — virtual
machines have no sensors, Windows and macOS give psutil no temperatures — is
an empty list with a note, never a failure. With ``source=FILE``, a
``snapshot.json`` this collector kept in an earlier bundle is analysed again.

Output::

    {
      "source": "live" | "<path of the saved snapshot>",
      "temperatures": [
        {"chip": "coretemp", "label": "Package id 0", "current_c": 97.0,
         "high_c": 100.0 | null, "critical_c": 100.0 | null,
         "status": "ok" | "high" | "critical"}
      ],
      "fans": [{"chip": "thinkpad", "label": "fan1", "rpm": 0}],
      "battery": {"percent": 41.0 | null, "plugged": false | null,
                  "secs_left": 5400 | null} | null,
      "hottest": {"chip": "coretemp", "label": "Package id 0", "current_c": 97.0} | null,
      "hot": [TEMPERATURE, …],            # status high or critical
      "stopped_fans": [FAN, …],           # 0 rpm (a dead fan, or idle fan control)
      "notes": ["no temperature sensors: …"]
    }

``status``: ``critical`` at or above the critical limit the chip reports,
``high`` at or above its high limit; chips that report no limit are judged
against none (no invented thresholds). A CPU at its high limit throttles its
clock: the machine gets slow before it gets hot enough to switch off.
"""

from __future__ import annotations

import json
from typing import Any

from toolkit.collector import Collector, Context, Param
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, NUM, STR, arr, enum, nullable, obj
from toolkit.sources import SavedOutput, Source

_TEMPERATURE = obj(chip=STR, label=STR, current_c=NUM, high_c=nullable(NUM),
                   critical_c=nullable(NUM), status=enum("ok", "high", "critical"))
_FAN = obj(chip=STR, label=STR, rpm=INT)
OUTPUT = obj(
    source=STR, temperatures=arr(_TEMPERATURE), fans=arr(_FAN),
    battery=nullable(obj(percent=nullable(NUM), plugged=nullable(BOOL),
                         secs_left=nullable(INT))),
    hottest=nullable(obj(chip=STR, label=STR, current_c=NUM)),
    hot=arr(_TEMPERATURE), stopped_fans=arr(_FAN), notes=arr(STR),
)

_NO_TEMPS = ("no temperature sensors visible: virtual machines have none, and psutil reads "
             "temperatures only on Linux and FreeBSD — use the vendor's tool elsewhere")
_NO_TEMPS_OS = ("psutil reads no temperatures on this OS (only on Linux and FreeBSD): "
                "use the hardware vendor's tool")
_NO_FANS = "no fan sensors visible (virtual machine, or the OS does not expose them)"
_NO_BATTERY = "no battery (desktop, server or virtual machine)"


def _limit(value: Any) -> float | None:
    # Drivers report 0 or absurd values for "no limit" (e.g. acpitz crit 0, or 127+).
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if 0 < v < 150 else None


def parse(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Pure: a psutil sensors snapshot (as ``snapshot`` records it) → the result.

    ``snapshot`` = ``{"temperatures": {chip: [[label, current, high, critical], …]}
    | null, "fans": {chip: [[label, rpm], …]} | null, "battery": [percent,
    secs_left, plugged] | null, "supported": {"temperatures": bool, …}}``.
    """
    if not isinstance(snapshot, dict) or "temperatures" not in snapshot:
        raise ValueError("not a hardware.sensors snapshot: no 'temperatures' key")
    supported = snapshot.get("supported") or {}
    temps = []
    for chip, rows in sorted((snapshot.get("temperatures") or {}).items()):
        for i, row in enumerate(rows):
            label, current, high, crit = (list(row) + [None] * 4)[:4]
            if current is None:
                continue
            high_c, crit_c = _limit(high), _limit(crit)
            status = ("critical" if crit_c is not None and current >= crit_c
                      else "high" if high_c is not None and current >= high_c else "ok")
            temps.append({"chip": chip, "label": label or f"{chip} {i + 1}",
                          "current_c": round(float(current), 1), "high_c": high_c,
                          "critical_c": crit_c, "status": status})
    fans = [{"chip": chip, "label": (row[0] if row else None) or f"fan{i + 1}",
             "rpm": int(row[1])}
            for chip, rows in sorted((snapshot.get("fans") or {}).items())
            for i, row in enumerate(rows) if len(row) > 1 and row[1] is not None]
    battery = None
    raw_bat = snapshot.get("battery")
    if raw_bat:
        percent, secs, plugged = (list(raw_bat) + [None] * 3)[:3]
        # psutil uses negative sentinels for "unlimited" (on AC) and "unknown".
        battery = {"percent": round(float(percent), 1) if percent is not None else None,
                   "plugged": plugged,
                   "secs_left": int(secs) if isinstance(secs, (int, float)) and secs >= 0
                   else None}
    notes = []
    if not temps:
        notes.append(_NO_TEMPS if supported.get("temperatures", True) else _NO_TEMPS_OS)
    if not fans:
        notes.append(_NO_FANS)
    if battery is None:
        notes.append(_NO_BATTERY)
    hottest = max(temps, key=lambda t: t["current_c"], default=None)
    return {
        "temperatures": temps,
        "fans": fans,
        "battery": battery,
        "hottest": {k: hottest[k] for k in ("chip", "label", "current_c")} if hottest else None,
        "hot": [t for t in temps if t["status"] != "ok"],
        "stopped_fans": [f for f in fans if f["rpm"] == 0],
        "notes": notes,
    }


def snapshot() -> dict[str, Any]:
    """What psutil reports now (the only part that touches the machine)."""
    import psutil

    out: dict[str, Any] = {"temperatures": None, "fans": None, "battery": None,
                           "supported": {}}
    for key, func in (("temperatures", "sensors_temperatures"), ("fans", "sensors_fans"),
                      ("battery", "sensors_battery")):
        reader = getattr(psutil, func, None)
        out["supported"][key] = reader is not None
        if reader is None:
            continue
        try:
            value = reader()
        except (OSError, RuntimeError, ValueError):  # unreadable hwmon files, broken ACPI
            continue
        if key == "battery":
            out[key] = [value.percent, value.secsleft, value.power_plugged] if value else None
        else:
            out[key] = {chip: [list(entry) for entry in entries]
                        for chip, entries in (value or {}).items()}
    return out


def from_snapshot(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a ``snapshot.json`` an earlier run kept → the result."""
    return {"source": saved.path, **parse(json.loads(saved.data))}


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil: temperatures and fans (the kernel's hwmon drivers) and the "
                       "battery; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raw = snapshot()
    ctx.save("snapshot.json", json.dumps(raw, indent=1, default=str))
    return {"source": "live", **parse(raw)}


COLLECTOR = Collector(
    name="hardware.sensors",
    output=OUTPUT,
    summary="Temperatures (with the chip's high/critical limits), fans and battery",
    gather=gather,
    params=(Param("source", "str", None, "analyse a snapshot.json saved by an earlier run"),),
    sources=(Source("snapshot", from_snapshot, "a snapshot.json this collector kept in an "
                    "earlier bundle", save_as="snapshot.json"),),
    plan=plan,
    doc=__doc__ or "",
)
