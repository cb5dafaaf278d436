"""logs.journal — the systemd journal, windowed and bounded, with the logs.files summary.

Runs ``journalctl -o json --reverse -n N`` with ``--since``/``--until``, one
``-u`` per unit, one ``-t`` per syslog identifier, ``-p`` priority (``err``,
``warning``, ``0..3``…) and, with ``file=``, ``--file`` (a ``.journal``
file copied from another machine, or a glob of them). ``--reverse -n`` makes
journalctl hand over the **newest** ``max_entries`` of the window (``-n``
with ``--since`` alone would give the oldest); ``max_bytes`` then bounds the
kept JSON lines, newest kept. Each kept entry is saved as one JSON line
(``journal.jsonl``, oldest first, selected fields only: see
``JOURNAL_FIELDS`` in ``toolkit/_platform/_linux.py``); the bundle writer
redacts it.

Severity is the entry's ``PRIORITY`` (0–2 critical, 3 error, 4 warning,
5 notice, 6 info, 7 debug); patterns are ``identifier: message`` masked as
in logs.files. Core dumps that systemd-coredump logged are listed as crashes.
``source=FILE`` analyses a saved ``journalctl -o json`` output instead
(either order; ``since``/``until`` then filter it here).

Output: the common part of the structured-log collectors (see
``collectors/_logrecords.py``: ``window``, ``source``, ``entries``, ``cut``,
``saved``, ``sources``, ``summary``) and::

    {
      "query": {"units": ["nginx.service"], "identifiers": [], "priority": "err" | null,
                "file": "/tmp/x.journal" | null},
      "crashes": [{"time": "…", "exe": "/usr/bin/foo", "pid": 4242, "signal": "SIGSEGV",
                   "unit": "foo.service" | null}],          # newest 50
      "crash_count": 1
    }
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from collectors import _logparse as lp
from collectors import _logrecords as lr
from toolkit import _platform
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, listed, number, text
from toolkit.schema import INT, STR, arr, extend, nullable, obj
from toolkit.sources import Parsed, SavedOutput, Source, keep

OUTPUT = extend(
    lr.COMMON,
    query=obj(units=arr(STR), identifiers=arr(STR), priority=nullable(STR), file=nullable(STR)),
    crashes=arr(obj(time=nullable(STR), exe=nullable(STR), pid=nullable(INT),
                    signal=nullable(STR), unit=nullable(STR))),
    crash_count=INT,
)

# systemd-coredump's "Process N (x) of user U dumped core" (catalog id).
COREDUMP_MESSAGE_ID = "fc2e22bc6ee647b6b90729ab34a250b1"
PRIORITY_LEVEL = {0: "critical", 1: "critical", 2: "critical", 3: "error", 4: "warning",
                  5: "notice", 6: "info", 7: "debug"}
MAX_CRASHES = 50
NO_JOURNAL = ("journald keeps no journal files here (not running, or Storage=none) — use "
              "logs.files on /var/log, or give a journal copied from elsewhere with file=")


def _text(value: Any) -> str:
    """A journal field as text: journald gives non-UTF-8 values as byte arrays,
    and a field logged twice as a list of values."""
    if value is None:
        return ""
    if isinstance(value, list):
        if value and all(isinstance(b, int) for b in value):
            return bytes(b & 0xFF for b in value).decode("utf-8", errors="replace")
        return " ".join(_text(v) for v in value)
    return str(value)


def _record(entry: dict[str, Any], raw: bytes) -> lr.Record:
    try:
        when: float | None = int(_text(entry.get("__REALTIME_TIMESTAMP"))) / 1e6
    except ValueError:
        when = None
    try:
        level: str | None = PRIORITY_LEVEL.get(int(_text(entry.get("PRIORITY"))))
    except ValueError:
        level = None  # kernel and some daemons log without PRIORITY: judge by the words
    source = (_text(entry.get("SYSLOG_IDENTIFIER")) or _text(entry.get("_COMM"))
              or _text(entry.get("_SYSTEMD_UNIT")))
    return lr.Record(when, level, source, lr.one_line(_text(entry.get("MESSAGE"))), raw)


def parse(data: bytes) -> tuple[list[lr.Record], list[dict[str, Any]]]:
    """Pure: ``journalctl -o json`` output (either order) → records oldest first,
    and the core dumps among them (newest first)."""
    rows: list[tuple[dict[str, Any], bytes]] = []
    for line in data.splitlines():
        line = line.strip()
        if not line.startswith(b"{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a timeout: the rest still counts
        if isinstance(entry, dict):
            rows.append((entry, line + b"\n"))
    records = [_record(e, raw) for e, raw in rows]
    order = sorted(range(len(records)), key=lambda i: (records[i].when or 0.0, i))
    crashes = []
    for i in reversed(order):
        entry = rows[i][0]
        if _text(entry.get("MESSAGE_ID")) != COREDUMP_MESSAGE_ID and "COREDUMP_EXE" not in entry:
            continue
        pid = _text(entry.get("COREDUMP_PID"))
        crashes.append({"time": lp.iso(records[i].when),
                        "exe": _text(entry.get("COREDUMP_EXE")) or None,
                        "pid": int(pid) if pid.isdigit() else None,
                        "signal": _text(entry.get("COREDUMP_SIGNAL_NAME")) or None,
                        "unit": _text(entry.get("COREDUMP_UNIT")) or None})
    return [records[i] for i in order], crashes


def _window(params: Mapping[str, Any], now: float) -> tuple[float | None, float | None]:
    try:
        return lr.window(dict(params), now)
    except ValueError as exc:
        raise Failed(str(exc)) from None


def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"units": list(params.get("units") or []),
            "identifiers": list(params.get("identifiers") or []),
            "priority": params.get("priority") or None, "file": params.get("file") or None}


def _digest(data: bytes, params: Mapping[str, Any], window: tuple[float | None, float | None],
            source: str, overflow: dict[str, Any] | None = None) -> Parsed:
    """Pure: ``journalctl -o json`` output → the result, and the kept entries as
    ``journal.jsonl``."""
    count = max(1, int(params.get("max_entries") or 1))
    records, crashes = parse(data)
    more_before = False
    if not params.get("source") and len(records) > count:
        records, more_before = records[1:], True  # journalctl was asked for one more
    bounds = lr.Bounds(window[0], window[1], count, int(params.get("max_bytes") or 0))
    digest = lr.digest(records, bounds, lr.new_summary(bool(params.get("summary", True))),
                       more_before)
    if overflow:
        digest.result["cut"] = overflow
    return Parsed({**digest.result, "source": source,
                   "saved": "journal.jsonl" if digest.kept else None, "query": _query(params),
                   "crashes": crashes[:MAX_CRASHES], "crash_count": len(crashes)},
                  {"journal.jsonl": digest.raw()} if digest.kept else {})


def from_journal_json(saved: SavedOutput) -> Parsed:
    """A saved ``journalctl -o json`` output (either order), windowed here."""
    return _digest(saved.data, saved.params, _window(saved.params, saved.now), saved.path)


def plan(params: dict[str, Any]) -> Plan:
    argv_of = _platform.journal_argv
    if argv_of is None:
        return Plan(notes=["this system has no systemd journal: the step is skipped"])
    notes = []
    try:
        since, until = lr.window(params, time.time())
    except ValueError:  # still a template, or refused when the step runs
        since = until = None
        notes.append(f"since/until as given: {params.get('since')!r}, {params.get('until')!r}")
    file = text(params.get("file")) or None
    query: dict[str, list[str] | str | None] = {
        "units": listed(params.get("units")), "identifiers": listed(params.get("identifiers")),
        "priority": text(params.get("priority")) or None, "file": file}
    count = int(number(params.get("max_entries"), 10_000)) + 1
    return Plan(commands=[argv_of(query, since=since, until=until, count=count)],
                files=[file] if file else [],
                notes=notes + ([] if file else ["the system journal (journald's files), "
                                                "through journalctl"]))


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    since, until = _window(params, time.time())
    count = max(1, int(params.get("max_entries") or 1))
    query = _query(params)
    argv_of = _platform.journal_argv
    if argv_of is None:
        raise Skipped("this system has no systemd journal")
    ctx.require("journalctl", "systemd")
    present = _platform.journal_present
    if not query["file"] and present is not None and not present():
        raise Skipped(NO_JOURNAL)
    # one more than asked: whether older entries in the window were left out
    res = ctx.run(argv_of(query, since=since, until=until, count=count + 1),
                  env={"LC_ALL": "C", "SYSTEMD_COLORS": "0"})
    err = res.stderr.decode("utf-8", errors="replace").strip()
    if "No journal files" in err:
        raise Skipped(NO_JOURNAL)
    if not res.ok and not res.stdout:
        if res.record.timed_out:
            raise Failed("journalctl did not answer in time — narrow since/until")
        hint = " — run as root or add yourself to the systemd-journal group" \
            if "ermission denied" in err else ""
        raise Failed(f"journalctl failed ({res.record.returncode}): "
                     f"{err.splitlines()[-1] if err else 'no message'}{hint}")
    overflow = lr.output_cut(res.record.truncated, newest_first=True)
    return keep(ctx, _digest(res.stdout, params, (since, until), "live", overflow))


COLLECTOR = Collector(
    name="logs.journal",
    output=OUTPUT,
    summary="systemd journal entries in a time window (units, identifiers, priority), "
            "newest kept, with an error summary",
    gather=gather,
    platforms=("linux",),
    needs=Needs(commands=("journalctl",),
                notes="root or the systemd-journal group sees every entry; others see their own"),
    params=(
        Param("since", "str", None, "entries from this time: ISO 8601, epoch, or an age (2h)"),
        Param("until", "str", None, "entries up to this time (same forms as since)"),
        Param("units", "list", (), "systemd units (journalctl -u), e.g. nginx.service"),
        Param("identifiers", "list", (), "syslog identifiers (journalctl -t), e.g. sshd"),
        Param("priority", "str", None, "journalctl -p: emerg…debug or 0..7, e.g. err or 0..4"),
        Param("file", "str", None, "read this .journal file (or glob) instead of the system's"),
        Param("max_entries", "int", 10_000, "keep at most this many entries (newest)", min=1),
        Param("max_bytes", "int", 16 * 1024 * 1024, "keep at most this much JSON (newest)", min=1),
        Param("summary", "bool", True, "count severities and the top recurring error patterns"),
        Param("source", "str", None, "analyse a saved 'journalctl -o json' output"),
    ),
    sources=(Source("journal-json", from_journal_json, "a saved 'journalctl -o json' output",
                    keep=False),),  # what the result counts is kept, as journal.jsonl
    plan=plan,
    doc=__doc__ or "",
)
