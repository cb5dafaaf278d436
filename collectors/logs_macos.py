"""logs.macos — the macOS unified log in a time window, with the logs.files summary.

Live (macOS only): ``log show --style ndjson --start "<since, local time>"``
(when ``since`` is not given: the last hour — the unified log holds days of
very chatty entries, so a live read always has a window) with ``--end``,
``--predicate 'process == "X"'`` for ``process=``, and ``--info``/``--debug``
for ``level=info|debug``.
``max_entries``/``max_bytes`` keep the newest entries; they are saved as
``unified.ndjson`` (one JSON object a line, oldest first).

Severity is the entry's ``messageType``: Fault → critical, Error → error,
Default → notice (os_log's default level is syslog's notice), Info → info,
Debug → debug; activity records (no ``messageType``) count as debug.
Patterns are ``process: message`` masked as in logs.files. ``source=FILE``
analyses a saved ``log show --style ndjson`` (or ``log stream --style
ndjson``) output; the closing ``{"count": N, "finished": 1}`` line is not an
entry.

Output: the common part of the structured-log collectors (see
``collectors/_logrecords.py``) and::

    {"query": {"process": "Safari" | null, "level": "default" | "info" | "debug"}}
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collectors import _logrecords as lr
from toolkit import _platform
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, text
from toolkit.schema import STR, enum, extend, nullable, obj
from toolkit.sources import Parsed, SavedOutput, Source, keep

OUTPUT = extend(lr.COMMON, query=obj(process=nullable(STR),
                                     level=enum("default", "info", "debug")))

LEVELS = {"Fault": "critical", "Error": "error", "Default": "notice", "Info": "info",
          "Debug": "debug"}
# "2026-09-25 15:06:19.359577+0300": local time with the offset, no colon
_TIME = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*([+-]\d\d):?(\d\d)")


def stamp(text: str) -> float | None:
    m = _TIME.match(text or "")
    if not m:
        return None
    when = datetime.fromisoformat(f"{m[1]}T{m[2]}{m[4]}:{m[5]}").timestamp()
    return when + (float("0." + m[3]) if m[3] else 0.0)


def parse(data: bytes) -> list[lr.Record]:
    """Pure: ``log show --style ndjson`` output → records, oldest first."""
    records = []
    for n, line in enumerate(data.splitlines()):
        line = line.strip()
        if not line.startswith(b"{"):
            continue  # the empty line before the footer, stderr noise pasted along
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or "finished" in entry and "eventMessage" not in entry:
            continue
        kind = entry.get("messageType")
        process = str(entry.get("processImagePath") or "").rsplit("/", 1)[-1]
        message = str(entry.get("eventMessage") or "")
        if entry.get("subsystem"):
            message = f"[{entry['subsystem']}] {message}"
        when = stamp(str(entry.get("timestamp") or ""))
        records.append((when or 0.0, n, lr.Record(when, LEVELS.get(str(kind), "debug"), process,
                                                  lr.one_line(message), line + b"\n")))
    return [rec for _, _, rec in sorted(records, key=lambda t: (t[0], t[1]))]


def _window(params: Mapping[str, Any], now: float) -> tuple[float | None, float | None]:
    try:
        return lr.window(dict(params), now)
    except ValueError as exc:
        raise Failed(str(exc)) from None


def _digest(data: bytes, params: Mapping[str, Any], window: tuple[float | None, float | None],
            source: str, overflow: dict[str, Any] | None = None) -> Parsed:
    """Pure: ``log show --style ndjson`` output → the result, and the kept entries as
    ``unified.ndjson``."""
    bounds = lr.Bounds(window[0], window[1], max(1, int(params.get("max_entries") or 1)),
                       int(params.get("max_bytes") or 0))
    digest = lr.digest(parse(data), bounds, lr.new_summary(bool(params.get("summary", True))))
    if overflow and not digest.result["cut"]:
        digest.result["cut"] = overflow
    query = {"process": params.get("process") or None,
             "level": str(params.get("level") or "default")}
    return Parsed({**digest.result, "source": source,
                   "saved": "unified.ndjson" if digest.kept else None, "query": query},
                  {"unified.ndjson": digest.raw()} if digest.kept else {})


def from_ndjson(saved: SavedOutput) -> Parsed:
    """A saved ``log show --style ndjson`` output."""
    return _digest(saved.data, saved.params, _window(saved.params, saved.now), saved.path)


def plan(params: dict[str, Any]) -> Plan:
    argv_of = _platform.unified_log_argv
    if argv_of is None:
        return Plan(notes=["the unified log exists only on macOS: the step is skipped unless "
                           "source= names a saved output"])
    now = time.time()
    try:
        since, until = lr.window(params, now)
    except ValueError:  # still a template, or refused when the step runs
        since = until = None
    return Plan(commands=[argv_of(since=since if since is not None else now - 3600,
                                  until=until, process=text(params.get("process")) or None,
                                  level=text(params.get("level"), "default"))])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    since, until = _window(params, now)
    level = str(params.get("level") or "default")
    argv_of = _platform.unified_log_argv
    if argv_of is None:
        raise Skipped("the unified log exists only on macOS — give a saved "
                      "'log show --style ndjson' output with source=")
    ctx.require("log")
    start = since if since is not None else now - 3600
    res = ctx.run(argv_of(since=start, until=until, process=params.get("process") or None,
                          level=level))
    if not res.ok and not res.stdout:
        err = res.stderr.decode("utf-8", errors="replace").strip()
        raise Failed(f"log show failed ({res.record.returncode}): {err[:200] or 'no message'}"
                     " — run as an administrator to read every entry")
    overflow = lr.output_cut(res.record.truncated, newest_first=False)
    return keep(ctx, _digest(res.stdout, params, (start, until), "live", overflow))


COLLECTOR = Collector(
    name="logs.macos",
    output=OUTPUT,
    summary="macOS unified log entries in a time window (log show), newest kept, with an "
            "error summary",
    gather=gather,
    platforms=("darwin",),
    needs=Needs(commands=("log",), notes="an administrator sees private message fields"),
    params=(
        Param("since", "str", None, "entries from this time: ISO 8601, epoch, or an age "
              "(live default: the last hour)"),
        Param("until", "str", None, "entries up to this time (same forms as since)"),
        Param("process", "str", None, "only this process (log show --predicate)"),
        Param("level", "str", "default", "default, info (adds Info) or debug (adds Debug)",
              choices=("default", "info", "debug")),
        Param("max_entries", "int", 20_000, "keep at most this many entries (newest)", min=1),
        Param("max_bytes", "int", 16 * 1024 * 1024, "keep at most this much NDJSON (newest)",
              min=1),
        Param("summary", "bool", True, "count severities and the top recurring error patterns"),
        Param("source", "str", None, "analyse a saved 'log show --style ndjson' output"),
    ),
    sources=(Source("ndjson", from_ndjson, "a saved 'log show --style ndjson' output",
                    keep=False),),  # the entries counted are kept, as unified.ndjson
    plan=plan,
    doc=__doc__ or "",
)
