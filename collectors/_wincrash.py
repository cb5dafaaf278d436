"""Pure parsers: blue screens and unexpected shutdowns in Windows event exports.

Two layouts of the same events (crash.dumps reads both, recognised from the content):

- ``wevtutil qe System /f:text``: "Event[n]:" blocks of "Source:", "Date:",
  "Event ID:" lines and a "Description:" (the rendered message);
- ``wevtutil qe System /f:xml`` / ``/f:RenderedXml`` or ``Get-WinEvent | ToXml()``:
  ``<Event>`` elements (Microsoft's event schema), parsed by ``logs.eventlog``.

The events, from Microsoft's documentation: **BugCheck 1001** (provider
Microsoft-Windows-WER-SystemErrorReporting, event source BugCheck; ``param1`` =
"0x0000009f (0x…, 0x…, 0x…, 0x…)", the stop code and its four parameters,
``param2`` the dump file, ``param3`` the report id); **Kernel-Power 41**
("rebooted without cleanly shutting down first"; ``BugcheckCode`` in decimal,
non-zero when a blue screen caused it, and ``BugcheckParameter1..4``);
**EventLog 6008** ("the previous system shutdown at … was unexpected"); and
Windows Error Reporting **1001 BlueScreen** in the Application log, whose fault
bucket names the driver WinDbg blamed ("0x9F_3_POWER_DOWN_IMAGE_usbhub3.sys").

One blue screen leaves several of these (1001, then 41 with the same stop code
and often 6008 at the next start): they are counted as one crash, the
shutdown records folded into it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

# Windows stop codes (bug checks) and what they most often point at, from
# Microsoft's "Bug check code reference" (learn.microsoft.com/windows-hardware/
# drivers/debugger/bug-check-code-reference2). 0x1000_00XX is the same check
# as 0xXX, raised with a different calling convention ("_M").
BUGCHECKS: dict[int, tuple[str, str]] = {
    0x0A: ("IRQL_NOT_LESS_OR_EQUAL", "driver"),
    0x19: ("BAD_POOL_HEADER", "driver or memory"),
    0x1A: ("MEMORY_MANAGEMENT", "memory"),
    0x1E: ("KMODE_EXCEPTION_NOT_HANDLED", "driver"),
    0x24: ("NTFS_FILE_SYSTEM", "disk"),
    0x3B: ("SYSTEM_SERVICE_EXCEPTION", "driver"),
    0x50: ("PAGE_FAULT_IN_NONPAGED_AREA", "memory or driver"),
    0x77: ("KERNEL_STACK_INPAGE_ERROR", "disk"),
    0x7A: ("KERNEL_DATA_INPAGE_ERROR", "disk"),
    0x7B: ("INACCESSIBLE_BOOT_DEVICE", "disk or storage driver"),
    0x7E: ("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", "driver"),
    0x7F: ("UNEXPECTED_KERNEL_MODE_TRAP", "hardware or driver"),
    0x8E: ("KERNEL_MODE_EXCEPTION_NOT_HANDLED", "driver or memory"),
    0x9C: ("MACHINE_CHECK_EXCEPTION", "hardware"),
    0x9F: ("DRIVER_POWER_STATE_FAILURE", "driver"),
    0xA0: ("INTERNAL_POWER_ERROR", "driver or firmware"),
    0xC2: ("BAD_POOL_CALLER", "driver"),
    0xD1: ("DRIVER_IRQL_NOT_LESS_OR_EQUAL", "driver"),
    0xEF: ("CRITICAL_PROCESS_DIED", "software or disk"),
    0xF4: ("CRITICAL_OBJECT_TERMINATION", "disk"),
    0xFC: ("ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY", "driver"),
    0x101: ("CLOCK_WATCHDOG_TIMEOUT", "cpu"),
    0x109: ("CRITICAL_STRUCTURE_CORRUPTION", "driver or memory"),
    0x10D: ("WDF_VIOLATION", "driver"),
    0x116: ("VIDEO_TDR_FAILURE", "graphics driver"),
    0x119: ("VIDEO_SCHEDULER_INTERNAL_ERROR", "graphics driver"),
    0x124: ("WHEA_UNCORRECTABLE_ERROR", "hardware"),
    0x133: ("DPC_WATCHDOG_VIOLATION", "driver or storage"),
    0x139: ("KERNEL_SECURITY_CHECK_FAILURE", "driver or memory"),
    0x154: ("UNEXPECTED_STORE_EXCEPTION", "disk"),
    0xC000021A: ("STATUS_SYSTEM_PROCESS_TERMINATED", "software or driver"),
}
# Suspects that mean "test or replace a part", not "update a driver".
HARDWARE_SUSPECTS = ("hardware", "memory", "disk", "cpu")
SAME_CRASH_S = 30 * 60  # 1001, 41 and 6008 of one blue screen are minutes apart
_DRIVER = re.compile(r"(?<![\w.])([A-Za-z][\w-]{1,40}\.sys)\b", re.IGNORECASE)
_BUCKET_MODULE = re.compile(r"\b(?:AV|0x[0-9A-F]+)_(?:[A-Z0-9]+_)*?([A-Za-z][\w-]+)!")
_BUGCHECK_CODE = re.compile(r"bug ?check[^0-9]*(0x[0-9A-Fa-f]+)(?:\s*\(([^)]*)\))?",
                            re.IGNORECASE)


def bugcheck(code: int) -> dict[str, Any]:
    """A stop code → {code, name, suspect}; ``_M`` variants share their base's entry."""
    base = code & ~0x10000000 if code & 0xF0000000 == 0x10000000 else code
    name, suspect = BUGCHECKS.get(base, (None, "driver or software"))
    if name and base != code:
        name += "_M"
    return {"code": f"0x{code:08X}", "name": name, "suspect": suspect}


def _ts(when: str | None) -> float | None:
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?", when or "")
    if not m:
        return None
    zone = m.group(2) or "Z"
    return datetime.fromisoformat(m.group(1) + ("+00:00" if zone == "Z" else zone)).timestamp()


def _driver_in(*texts: str | None) -> str | None:
    for text in texts:
        m = _DRIVER.search(text or "")
        if m and m.group(1).lower() not in ("ntoskrnl.sys",):
            return m.group(1)
    for text in texts:
        m = _BUCKET_MODULE.search(text or "")
        if m and m.group(1).lower() not in ("nt", "ntkrnlmp", "ntoskrnl", "unknown"):
            return m.group(1) + ".sys"
    return None


def raw_from_text(text: str) -> list[dict[str, Any]]:
    """``wevtutil qe … /f:text`` → raw records {source, event_id, time, message, data}."""
    if "Event[" not in text or "Event ID:" not in text:
        raise ValueError("not 'wevtutil qe … /f:text' output: no 'Event[n]:' records")
    field = re.compile(r"^\s+(Log Name|Source|Date|Event ID|Level|Computer):\s*(.*)$")
    out = []
    for block in re.split(r"^Event\[\d+\]:\s*$", text, flags=re.MULTILINE)[1:]:
        fields: dict[str, str] = {}
        lines = block.splitlines()
        for i, line in enumerate(lines):
            m = field.match(line)
            if m:
                fields[m.group(1)] = m.group(2).strip()
            if line.strip().startswith("Description:"):
                fields["Description"] = " ".join(
                    [line.split(":", 1)[1].strip(), *[x.strip() for x in lines[i + 1:]]]).strip()
                break
        try:
            event_id = int(fields.get("Event ID", "0"))
        except ValueError:
            event_id = 0
        out.append({"source": fields.get("Source", ""), "event_id": event_id,
                    "time": fields.get("Date"), "message": fields.get("Description", ""),
                    "data": {}, "values": []})
    return out


def raw_from_xml(data: bytes) -> list[dict[str, Any]]:
    """An event XML export → the same raw records (parsed by logs.eventlog)."""
    from collectors.logs_eventlog import iter_events
    from collectors.logs_eventlog import lp as _lp

    out = []
    for ev, _ in iter_events(data):
        out.append({"source": ev["source_name"] or ev["provider"], "provider": ev["provider"],
                    "event_id": ev["event_id"], "time": _lp.iso(ev["time"]),
                    "message": ev["message"], "data": ev["data"], "values": ev["values"]})
    return out


def _stop(record: dict[str, Any]) -> tuple[int | None, list[str]]:
    """The stop code and its parameters of a BugCheck 1001 (data or message)."""
    data = record["data"]
    first = data.get("param1") or (record["values"][0] if record["values"] else "")
    for text in (first, record["message"]):
        m = (re.match(r"\s*(0x[0-9A-Fa-f]+)\s*(?:\(([^)]*)\))?", text) if text is first
             else _BUGCHECK_CODE.search(text or ""))
        if m:
            params = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
            return int(m.group(1), 16), params
    return None, []


def _kind(record: dict[str, Any]) -> str | None:
    src, eid = record["source"], record["event_id"]
    provider = record.get("provider", src)
    if eid == 1001 and ("BugCheck" in src or "SystemErrorReporting" in provider):
        return "bugcheck"
    if eid == 41 and "Kernel-Power" in provider:
        return "kernel-power"
    if eid == 6008 and (src == "EventLog" or provider == "EventLog"):
        return "6008"
    if eid == 1001 and "Windows Error Reporting" in src and "BlueScreen" in (
            record["message"] + " ".join(record["values"])):
        return "wer-bluescreen"
    return None


def crash_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw records → crash.dumps events, one per blue screen or unexpected shutdown."""
    crashes: list[dict[str, Any]] = []
    shutdowns: list[dict[str, Any]] = []
    buckets: list[tuple[float | None, str]] = []
    for r in sorted(records, key=lambda r: _ts(r["time"]) or 0.0):
        kind = _kind(r)
        when = _ts(r["time"])
        if kind == "bugcheck" or (kind == "kernel-power" and _nonzero(
                r["data"].get("BugcheckCode"))):
            if kind == "bugcheck":
                code, params = _stop(r)
                dump = r["data"].get("param2") or _dump_in(r["message"])
            else:
                code = int(r["data"]["BugcheckCode"])
                params = [r["data"].get(f"BugcheckParameter{i}", "") for i in range(1, 5)]
                dump = None
            twin = next((c for c in crashes if c["code_int"] == code and _near(c, when)), None)
            if twin is not None:  # 41 carrying the stop code of a 1001 already read
                twin["dump"] = twin["dump"] or dump
                continue
            info = bugcheck(code) if code is not None else {"code": None, "name": None,
                                                            "suspect": "unknown"}
            crashes.append({"kind": "bugcheck", "time": r["time"], "ts": when, **info,
                            "code_int": code, "params": [p for p in params if p],
                            "dump": dump or None,
                            "module": _driver_in(r["message"], " ".join(r["values"])),
                            "via": f"{r['source'] or 'Kernel-Power'} {r['event_id']}"})
        elif kind in ("kernel-power", "6008"):
            shutdowns.append({"kind": "unexpected-shutdown", "time": r["time"], "ts": when,
                              "message": r["message"] if kind == "6008" else "",
                              "ids": {r["event_id"]}})
        elif kind == "wer-bluescreen":
            module = _driver_in(r["message"], " ".join(r["values"]))
            if module:
                buckets.append((when, module))
    for when, module in buckets:  # WER names the driver its analysis blamed
        near = [c for c in crashes if _near(c, when, 24 * 3600) and not c["module"]]
        if near:
            near[-1]["module"] = module
    out = []
    for c in crashes:
        what = f"stop code {c['code']}" + (f" {c['name']}" if c["name"] else "")
        if c["params"]:
            what += f" ({', '.join(c['params'][:4])})"
        what += (f"; likely driver {c['module']}" if c["module"]
                 else f"; usual cause: {c['suspect']}")
        if c["dump"]:
            what += f"; dump saved in {c['dump']}"
        out.append({k: v for k, v in c.items() if k not in ("ts", "code_int", "params", "via")}
                   | {"what": what})
    for s in _one_per_start(shutdowns):
        if any(_near(c, s["ts"]) for c in crashes):
            continue  # the reboot after a blue screen: already counted as that crash
        m = re.search(r"shutdown at (.+?) was unexpected", s["message"] or "")
        if 41 in s["ids"]:
            what = ("the machine restarted without a clean shutdown and with no stop code "
                    "(Kernel-Power 41): a hard freeze, the power button held or power lost")
        else:
            what = "the previous shutdown was unexpected (EventLog 6008)"
        if m:
            what += f"; it went down at {m.group(1)}"
        out.append({"kind": "unexpected-shutdown", "time": s["time"], "what": what})
    return sorted(out, key=lambda e: _ts(e["time"]) or 0.0, reverse=True)


def _one_per_start(shutdowns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kernel-Power 41 and EventLog 6008 written at the same start are one shutdown."""
    kept: list[dict[str, Any]] = []
    for s in shutdowns:
        twin = next((k for k in kept if _near(k, s["ts"])), None)
        if twin is None:
            kept.append(dict(s))
        else:
            twin["ids"] |= s["ids"]
            twin["message"] = twin["message"] or s["message"]
    return kept


def _near(item: dict[str, Any], when: float | None, window: float = SAME_CRASH_S) -> bool:
    return item.get("ts") is not None and when is not None and abs(item["ts"] - when) <= window


def _nonzero(value: str | None) -> bool:
    try:
        return bool(value) and int(str(value), 0) != 0
    except ValueError:
        return False


def _dump_in(message: str) -> str | None:
    m = re.search(r"dump was saved in: (.+?\.DMP)", message or "", re.IGNORECASE)
    return m.group(1) if m else None


def parse_windows_events(text: str) -> list[dict[str, Any]]:
    """Crash events from ``wevtutil qe System /f:text``: BugCheck 1001, Kernel-Power 41, 6008."""
    return crash_events(raw_from_text(text))


def parse_windows_xml(data: bytes) -> list[dict[str, Any]]:
    """Crash events from an event XML export (``wevtutil qe System /f:xml``)."""
    records = raw_from_xml(data)
    if not records:
        raise ValueError("no <Event> records in this XML")
    return crash_events(records)
