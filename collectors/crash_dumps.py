"""crash.dumps — recent crash evidence: did the machine (or a program) crash, and why?

Live, over the last ``days`` days, from the places the OS keeps it (the list
and the commands come from ``toolkit/_platform``):

- **Linux**: crash files in ``/var/crash`` (kdump ``vmcore``/``dump.*``,
  Ubuntu apport ``*.crash``) and pstore panic records (``/sys/fs/pstore``,
  ``/var/lib/systemd/pstore``); core dumps from ``coredumpctl list
  --json=short`` (systemd-coredump; its table where JSON is not supported);
  kernel panics, oopses, lockups, hung tasks, machine-check (MCE/EDAC)
  errors, thermal throttling, OOM kills and segfaults in the kernel log
  (``journalctl -k --since`` — earlier boots too when the journal is
  persistent — else ``dmesg``, which holds only the current boot).
- **Windows**: ``%SystemRoot%\\Minidump\\*.dmp``, ``%SystemRoot%\\MEMORY.DMP``,
  LiveKernelReports, and the System log's BugCheck (1001), Kernel-Power 41
  and EventLog 6008 events (``wevtutil``), each stop code named with its
  usual suspect (driver, memory, disk, hardware).
- **macOS**: ``/Library/Logs/DiagnosticReports`` and the user's own
  (``*.panic``, ``panic-full-*.ips``, ``*.crash``, ``*.ips``, ``*.hang``).

With ``source=FILE``: a saved kernel log (``journalctl -k``, ``dmesg``,
syslog), ``coredumpctl list`` output (JSON or table) or a ``wevtutil qe
System`` export — ``/f:text``, or ``/f:xml``/``/f:RenderedXml``/``Get-WinEvent |
ToXml()`` read by logs.eventlog's XML parser; the format is recognised from the
content and ``days`` does not filter it.

One crash is one event: an Oops is counted once however many of its lines
match, with the module it faulted in (``module``) and the process (``exe``);
a blue screen's BugCheck 1001, Kernel-Power 41 and EventLog 6008 records
are one ``bugcheck`` with its stop code, name, usual suspect and the driver
Windows Error Reporting blamed (``module``) where the export has it. OOM kills
name their victim (``exe``, ``pid``), segfaults their program and library.

Output::

    {
      "source": "live" | "<path>", "window_days": 7, "since": "2026-11-18T09:00:00+00:00",
      "events": [
        {"kind": "kernel-panic" | "oops" | "lockup" | "hung-task" | "mce" | "thermal"
                 | "oom-kill" | "segfault" | "core-dump" | "bugcheck" | "unexpected-shutdown",
         "time": "2026-11-20T08:12:03+0100" | null, "what": "…", "line": "…" | null,
         # every event has every key; null where it does not apply:
         "pid": 4242, "exe": "/usr/bin/gedit", "signal": "SIGSEGV", "corefile": "present",
         "size_bytes": 1843200,                                    # core-dump
         "code": "0x00000124", "name": "WHEA_UNCORRECTABLE_ERROR",
         "suspect": "hardware", "dump": "C:\\Windows\\MEMORY.DMP", # bugcheck
         "module": "acme_wifi" | "usbhub3.sys" | "libxul.so"   # oops, bugcheck, segfault
        }
      ],
      "files": [{"kind": "minidump" | "memory-dump" | "kernel-dump" | "kernel-panic-log"
                         | "kernel-panic" | "app-crash" | "hang",
                 "path": "/var/crash/_usr_bin_foo.1000.crash", "size_bytes": 123456,
                 "modified": "2026-11-20T08:12:03+00:00"}],
      "counts": {"oops": 1, "core-dump": 2},
      "system_crashes": 1,          # panics, oopses, lockups, blue screens, kernel dumps
      "hardware_signs": [EVENT, …], # MCE, thermal throttling, stop codes that point at parts
      "checked": [{"what": "coredumpctl", "status": "ok" | "none" | "not-installed"
                   | "unreadable" | "timed-out" | "no-access" | "missing", "detail": "…"}],
      "summary": "1 oops, 2 core-dump" | "no crash evidence found"
    }

``checked`` says where the collector looked and what it could not read, so
"no crash evidence" is never confused with "could not look".
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from collectors._crash import (
    KERNEL_PATTERNS,
    classify_file,
    kernel_events,
    parse_coredumpctl,
    parse_windows_events,
    summarise,
)
from collectors._wincrash import parse_windows_xml
from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, number
from toolkit.schema import INT, STR, arr, enum, nullable, obj, opt
from toolkit.sources import HEAD, SavedOutput, Source

_EVENT_KINDS = (*dict.fromkeys(kind for kind, _ in KERNEL_PATTERNS), "core-dump", "bugcheck",
                "unexpected-shutdown")
_FILE_KINDS = ("minidump", "memory-dump", "kernel-dump", "kernel-panic-log", "kernel-panic",
               "app-crash", "hang")
_EVENT = obj(kind=enum(*_EVENT_KINDS), time=nullable(STR), what=STR, line=nullable(STR),
             pid=nullable(INT), exe=nullable(STR), signal=nullable(STR),
             corefile=nullable(STR), size_bytes=nullable(INT), code=nullable(STR),
             name=nullable(STR), suspect=nullable(STR), dump=nullable(STR),
             module=nullable(STR))
OUTPUT = obj(
    source=STR, window_days=nullable(INT), since=nullable(STR),
    events=arr(_EVENT),
    files=arr(obj(kind=enum(*_FILE_KINDS), path=STR, size_bytes=INT, modified=STR)),
    counts=obj({kind: opt(INT) for kind in (*_EVENT_KINDS, *_FILE_KINDS)}),
    system_crashes=INT, hardware_signs=arr(_EVENT),
    checked=arr(obj(what=STR, status=enum("ok", "none", "not-installed", "unreadable",
                                          "timed-out", "no-access", "missing"), detail=STR)),
    summary=STR,
)

MAX_FILES = 200
PARSERS = {"coredumps": parse_coredumpctl, "kernel-log": kernel_events,
           "windows-events": parse_windows_events}


def is_windows_events(head: bytes) -> bool:
    """``wevtutil qe System /f:text``: "Event[0]:" blocks with "Event ID:" lines."""
    text = head.decode("utf-8", errors="replace")
    return "Event[" in text.lstrip()[:400] and "Event ID:" in text


def is_windows_xml(head: bytes) -> bool:
    """``wevtutil qe System /f:xml`` or ``Get-WinEvent | ToXml()`` (UTF-8 or UTF-16)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    return text.startswith(("<Event", "<?xml")) and "<Event" in text


def is_coredumps(head: bytes) -> bool:
    """``coredumpctl list``: its JSON, or its table (a TIME … COREFILE header)."""
    text = head.decode("utf-8", errors="replace").lstrip()[:400]
    return text.startswith(("[{", "[]")) or (
        text.startswith("TIME") and "COREFILE" in text.splitlines()[0])


def kernel_log(text: str) -> list[dict[str, Any]]:
    if not text.strip():
        raise ValueError("the file is empty")
    return kernel_events(text)


def parse_saved(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    """Pure: recognise a saved output and parse it; returns (format, events)."""
    if is_windows_xml(data[:HEAD]):
        return "windows-xml", parse_windows_xml(data)
    text = data.decode("utf-8", errors="replace")
    if is_windows_events(data[:HEAD]):
        return "windows-events", parse_windows_events(text)
    if is_coredumps(data[:HEAD]):
        return "coredumps", parse_coredumpctl(text)
    return "kernel-log", kernel_log(text)


def _saved(saved: SavedOutput, kind: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return summarise(events, [], [{"what": saved.path, "status": "ok" if events else "none",
                                   "detail": f"read as {kind}"}],
                     {"source": saved.path, "window_days": None, "since": None})


def from_windows_events(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "windows-events", parse_windows_events(saved.text))


def from_windows_xml(saved: SavedOutput) -> dict[str, Any]:
    try:
        events = parse_windows_xml(saved.data)
    except ValueError as exc:
        raise Failed(f"{saved.path}: {exc}") from None
    return _saved(saved, "windows-xml", events)


def from_coredumps(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "coredumps", parse_coredumpctl(saved.text))


def from_kernel_log(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "kernel-log", kernel_log(saved.text))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def scan_places(places: list[str], since_ts: float) -> tuple[list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    """Crash files modified since ``since_ts`` in these folders (two levels deep) or files."""
    files: list[dict[str, Any]] = []
    checked = []
    for place in places:
        path = Path(os.path.expandvars(os.path.expanduser(place)))
        if "%" in str(path) or "$" in str(path):
            continue  # an environment variable this machine does not have
        if not path.exists():
            checked.append({"what": str(path), "status": "missing", "detail": "does not exist"})
            continue
        found, denied = 0, 0
        candidates = [(path, 0)] if path.is_file() else []
        if path.is_dir():
            try:
                candidates = [(p, 1) for p in path.iterdir()]
            except PermissionError:
                checked.append({"what": str(path), "status": "no-access",
                                "detail": "permission denied: run as root / administrator"})
                continue
        while candidates:
            item, depth = candidates.pop()
            try:
                st = item.stat()
                if item.is_dir():
                    if depth < 2:  # kdump keeps each crash in its own dated folder
                        candidates += [(p, depth + 1) for p in item.iterdir()]
                    continue
            except PermissionError:
                denied += 1
                continue
            except OSError:
                continue
            kind = classify_file(item.name)
            if kind and st.st_mtime >= since_ts:
                found += 1
                files.append({"kind": kind, "path": str(item), "size_bytes": st.st_size,
                              "modified": _iso(st.st_mtime)})
        detail = f"{found} recent crash files"
        if denied:
            detail += f"; {denied} entries unreadable (permission denied)"
        checked.append({"what": str(path), "status": "ok" if found else "none",
                        "detail": detail})
    files.sort(key=lambda f: f["modified"], reverse=True)
    return files[:MAX_FILES], checked


def _run_source(ctx: Context, kind: str, alternatives: list[list[str]]
                ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Try each command for one kind of evidence until one answers usefully."""
    parse = PARSERS[kind]
    status = {"what": kind, "status": "not-installed",
              "detail": "none of: " + ", ".join(sorted({a[0] for a in alternatives}))}
    for argv in alternatives:
        got = ctx.run(argv, timeout=min(30.0, ctx.remaining() / 2), save_as=f"{kind}.txt",
                      env={"LC_ALL": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""})
        cmd = " ".join(argv[:2])
        if got.record.returncode in (126, 127):
            continue
        if got.record.timed_out:
            status = {"what": cmd, "status": "timed-out",
                      "detail": f"{got.record.error}; what it printed is kept as {kind}.txt"}
            break
        err = got.stderr.decode("utf-8", errors="replace").strip()
        if not got.stdout.strip():
            # coredumpctl exits 1 with "No coredumps found." — an answer, not an error.
            if "No coredumps found" in err or (got.ok and kind == "coredumps"):
                return [], {"what": cmd, "status": "none", "detail": "no core dumps recorded"}
            status = {"what": cmd, "status": "unreadable",
                      "detail": f"exit {got.record.returncode}, no output"
                                + (f": {err[:160]}" if err else "")}
            continue
        try:
            events = parse(got.text)
        except ValueError as exc:
            status = {"what": cmd, "status": "unreadable", "detail": f"{exc} (kept as {kind}.txt)"}
            continue
        return events, {"what": cmd, "status": "ok" if events else "none",
                        "detail": f"{len(events)} events"}
    return [], status


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    since = datetime.now(timezone.utc) - timedelta(days=number(params.get("days"), 7))
    commands = [argv for _, alternatives in _platform.crash_log_commands(since)
                for argv in alternatives]
    return Plan(commands=commands, files=list(_platform.CRASH_PLACES),
                notes=["for each kind of evidence (core dumps, the kernel log) the commands "
                       "are tried in turn until one answers",
                       "crash files modified in the window are listed, two folder levels deep"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    days = int(params["days"])
    if days < 1:
        raise Failed(f"days must be 1 or more, not {days}")
    since = datetime.now(timezone.utc) - timedelta(days=days)
    from toolkit import _platform

    files, checked = scan_places(list(_platform.CRASH_PLACES), since.timestamp())
    events: list[dict[str, Any]] = []
    for kind, alternatives in _platform.crash_log_commands(since):
        found, status = _run_source(ctx, kind, alternatives)
        events += found
        checked.append(status)
    return summarise(events, files, checked, {"source": "live", "window_days": days,
                                              "since": since.isoformat(timespec="seconds")})


COLLECTOR = Collector(
    name="crash.dumps",
    output=OUTPUT,
    summary="Recent crashes: kernel panics/oopses/MCE, core dumps, blue screens, crash reports",
    gather=gather,
    params=(
        Param("days", "int", 7, "how many days back to look", min=1),
        Param("source", "str", None, "analyse a saved kernel log, 'coredumpctl list' or "
                                     "'wevtutil qe System' output (/f:text or /f:xml) "
                                     "instead"),
    ),
    sources=(
        Source("windows-xml", from_windows_xml, "wevtutil qe System /f:xml (or /f:RenderedXml, "
               "Get-WinEvent | ToXml) export", detect=is_windows_xml),
        Source("windows-events", from_windows_events, "wevtutil qe System /f:text output",
               detect=is_windows_events),
        Source("coredumps", from_coredumps, "coredumpctl list output, JSON or table",
               detect=is_coredumps),
        Source("kernel-log", from_kernel_log, "a kernel log: journalctl -k, dmesg, syslog"),
    ),
    plan=plan,
    doc=__doc__ or "",
)
