"""logs.files — the relevant slice of text log files, newest part first.

Gathers files named by ``paths`` (files or globs; a plain path also brings
its rotated siblings ``NAME.1``, ``NAME.2.gz``, ``NAME-20241103`` unless
``rotated=false``). Each file is cut to the ``since``/``until`` window by
the timestamps of its lines (syslog ``Nov  3 10:00:01`` with the year
inferred, ISO 8601, Apache/nginx ``[10/Oct/2000:13:55:36 -0700]``, Apache
error ``[Sun Dec 04 04:47:44 2005]``, Windows CBS ``2016-09-28 04:30:30,
Info``, epoch seconds, logcat, US ``9/28/2016 4:30:30 AM``); a file whose
lines carry no time is judged by its modification time. ``grep`` keeps only
matching lines. ``max_bytes`` (per file) and ``max_total_bytes`` (the whole
step, newest files served first) keep the **newest** part and say what was
cut. Memory stays bounded whatever the size: plain files are searched by
seeking (binary search on the timestamps, when samples show the lines in time
order) and copied in blocks; ``.gz`` files, small files and merged logs are
read through. Binary files are skipped with a reason. A symbolic link that
leads out of the folder a path or glob names (``/var/log/app/evil.log ->
/etc/shadow``) is not followed, and listed as skipped with why, unless
``follow_symlinks=true``; a file replaced between that check and the read is
not read. Each slice is
saved as a raw file of the step; the bundle writer redacts it line by line.

Output::

    {
      "window": {"since": "2024-11-03T10:00:00+00:00" | null, "until": … | null},
      "files": [
        {"path": "/var/log/syslog", "size": 1048576, "modified": "…",
         "compressed": false, "format": "syslog" | null,
         "time_source": "lines" | "mtime", "saved": "var_log_syslog" | null,
         "lines_kept": 812, "bytes_kept": 90112,
         "first_time": "…" | null, "last_time": "…" | null,
         "cut": {"bytes": 123456, "reason": "max_bytes", "kept": "newest"} | null,
         "skipped": null | "binary file (NUL bytes in its first 8 KB)",
         "header": "syslog" | "log4j" | … | null,      # the header shape of its lines
         "year_source": "line" | "rotation" | "mtime" | null,  # year-less stamps only
         "window_note": null | "its lines carry no time, so since/until could not cut it…",
         "line_patterns": [3, 3, 0, …]}               # assign=true: each kept line's pattern
        # a file not read (a link out of its folder, permission denied) has only
        # "path" and "skipped"; "cut.reason" is "max_total_bytes" when the step's budget cut it
      ],
      "missing": ["/var/log/nothing*"],
      "totals": {"files": 3, "lines_kept": 2000, "bytes_kept": 300000, "truncated": false},
      "summary": {                                 # when summary=true (default)
        "severity": {"error": 12, "warning": 3, "info": 900, "unlabelled": 40},
        "top_errors": [{"id": 3, "pattern": "Failed password for invalid user <*> from <*>
                        port <*> ssh2", "count": 135, "severity": "error",
                        "first_seen": "…", "last_seen": "…", "example": "Failed password …",
                        "variables": [{"name": "user", "kind": "user",
                                       "top": [{"value": "admin", "count": 44}, …],
                                       "distinct": 12, "exact": false}, …]}],
        "top_warnings": [ … as top_errors, severity "warning" … ],
        "distinct_error_patterns": 5, "distinct_warning_patterns": 2,
        "distinct_patterns": 40, "lines": 2000, "patterns_not_tracked": 0
      } | null,
      "patterns": [ … every pattern, most frequent first … ]   # assign=true only
    }

Patterns (``_logtemplates``) group every line of every severity, the header of
its format (syslog ``host prog[pid]:``, log4j ``LEVEL [thread] class:``, CBS,
logcat, Apache, RAS…: ``_logheaders``) set apart; a variable's values are counted
(the most frequent kept, ``exact`` false once some were dropped), header fields
(host, program) among them. ``supportkit logs patterns FILE`` reads any file the
same way. Severity is the level the header or line names (``ERROR``, ``[warn]``,
logcat ``E``); a line naming none is counted as an error when it says so in words
(failed, denied, refused, timeout…), else as ``unlabelled``.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from collectors import _fileslice as fs
from collectors import _logparse as lp
from collectors import _logread as rd
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, listed
from toolkit.schema import BOOL, INT, STR, arr, enum, nullable, obj, opt

_ROTATION = re.compile(r"(?:[.-]\d+(?:\.gz)?|\.gz|-\d{8}(?:\.gz)?)$")  # what logrotate adds
OUTPUT = obj(
    window=obj(since=nullable(STR), until=nullable(STR)),
    # A file refused (a link out of its folder) or unreadable has only path and skipped.
    files=arr(obj(
        path=STR, skipped=nullable(STR), size=opt(INT), modified=opt(STR),
        compressed=opt(BOOL), format=opt(nullable(STR)), time_source=opt(enum("lines", "mtime")),
        saved=opt(nullable(STR)), lines_kept=opt(INT), bytes_kept=opt(INT),
        first_time=opt(nullable(STR)), last_time=opt(nullable(STR)),
        cut=opt(nullable(obj(bytes=INT, reason=enum("max_bytes", "max_total_bytes"),
                             kept=enum("newest")))),
        # the header shape of its lines (syslog, log4j, logcat…: _logheaders.SHAPES)
        header=opt(nullable(STR)),
        # what fixed the year of year-less stamps (syslog, logcat): a line naming its
        # full date, the file it was rotated into, or its modification time
        year_source=opt(nullable(enum("line", "rotation", "mtime"))),
        window_note=opt(nullable(STR)),  # since/until could not cut it (no times in it)
        line_patterns=opt(arr(nullable(INT))))),  # assign=true: each kept line's pattern id
    missing=arr(STR),
    totals=obj(files=INT, lines_kept=INT, bytes_kept=INT, truncated=BOOL),
    summary=nullable(lp.SUMMARY),
    patterns=opt(arr(lp.PATTERN)),  # assign=true: every pattern, most frequent first
)



@dataclass(frozen=True)
class Options:
    since: float | None
    until: float | None
    grep: re.Pattern[bytes] | None
    max_bytes: int
    summary: lp.Summary | None
    assign: bool = False


# ----------------------------------------------------------------------- one file

def _slice_name(path: Path, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(path).lstrip("/\\")).strip("._") or "log"
    stem = re.sub(r"\.gz$", "", stem)[-100:].lstrip("._-") or "log"
    name, n = stem, 1
    while name in used or name == "result.json":
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return name


def gather_file(ctx: Context, path: Path, opts: Options, used: set[str],
                real: Path | None = None, newer_first: float | None = None) -> dict[str, Any]:
    """Slice one file into the step folder; the per-file record of the result.
    ``path`` is the file as named, ``real`` the file it resolved to when checked: the
    file is opened once, and only if it still is that file. ``newer_first``: the first
    time of the file this one was rotated into (the year of year-less stamps)."""
    real = real or path.resolve()
    st = real.stat()
    entry: dict[str, Any] = {
        "path": str(path), "size": st.st_size, "modified": lp.iso(st.st_mtime),
        "compressed": False, "format": None, "time_source": "lines", "saved": None,
        "lines_kept": 0, "bytes_kept": 0, "first_time": None, "last_time": None,
        "cut": None, "skipped": None, "header": None, "year_source": None, "window_note": None}
    with fs.open_checked(real, (st.st_dev, st.st_ino)) as raw:
        return _slice(ctx, raw, entry, st, opts, lambda: _slice_name(path, used), newer_first)


def _slice(ctx: Context, raw: IO[bytes], entry: dict[str, Any], st: os.stat_result,
           opts: Options, claim_name: Callable[[], str],
           newer_first: float | None) -> dict[str, Any]:
    compressed = fs.is_gzip(raw)
    entry["compressed"] = compressed
    src: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed \
        else raw  # type: ignore[assignment]
    head = src.read(rd.SNIFF)
    src.seek(0)
    why = fs.binary_reason(head[:8192])
    if why:
        entry["skipped"] = why
        return entry
    first = lp.sniff(head.splitlines()[:-1] or [head], st.st_mtime)
    last = rd.last_line(src, compressed, st.st_size) if first and first.yearless else None
    how = rd.look(head, last, st.st_mtime, newer_first)
    fmt = how.fmt
    entry.update(format=fmt.name if fmt else None, header=how.header,
                 year_source=how.year_source)
    since, until = opts.since, opts.until
    if fmt is None:
        entry["time_source"] = "mtime"
        if (since is not None and st.st_mtime < since) or \
                (until is not None and st.st_mtime > until):
            entry["skipped"] = (f"its lines carry no time and it was last modified "
                                f"{lp.iso(st.st_mtime)}, outside the window")
            return entry
        if since is not None or until is not None:
            # Say so: a window that cannot cut a file must not look as if it had.
            entry["window_note"] = (
                "its lines carry no time, so since/until could not cut it: it was modified "
                f"{lp.iso(st.st_mtime)}, inside the window, and is kept whole up to max_bytes "
                "(newest part) — lines older than the window may be in it")
        since = until = None
    if opts.max_bytes <= 0:
        entry["skipped"] = "max_total_bytes already used by newer files"
        return entry
    # ctx.save checks the name and creates the file; the slice is then streamed
    # into it, since ctx.save would need the whole slice in memory.
    name = claim_name()
    ctx.save(name, b"")
    out = ctx.workdir / name
    slicing = fs.Cut(fmt, how.ref, since, until, opts.grep, opts.max_bytes)
    if compressed:
        kept, cut = fs.read_through(src, out, slicing)
    else:
        kept, cut = fs.plain(raw, st.st_size, out, slicing)
    if kept == 0:
        out.unlink()
        entry["skipped"] = "no lines in the time window" + (" matching grep" if opts.grep else "")
        return entry
    with open(out, "rb") as fh:  # our own slice: its lines, times and patterns
        got = rd.feed(fh, how, opts.summary, opts.assign)
    entry.update(saved=name, lines_kept=got.lines, bytes_kept=kept,
                 first_time=lp.iso(got.first), last_time=lp.iso(got.last))
    if got.patterns is not None:
        entry["_patterns"] = got.patterns  # resolved to ids once every file is read
    entry["_first"] = got.first
    if cut:
        entry["cut"] = {"bytes": cut, "reason": "max_bytes", "kept": "newest"}
    return entry


# ----------------------------------------------------------------------- the step

def plan(params: dict[str, Any]) -> Plan:
    notes = ["each file is read within since/until, max_bytes and max_total_bytes (newest "
             "kept)"]
    if params.get("rotated") is not False:
        notes.append("a plain path brings its rotated siblings too (NAME.1, NAME.2.gz, …)")
    if params.get("follow_symlinks") is not True:
        notes.append("symbolic links that lead out of the folder a path names are not "
                     "followed")
    return Plan(files=listed(params.get("paths")), notes=notes)


def _rotation_rank(path: Path, chain: str) -> tuple[int, int]:
    """How old a file is within its rotation chain: NAME 0, NAME.1 1, NAME.2.gz 2…,
    NAME-20241103 by its date, newest first."""
    suffix = str(path)[len(chain):]
    digits = re.sub(r"\D", "", suffix)
    if not digits:
        return (0, 0)
    return (1, -int(digits)) if len(digits) == 8 else (1, int(digits))


def rotation_order(files: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """``files`` (newest first by modification time) with each rotation chain in its
    rotation order instead, in the places its files held: a rotated file copied
    elsewhere has a new modification time, but NAME.1 is still older than NAME, and
    the year of its year-less stamps comes from the file it was rotated into."""
    chains: dict[str, list[int]] = {}
    for i, (path, _) in enumerate(files):
        chains.setdefault(_ROTATION.sub("", str(path)), []).append(i)
    out = list(files)
    for chain, slots in chains.items():
        members = sorted((files[i] for i in slots),
                         key=lambda pair: _rotation_rank(pair[0], chain))
        for slot, member in zip(slots, members, strict=True):
            out[slot] = member
    return out


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    paths = [str(p) for p in params.get("paths") or []]
    if not paths:
        raise Failed("no paths given — pass paths=/var/log/syslog,/var/log/app/*.log")
    now = time.time()
    try:
        since = lp.parse_when(params.get("since"), now)
        until = lp.parse_when(params.get("until"), now)
    except ValueError as exc:
        raise Failed(str(exc)) from None
    if since is not None and until is not None and until < since:
        raise Failed("until is before since — swap them or widen the window")
    grep = None
    if params.get("grep"):
        try:
            grep = re.compile(str(params["grep"]).encode("utf-8"))
        except re.error as exc:
            raise Failed(f"grep {params['grep']!r} is not a valid regex ({exc})") from None
    from toolkit.redact import Redactor

    assign = bool(params.get("assign", False))
    redactor = Redactor()
    summary = lp.Summary(redactor.text, redact_lines=redactor.lines) \
        if params.get("summary", True) or assign else None
    files, missing, refused = fs.expand(paths, bool(params.get("rotated", True)),
                                     bool(params.get("follow_symlinks", False)))
    if not files and not refused:
        raise Skipped(f"no log file matches {', '.join(paths)} — check the paths")
    files = rotation_order(files)
    budget = int(params.get("max_total_bytes") or 0)
    per_file = int(params.get("max_bytes") or 0)
    entries: list[dict[str, Any]] = list(refused)
    used: set[str] = set()
    newer: dict[str, float] = {}  # rotation chain → first time of its newest file read
    for path, real in files:
        limit = min(per_file, budget)
        opts = Options(since, until, grep, limit, summary, assign)
        chain = _ROTATION.sub("", str(path))
        try:
            entry = gather_file(ctx, path, opts, used, real, newer.get(chain))
        except PermissionError:
            entry = {"path": str(path), "skipped": "permission denied — run as administrator "
                     "or root, or copy the file somewhere readable and give that path"}
        except fs.Changed as exc:
            entry = {"path": str(path), "skipped": f"not read: {exc}"}
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            entry = {"path": str(path), "skipped": f"cannot read it: {exc}"}
        if entry.get("cut") and limit < per_file:
            entry["cut"]["reason"] = "max_total_bytes"
        budget -= entry.get("bytes_kept", 0)
        first = entry.pop("_first", None)
        if first is not None:
            newer[chain] = first  # files come newest first: the next one is older
        entries.append(entry)
    for entry in entries:  # patterns merge as lines come: each line's id once all are read
        if "_patterns" in entry:
            entry["line_patterns"] = rd.line_ids(entry.pop("_patterns"))
    kept = [e for e in entries if e.get("saved")]
    extra = {}
    if assign and summary is not None:
        live = sorted(summary.miner.live(), key=lambda p: (-p.count, p.id))
        extra["patterns"] = [lp.describe(p) for p in live]
    return {
        "window": {"since": lp.iso(since), "until": lp.iso(until)},
        "files": entries,
        "missing": missing,
        "totals": {"files": len(kept), "lines_kept": sum(e["lines_kept"] for e in kept),
                   "bytes_kept": sum(e["bytes_kept"] for e in kept),
                   "truncated": any(e.get("cut") for e in entries)},
        "summary": summary.result() if summary and params.get("summary", True) else None,
        **extra,
    }


COLLECTOR = Collector(
    name="logs.files",
    output=OUTPUT,
    summary="Time-windowed, size-bounded slices of text log files, with an error summary",
    gather=gather,
    needs=Needs(powers=("read-any-path",)),  # it reads whatever paths it is given
    params=(
        Param("paths", "list", (), "log files or globs, e.g. /var/log/syslog,/var/log/app/*.log"),
        Param("since", "str", None, "keep lines from this time: ISO 8601, epoch, or an age (2h)"),
        Param("until", "str", None, "keep lines up to this time (same forms as since)"),
        Param("max_bytes", "int", 16 * 1024 * 1024, "keep at most this much of each file (newest)",
              min=1),
        Param("max_total_bytes", "int", 64 * 1024 * 1024, "keep at most this much in the step",
              min=1),
        Param("grep", "str", None, "keep only lines matching this regex"),
        Param("summary", "bool", True, "count severities and the top recurring error and "
              "warning patterns, with their variables' values"),
        Param("assign", "bool", False, "give each kept line the id of its pattern "
              "(files[].line_patterns) and list every pattern (patterns)"),
        Param("rotated", "bool", True, "also gather NAME.1, NAME.2.gz… beside a plain path"),
        Param("follow_symlinks", "bool", False,
              "follow symbolic links that lead out of the folder a path names"),
    ),
    plan=plan,
    doc=__doc__ or "",
)
