"""Pure parsers for crash evidence (crash.dumps): kernel log lines, coredumpctl,
and crash files by name (Windows System-log events: ``_wincrash``). No I/O here."""

from __future__ import annotations

import json
import re
import signal
from datetime import datetime, timezone
from typing import Any

from collectors._wincrash import BUGCHECKS, HARDWARE_SUSPECTS, bugcheck, parse_windows_events

__all__ = ["BUGCHECKS", "HARDWARE_SUSPECTS", "KERNEL_PATTERNS", "bugcheck", "classify_file",
           "kernel_events", "parse_coredumpctl", "parse_windows_events", "summarise"]

# Kernel log messages that mean the machine (not one program) crashed, hung or
# saw a hardware error. Group "what" is kept as the event's short description.
# Formats: Linux kernel/panic.c ("Kernel panic - not syncing"), arch/x86 traps
# and mm fault handlers (Oops, BUG:, general protection fault), kernel/hung_task.c,
# kernel/watchdog.c (soft/hard lockup), arch/x86/kernel/cpu/mce ("[Hardware Error]"),
# mm/oom_kill.c, arch/x86/mm/fault.c ("segfault at"), therm_throt.c.
KERNEL_PATTERNS: tuple[tuple[str, str], ...] = (
    ("kernel-panic", r"Kernel panic - not syncing: ?(?P<what>.*)"),
    # A user-space fault the kernel reports (arch/x86/kernel/traps.c, "traps: prog[pid]
    # general protection fault …"): a program crashed, not the kernel.
    ("segfault", r"(?P<what>\S+\[\d+\]:? (?:segfault at [0-9a-f]+|general protection fault"
                 r"|trap [a-z ]+?)(?= ip|\s|$))"),
    ("oops", r"(?P<what>kernel BUG at \S+|BUG: unable to handle [^\n]*|BUG: kernel NULL "
             r"pointer dereference[^\n]*|general protection fault[^\n]*|Unable to handle "
             r"kernel [^\n]*|invalid opcode: [0-9a-f]+ \[#\d+\][^\n]*"
             r"|Oops(?:: [0-9a-fx]+)? \[#\d+\][^\n]*)"),
    ("lockup", r"(?P<what>(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck[^\n]*|Watchdog "
               r"detected hard LOCKUP[^\n]*|rcu_\w+ (?:self-)?detected stall[^\n]*)"),
    ("hung-task", r"INFO: task (?P<what>\S+ blocked for more than \d+ seconds)"),
    ("mce", r"(?P<what>\[Hardware Error\]:[^\n]*|Machine check events logged|mce: CPU ?\d+: "
            r"Machine Check[^\n]*|EDAC \S+: \d+ (?:CE|UE) [^\n]*)"),
    ("thermal", r"(?P<what>(?:CPU\d+|Package): (?:Core|Package) temperature above "
                r"threshold, cpu clock throttled[^\n]*)"),
    ("oom-kill", r"(?P<what>(?:Memory cgroup out of memory|Out of memory)(?: \([^)]*\))?: "
                 r"Kill(?:ed)? process \d+ \([^)]*\)[^\n]*)"),
)
_KERNEL_RES = [(kind, re.compile(p)) for kind, p in KERNEL_PATTERNS]
# Line prefixes carrying a time: journalctl -o short-iso, dmesg -T, syslog, dmesg.
_ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)?)\s")
_DMESG_T = re.compile(r"^\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s")
_DMESG = re.compile(r"^\[\s*(\d+\.\d+)\]")

def _line_time(line: str) -> str | None:
    for pattern in (_ISO, _DMESG_T, _SYSLOG):
        m = pattern.match(line)
        if m:
            return m.group(1)
    m = _DMESG.match(line)
    return f"{m.group(1)}s after boot" if m else None


_PREFILTER = ("panic", "BUG", "Oops", "fault", "LOCKUP", "stall", "blocked for",
              "Machine Check", "Machine check", "EDAC", "temperature above", "out of memory",
              "Out of memory", "segfault", "Unable to handle", "traps:", "invalid opcode")
# Inside an Oops report (arch/x86/kernel/dumpstack.c, show_regs): where it faulted —
# "RIP: 0010:acme_init+0x15/0x1000 [acme]", 3.x "IP: [<ffff…>] foo+0x16/0x30 [foo]",
# arm64 "pc : foo+0x16/0x30 [foo]" — the bracket names the module, none means the
# core kernel; "CPU: 1 PID: 4321 Comm: insmod Tainted: G OE" names the process.
_FAULT_AT = re.compile(r"(?:\bRIP|\bIP|\bEIP|\bpc) ?: .*?(?P<fn>[\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+)"
                       r"(?: \[(?P<module>[\w-]+)\])?")
_COMM = re.compile(r"\bCPU: \d+ (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>\S+)"
                   r"(?: (?:Tainted: (?P<taint>[A-Z ]+?)|Not tainted))?(?= \d|\s*$)")
_END_TRACE = "---[ end trace"
_REPORT_LINES = 120  # an Oops report with its call trace fits in this many lines
_OOM = re.compile(r"Kill(?:ed)? process (?P<pid>\d+) \((?P<name>[^)]*)\)"
                  r"(?:.*?anon-rss:(?P<rss>\d+)kB)?")
_SEGV = re.compile(r"(?P<name>\S+)\[(?P<pid>\d+)\]:? (?P<how>segfault at [0-9a-f]+|general "
                   r"protection fault|trap [a-z ]+?)(?= ip|\s|$)")
_IN_LIB = re.compile(r" in (?P<lib>[^\[\s]+)\[[0-9a-f]+\+[0-9a-f]+\]")
_TRAP_SIGNALS = {"segfault": "SIGSEGV", "general protection fault": "SIGSEGV",
                 "trap divide error": "SIGFPE", "trap invalid opcode": "SIGILL",
                 "trap int3": "SIGTRAP"}
_MCE_WHERE = re.compile(r"CPU ?(?P<cpu>\d+):? Machine Check(?: Exception)?:? ?\d* ?(?:Bank "
                        r"(?P<bank>\d+))?")
_DIMM = re.compile(r"\b(?:on|DIMM|location:) ?(?P<dimm>\S*DIMM\S*|mc#\d+\S*)")


def _match(line: str) -> tuple[str, re.Match[str]] | None:
    if not any(key in line for key in _PREFILTER) and "Hardware Error" not in line:
        return None  # cheap pre-filter: kernel logs run to hundreds of thousands of lines
    for kind, pattern in _KERNEL_RES:
        m = pattern.search(line)
        if m:
            return kind, m
    return None


def _detail(event: dict[str, Any], line: str) -> None:
    """Who and where, from the event's own line: the OOM victim, the crashed program."""
    if event["kind"] == "oom-kill":
        m = _OOM.search(line)
        if m:
            event.update(pid=int(m["pid"]), exe=m["name"])
            held = f", holding {int(m['rss']) / 1048576:.1f} GiB" if m["rss"] else ""
            where = " in its memory cgroup" if "cgroup" in line else ""
            event["what"] = (f"out of memory{where}: the kernel killed {m['name']} "
                             f"(pid {m['pid']}{held})")
    elif event["kind"] == "segfault":
        m = _SEGV.search(line)
        if m:
            how = m["how"].split(" at ")[0]
            lib = _IN_LIB.search(line)
            event.update(pid=int(m["pid"]), exe=m["name"], module=lib["lib"] if lib else None,
                         signal=_TRAP_SIGNALS.get(how, "SIGSEGV"))
            event["what"] = (f"{m['name']} (pid {m['pid']}) crashed: {how}"
                             + (f" in {lib['lib']}" if lib else ""))
    elif event["kind"] == "mce":
        m = _MCE_WHERE.search(line)
        dimm = _DIMM.search(line) if "EDAC" in line else None
        if dimm:
            event["suspect"] = f"memory module {dimm['dimm']}"
        elif m:
            event["suspect"] = "CPU, memory or mainboard" + (
                f" (CPU {m['cpu']}" + (f", bank {m['bank']})" if m["bank"] else ")"))


def _oops_line(event: dict[str, Any], line: str) -> None:
    """A line inside an open Oops report: where it faulted, which process, taint."""
    m = _FAULT_AT.search(line)
    if m and not event.get("function"):
        event["function"], event["module"] = m["fn"], m["module"]
    c = _COMM.search(line)
    if c and event["exe"] is None:
        event.update(pid=int(c["pid"]), exe=c["comm"])
        if c["taint"] and ("O" in c["taint"] or "E" in c["taint"]):
            event["tainted"] = "out-of-tree or unsigned module loaded"


def _finish_oops(event: dict[str, Any]) -> None:
    where = event.pop("function", None)
    event.pop("tainted", None)
    module = event.get("module")
    if where:
        event["what"] += (f"; faulted in {where} of module {module}" if module
                          else f"; faulted in {where} (the kernel itself, no module)")
    if event["exe"]:
        event["what"] += f"; process {event['exe']} (pid {event['pid']})"
    event["what"] = event["what"][:300]


def kernel_events(text: str) -> list[dict[str, Any]]:
    """Crash, hang and hardware-error events in a kernel log (journalctl -k, dmesg, syslog).

    One Oops is one event however many of its lines match ("BUG: unable to handle …",
    "#PF: …", "Oops: 0002 [#1] SMP", a following "Kernel panic - not syncing: Fatal
    exception"), with the module and function it faulted in (its RIP line) and the
    process (its CPU/PID/Comm line). Consecutive "[Hardware Error]" lines are one
    machine check. OOM kills name their victim, segfaults their program.
    """
    events: list[dict[str, Any]] = []
    oops: dict[str, Any] | None = None  # the Oops report being read
    oops_age = 0
    last_oops: tuple[dict[str, Any], int] | None = None  # the last one read, and where
    last_mce = -2
    for n, line in enumerate(text.splitlines()):
        if oops is not None:
            oops_age += 1
            if _END_TRACE in line or oops_age > _REPORT_LINES:
                _finish_oops(oops)
                last_oops, oops = (oops, n), None
            else:
                _oops_line(oops, line)
        if "---[ end Kernel panic" in line:
            continue  # the closing banner of a panic already counted
        found = _match(line)
        if found is None:
            continue
        kind, m = found
        what = m.group("what").replace("[Hardware Error]: ", "").strip()[:200]
        if kind == "kernel-panic" and "Fatal exception" in what and (
                oops is not None or (last_oops and n - last_oops[1] <= _REPORT_LINES)):
            # panic_on_oops, or an Oops in interrupt context: the same crash, once
            target = oops if oops is not None else last_oops[0]  # type: ignore[index]
            target["panicked"] = what
            if oops is None:
                target["what"] = (target["what"] + f"; then Kernel panic: {what}")[:300]
            continue
        if oops is not None and kind == "oops" and not (
                "[#" in what and oops.get("marked")):
            oops["marked"] = oops.get("marked") or "[#" in what
            continue  # "#PF…", "Oops: 0002 [#1]" after "BUG: unable to handle …"
        if kind == "mce" and "Hardware Error" in line and last_mce == n - 1 and events \
                and events[-1]["kind"] == "mce":
            last_mce = n
            if "Machine Check" in line and not events[-1].get("suspect"):
                events[-1]["what"] = what
                _detail(events[-1], line)
            continue
        event: dict[str, Any] = {"kind": kind, "time": _line_time(line), "what": what,
                                 "line": line.strip()[:300], "pid": None, "exe": None,
                                 "module": None, "suspect": None}
        if kind == "oops":
            if oops is not None:
                _finish_oops(oops)
            oops, oops_age = event, 0
            oops["marked"] = "[#" in what
        else:
            _detail(event, line)
        if kind == "mce":
            last_mce = n
        events.append(event)
    if oops is not None:
        _finish_oops(oops)
    for e in events:
        e.pop("marked", None)
        panic = e.pop("panicked", None)
        if panic and "Kernel panic" not in e["what"]:
            e["what"] = (e["what"] + f"; then Kernel panic: {panic}")[:300]
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
              "code", "name", "suspect", "dump", "module")


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
