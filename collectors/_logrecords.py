"""What the structured-log collectors share (logs.journal, logs.eventlog, logs.macos).

Each of them turns a command's output (or a saved copy of it) into
``Record``s with a pure parser; ``digest`` then applies the time window and
the bounds (the **newest** ``max_entries`` / ``max_bytes`` are kept, as
logs.files keeps the newest part of a file), feeds the same
``_logparse.Summary`` as logs.files, and returns the common part of the
result::

    {
      "window": {"since": "…" | null, "until": "…" | null},
      "source": "live" | "<saved output path>",
      "entries": {"read": 5000, "in_window": 4800, "kept": 4000, "bytes_kept": 1048576,
                  "first_time": "…" | null, "last_time": "…" | null},
      "cut": {"entries": 800, "bytes": 400000,
              "reason": "max_bytes" | "max_entries" | "max_output",
              "kept": "newest" | "oldest", "note": "…"} | null,   # note: max_output only
      "saved": "journal.jsonl" | null,
      "sources": [{"name": "sshd.service", "count": 120, "errors": 7}],   # top 20
      "summary": {"severity": {…}, "top_errors": […], …} | null      # as logs.files
    }

The summary counts every entry in the window, including those cut by the
bounds: the count of a recurring error is the whole count.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from collectors import _logparse as lp
from toolkit.schema import INT, STR, arr, enum, nullable, obj, opt

TOP_SOURCES = 20

# The common part above, as data; each collector extends it (toolkit.schema.extend).
CUT = obj(entries=nullable(INT), bytes=nullable(INT),
          reason=enum("max_bytes", "max_entries", "max_output"), kept=enum("newest", "oldest"),
          note=opt(STR))  # output_cut: the command printed more than one output keeps
COMMON = obj(
    window=obj(since=nullable(STR), until=nullable(STR)), source=STR,
    entries=obj(read=INT, in_window=INT, kept=INT, bytes_kept=INT, first_time=nullable(STR),
                last_time=nullable(STR)),
    cut=nullable(CUT), saved=nullable(STR),
    sources=arr(obj(name=STR, count=INT, errors=INT)),
    summary=nullable(lp.SUMMARY),
)


@dataclass(frozen=True)
class Record:
    """One log entry, whatever the log: the parsers' common output."""

    when: float | None
    level: str | None  # one of _logparse.SEVERITIES; None: judged from the text
    source: str  # unit or identifier, event provider, process
    message: str
    raw: bytes  # the entry as it is saved in the bundle (one line, newline-terminated)


@dataclass(frozen=True)
class Bounds:
    since: float | None = None
    until: float | None = None
    max_entries: int = 10_000
    max_bytes: int = 16 * 1024 * 1024


@dataclass
class Digest:
    """What ``digest`` found: the kept raw lines (oldest first) and the result part."""

    kept: list[bytes]
    result: dict[str, Any]

    def raw(self) -> bytes:
        return b"".join(self.kept)


def window(params: dict[str, Any], now: float) -> tuple[float | None, float | None]:
    """``since``/``until`` of the params as epoch seconds; ValueError naming the fix."""
    since = lp.parse_when(params.get("since"), now)
    until = lp.parse_when(params.get("until"), now)
    if since is not None and until is not None and until < since:
        raise ValueError("until is before since — swap them or widen the window")
    return since, until


def digest(records: Iterable[Record], bounds: Bounds, summary: lp.Summary | None,
           more_before: bool = False) -> Digest:
    """Window, bound and summarise ``records`` (oldest first), in memory bounded by
    ``max_entries``/``max_bytes``. ``more_before``: the command already stopped
    at max_entries, so older entries in the window exist but were not read."""
    kept: deque[tuple[bytes, float | None]] = deque()
    size = read = in_window = cut_entries = cut_bytes = 0
    sources: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    reason = None
    for rec in records:
        read += 1
        if bounds.since is not None and rec.when is not None and rec.when < bounds.since:
            continue
        if bounds.until is not None and rec.when is not None and rec.when > bounds.until:
            continue
        in_window += 1
        level = rec.level or lp.severity(rec.message)
        sources[rec.source] += 1
        if level in ("critical", "error"):
            errors[rec.source] += 1
        if summary is not None:  # the source is a value of the pattern, not part of it
            summary.add(rec.message, rec.when, 0, level, source=rec.source)
        kept.append((rec.raw, rec.when))
        size += len(rec.raw)
        while kept and (len(kept) > bounds.max_entries or size > bounds.max_bytes):
            # the bound that made room last names the cut
            reason = "max_entries" if len(kept) > bounds.max_entries else "max_bytes"
            old, _ = kept.popleft()
            size -= len(old)
            cut_entries += 1
            cut_bytes += len(old)
    cut = None
    if cut_entries:
        cut = {"entries": cut_entries, "bytes": cut_bytes, "reason": reason, "kept": "newest"}
    elif more_before:
        cut = {"entries": None, "bytes": None, "reason": "max_entries", "kept": "newest"}
    times = [w for _, w in kept if w is not None]
    result = {
        "window": {"since": lp.iso(bounds.since), "until": lp.iso(bounds.until)},
        "entries": {"read": read, "in_window": in_window, "kept": len(kept), "bytes_kept": size,
                    "first_time": lp.iso(min(times)) if times else None,
                    "last_time": lp.iso(max(times)) if times else None},
        "cut": cut,
        "sources": [{"name": name, "count": n, "errors": errors[name]}
                    for name, n in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))
                    [:TOP_SOURCES]],
        "summary": summary.result() if summary is not None else None,
    }
    return Digest([raw for raw, _ in kept], result)


def new_summary(enabled: bool) -> lp.Summary | None:
    """The logs.files summary, with the default redaction rules cleaning its examples."""
    if not enabled:
        return None
    from toolkit.redact import Redactor

    redactor = Redactor()
    return lp.Summary(redactor.text, redact_lines=redactor.lines)


def output_cut(truncated: bool, newest_first: bool) -> dict[str, Any] | None:
    """The ``cut`` to report when the command printed more than the context keeps
    (``Context.max_output``, its last part kept): with newest-first output that
    part is the *oldest* entries, so say so plainly."""
    if not truncated:
        return None
    return {"entries": None, "bytes": None, "reason": "max_output",
            "kept": "oldest" if newest_first else "newest",
            "note": "the command printed more than supportkit keeps of one output — "
                    "narrow since/until or lower max_entries"}


def one_line(text: str, limit: int = 2000) -> str:
    """A message on one line (multi-line messages would break line-wise redaction)."""
    return " ⏎ ".join(part.strip() for part in text.strip().splitlines() if part.strip())[:limit]
