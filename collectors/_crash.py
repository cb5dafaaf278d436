"""Pure parsers for crash evidence (crash.dumps): kernel log lines, coredumpctl,
Windows System-log events, and crash files by name. No I/O here."""

from __future__ import annotations

import json
import re
import signal
from datetime import datetime, timezone
from typing import Any

# Kernel log messages that mean the machine (not one program) crashed, hung or
# saw a hardware error. Group "what" is kept as the event's short description.
# Formats: Linux kernel/panic.c ("Kernel panic - not syncing"), arch/x86 traps
# and mm fault handlers (Oops, BUG:, general protection fault), kernel/hung_task.c,
# kernel/watchdog.c (soft/hard lockup), arch/x86/kernel/cpu/mce ("[Hardware Error]"),
# mm/oom_kill.c, arch/x86/mm/fault.c ("segfault at"), therm_throt.c.
KERNEL_PATTERNS: tuple[tuple[str, str], ...] = (
    ("kernel-panic", r"Kernel panic - not syncing: ?(?P<what>.*)"),
    ("oops", r"(?P<what>kernel BUG at \S+|BUG: unable to handle [^\n]*|BUG: kernel NULL "
             r"pointer dereference[^\n]*|general protection fault[^\n]*|Unable to handle "
             r"kernel [^\n]*|Oops(?:: [0-9a-fx]+)? \[#\d+\][^\n]*)"),
    ("lockup", r"(?P<what>(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck[^\n]*|Watchdog "
               r"detected hard LOCKUP[^\n]*|rcu_\w+ (?:self-)?detected stall[^\n]*)"),
    ("hung-task", r"INFO: task (?P<what>\S+ blocked for more than \d+ seconds)"),
    ("mce", r"(?P<what>\[Hardware Error\]:[^\n]*|Machine check events logged|mce: CPU ?\d+: "
            r"Machine Check[^\n]*|EDAC \S+: \d+ (?:CE|UE) [^\n]*)"),
    ("thermal", r"(?P<what>(?:CPU\d+|Package): (?:Core|Package) temperature above "
                r"threshold, cpu clock throttled[^\n]*)"),
    ("oom-kill", r"(?P<what>Out of memory: Kill(?:ed)? process \d+ \([^)]*\))"),
    ("segfault", r"(?P<what>\S+\[\d+\]: segfault at [0-9a-f]+)"),
)
_KERNEL_RES = [(kind, re.compile(p)) for kind, p in KERNEL_PATTERNS]
# Line prefixes carrying a time: journalctl -o short-iso, dmesg -T, syslog, dmesg.
_ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)?)\s")
_DMESG_T = re.compile(r"^\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s")
_DMESG = re.compile(r"^\[\s*(\d+\.\d+)\]")

# Windows stop codes (bug checks) that most often point at a part, from
# Microsoft's "Bug check code reference"; others are usually a driver or software.
BUGCHECKS: dict[int, tuple[str, str]] = {
    0x0A: ("IRQL_NOT_LESS_OR_EQUAL", "driver"),
    0x19: ("BAD_POOL_HEADER", "driver or memory"),
    0x1A: ("MEMORY_MANAGEMENT", "memory"),
    0x1E: ("KMODE_EXCEPTION_NOT_HANDLED", "driver"),
    0x3B: ("SYSTEM_SERVICE_EXCEPTION", "driver"),
    0x50: ("PAGE_FAULT_IN_NONPAGED_AREA", "memory or driver"),
    0x77: ("KERNEL_STACK_INPAGE_ERROR", "disk"),
    0x7A: ("KERNEL_DATA_INPAGE_ERROR", "disk"),
    0x7B: ("INACCESSIBLE_BOOT_DEVICE", "disk or storage driver"),
    0x7E: ("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", "driver"),
    0x9C: ("MACHINE_CHECK_EXCEPTION", "hardware"),
    0x9F: ("DRIVER_POWER_STATE_FAILURE", "driver"),
    0xC2: ("BAD_POOL_CALLER", "driver"),
    0xD1: ("DRIVER_IRQL_NOT_LESS_OR_EQUAL", "driver"),
    0xEF: ("CRITICAL_PROCESS_DIED", "software or disk"),
    0xF4: ("CRITICAL_OBJECT_TERMINATION", "disk"),
    0x101: ("CLOCK_WATCHDOG_TIMEOUT", "cpu"),
    0x116: ("VIDEO_TDR_FAILURE", "graphics"),
    0x124: ("WHEA_UNCORRECTABLE_ERROR", "hardware"),
    0x133: ("DPC_WATCHDOG_VIOLATION", "driver or storage"),
    0x139: ("KERNEL_SECURITY_CHECK_FAILURE", "driver or memory"),
    0x154: ("UNEXPECTED_STORE_EXCEPTION", "disk"),
}
# Suspects that mean "test or replace a part", not "update a driver".
HARDWARE_SUSPECTS = ("hardware", "memory", "disk", "cpu")


def _line_time(line: str) -> str | None:
    for pattern in (_ISO, _DMESG_T, _SYSLOG):
        m = pattern.match(line)
        if m:
            return m.group(1)
    m = _DMESG.match(line)
    return f"{m.group(1)}s after boot" if m else None


def kernel_events(text: str) -> list[dict[str, Any]]:
    """Crash, hang and hardware-error lines in a kernel log (journalctl -k, dmesg, syslog)."""
    events = []
    for line in text.splitlines():
        if "Hardware Error" not in line and not any(
                key in line for key in ("panic", "BUG", "Oops", "fault", "LOCKUP", "stall",
                                        "blocked for", "Machine Check", "Machine check",
                                        "EDAC", "temperature above", "Out of memory",
                                        "segfault", "Unable to handle")):
            continue  # cheap pre-filter: kernel logs run to hundreds of thousands of lines
        for kind, pattern in _KERNEL_RES:
            m = pattern.search(line)
            if m:
                events.append({"kind": kind, "time": _line_time(line),
                               "what": m.group("what").strip()[:200],
                               "line": line.strip()[:300]})
                break
    return events


def _signal_name(sig: Any) -> str | None:
    if isinstance(sig, int) or (isinstance(sig, str) and sig.isdigit()):
        try:
            return signal.Signals(int(sig)).name
        except ValueError:
            return str(sig)
    return str(sig) if sig else None


_CORE_ROW = re.compile(
    r"^\s*(?P<time>[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)?)\s+(?P<pid>\d+)\s+"
    r"(?P<uid>\d+)\s+(?P<gid>\d+)\s+(?P<sig>\S+)\s+(?P<corefile>\S+)\s+(?P<exe>\S+)"
    r"(?:\s+(?P<size>\S+))?\s*$")


def parse_coredumpctl(data: bytes | str) -> list[dict[str, Any]]:
    """Core dumps from ``coredumpctl list --json=short`` (systemd ≥ 248) or its table."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    stripped = text.strip()
    if not stripped or stripped.startswith("No coredumps found"):
        return []
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"coredumpctl JSON is cut or damaged: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("coredumpctl JSON is not a list of core dumps")
        out = []
        for r in rows:
            usec = r.get("time")
            when = (datetime.fromtimestamp(usec / 1e6, timezone.utc).isoformat(timespec="seconds")
                    if isinstance(usec, (int, float)) else usec)
            out.append({"kind": "core-dump", "time": when, "pid": r.get("pid"),
                        "exe": r.get("exe"), "signal": _signal_name(r.get("sig")),
                        "corefile": r.get("corefile"), "size_bytes": r.get("size")})
        return out
    lines = stripped.splitlines()
    if not (lines[0].split()[:2] == ["TIME", "PID"] and "EXE" in lines[0]):
        raise ValueError("not coredumpctl output: no JSON list and no 'TIME PID … EXE' header")
    out = []
    for line in lines[1:]:
        m = _CORE_ROW.match(line)
        if m:
            out.append({"kind": "core-dump", "time": m["time"], "pid": int(m["pid"]),
                        "exe": m["exe"], "signal": m["sig"], "corefile": m["corefile"],
                        "size_bytes": None})
    return out


def bugcheck(code: int) -> dict[str, Any]:
    name, suspect = BUGCHECKS.get(code, (None, "driver or software"))
    return {"code": f"0x{code:08X}", "name": name, "suspect": suspect}


_EVENT_FIELD = re.compile(r"^\s+(Log Name|Source|Date|Event ID|Level|Computer):\s*(.*)$")
_BUGCHECK_CODE = re.compile(r"bug ?check[^0-9]*(0x[0-9A-Fa-f]+)", re.IGNORECASE)


def parse_windows_events(text: str) -> list[dict[str, Any]]:
    """Crash events from ``wevtutil qe System /f:text``: BugCheck 1001, Kernel-Power 41, 6008."""
    if "Event[" not in text or "Event ID:" not in text:
        raise ValueError("not 'wevtutil qe … /f:text' output: no 'Event[n]:' records")
    events = []
    for block in re.split(r"^Event\[\d+\]:\s*$", text, flags=re.MULTILINE)[1:]:
        fields: dict[str, str] = {}
        lines = block.splitlines()
        for i, line in enumerate(lines):
            m = _EVENT_FIELD.match(line)
            if m:
                fields[m.group(1)] = m.group(2).strip()
            if line.strip().startswith("Description:"):
                fields["Description"] = " ".join(
                    [line.split(":", 1)[1].strip(), *[x.strip() for x in lines[i + 1:]]]).strip()
                break
        source, event_id = fields.get("Source", ""), fields.get("Event ID", "")
        desc = fields.get("Description", "")
        if event_id == "1001" and ("BugCheck" in source or "SystemErrorReporting" in source):
            m = _BUGCHECK_CODE.search(desc)
            info = bugcheck(int(m.group(1), 16)) if m else {"code": None, "name": None,
                                                            "suspect": "unknown"}
            dump = re.search(r"dump was saved in: (.+?\.DMP)", desc, re.IGNORECASE)
            what = f"stop code {info['code']}" + (f" {info['name']}" if info["name"] else "")
            if dump:
                what += f", dump saved in {dump.group(1)}"
            events.append({"kind": "bugcheck", "time": fields.get("Date"), **info,
                           "dump": dump.group(1) if dump else None, "what": what})
        elif event_id == "41" and "Kernel-Power" in source:
            events.append({"kind": "unexpected-shutdown", "time": fields.get("Date"),
                           "what": "rebooted without a clean shutdown (Kernel-Power 41): a "
                                   "hang, a crash or lost power"})
        elif event_id == "6008":
            events.append({"kind": "unexpected-shutdown", "time": fields.get("Date"),
                           "what": desc[:200] or "the previous shutdown was unexpected"})
    return events


def classify_file(name: str) -> str | None:
    """What a file in a crash folder is, from its name; None for unrelated files."""
    low = name.lower()
    if low == "memory.dmp":
        return "memory-dump"          # Windows full/kernel dump of the last blue screen
    if low.endswith(".dmp"):
        return "minidump"             # Windows small dump, one per blue screen
    if low.startswith(("vmcore", "dump.")) and not low.endswith((".txt", ".log")):
        return "kernel-dump"          # kdump (Red Hat vmcore, Debian kdump-tools dump.*)
    if low.startswith(("vmcore-dmesg", "dmesg.", "dmesg-")):
        return "kernel-panic-log"     # kdump's saved kernel log, or a pstore record
    if "panic" in low and low.endswith((".panic", ".ips")):
        return "kernel-panic"         # macOS Kernel-*.panic / panic-full-*.ips
    if low.endswith(".panic"):
        return "kernel-panic"
    if low.endswith((".crash", ".ips")):
        return "app-crash"            # Ubuntu apport, macOS crash reports
    if low.endswith((".hang", ".spin", ".shutdownstall")):
        return "hang"                 # macOS hang and stalled-shutdown reports
    return None


# Every event carries every key (null where it does not apply), so playbook
# templates can read e.exe or e.suspect without knowing the event's kind.
EVENT_KEYS = ("kind", "time", "what", "line", "pid", "exe", "signal", "corefile", "size_bytes",
              "code", "name", "suspect", "dump")


def summarise(events: list[dict[str, Any]], files: list[dict[str, Any]],
              checked: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The result: every event and file, counts by kind, and hardware signs first."""
    events = [{**dict.fromkeys(EVENT_KEYS), **e} for e in events]
    for e in events:
        if e["what"] is None and e["kind"] == "core-dump":
            e["what"] = f"{e['exe'] or 'a program'} dumped core ({e['signal'] or 'signal ?'})"
    counts: dict[str, int] = {}
    for item in [*events, *files]:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    hardware = [e for e in events if e["kind"] in ("mce", "thermal")
                or (e["kind"] == "bugcheck" and e.get("suspect") in HARDWARE_SUSPECTS)]
    system_crashes = sum(counts.get(k, 0) for k in (
        "kernel-panic", "oops", "lockup", "bugcheck", "kernel-dump", "kernel-panic-log",
        "memory-dump", "minidump"))
    parts = [f"{n} {kind}" for kind, n in sorted(counts.items())]
    return {**meta, "events": events, "files": files, "counts": counts,
            "system_crashes": system_crashes, "hardware_signs": hardware,
            "checked": checked,
            "summary": ", ".join(parts) if parts else "no crash evidence found"}
