"""Reading one text log into a ``Summary``: what its lines look like (time format,
header shape, the year of year-less stamps), then every line, redacted in batches.

``logs.files`` reads its saved slices through this, and so does ``supportkit logs
patterns`` on any file: both give the same patterns to the same lines.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from collectors import _fileslice as fs
from collectors import _logheaders as lh
from collectors import _logparse as lp
from collectors import _logtemplates as lt

SNIFF = 64 * 1024
_BATCH = 2000  # lines redacted at once
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Look:
    """What the lines of one file look like."""

    fmt: lp.TimeFormat | None
    ref: float  # what ``stamp`` needs (the year of year-less stamps comes from it)
    year_source: str | None  # line | rotation | mtime; None: the stamps carry their year
    shape: lh.Shape | None  # the header shape most lines have

    @property
    def header(self) -> str | None:
        return self.shape.name if self.shape else None


def _head_lines(head: bytes) -> list[bytes]:
    return head.splitlines()[:-1] or [head]


def last_line(src: IO[bytes], compressed: bool, size: int) -> bytes | None:
    """The last non-empty line of a file: its tail for a plain file; a compressed one
    is read through in blocks (no per-line work)."""
    tail = b""
    if compressed:
        for block in iter(lambda: src.read(fs.BLOCK), b""):
            tail = (tail + block)[-SNIFF:]
    else:
        src.seek(max(0, size - SNIFF))
        tail = src.read(SNIFF)
    src.seek(0)
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def look(head: bytes, last: bytes | None, mtime: float,
         newer_first: float | None = None) -> Look:
    """How to read a file from its first ``SNIFF`` bytes and its last line."""
    lines = _head_lines(head)
    fmt = lp.sniff(lines, mtime)
    ref, source = mtime, None
    if fmt is not None:
        ref, source = lp.year_reference(fmt, lines[:400], last, mtime, newer_first)
    rests = []
    for raw in lines[:400]:
        text = raw.decode("utf-8", errors="replace")
        start = lp.stamp_at(fmt, text, ref)[1] if fmt is not None else 0
        rests.append(text[start:])
    return Look(fmt, ref, source, lh.sniff(rests))


def _batches(fh: IO[bytes]) -> Iterator[list[str]]:
    """The lines of ``fh`` in lists, each line at most ``fs.MAX_LINE`` bytes (a longer
    one is cut into pieces, as ``readline(MAX_LINE)`` would): read and decoded in blocks,
    which costs a fraction of a ``readline`` and a ``decode`` per line."""
    carry = b""
    while True:
        block = fh.read(_BLOCK)
        if not block:
            break
        block = carry + block
        cut = block.rfind(b"\n") + 1
        if not cut:
            if len(block) < fs.MAX_LINE:
                carry = block
                continue
            cut = len(block)
        carry = block[cut:]
        yield from _cut(block[:cut - 1] if block[cut - 1:cut] == b"\n" else block[:cut])
    if carry:
        yield from _cut(carry)


def _cut(data: bytes) -> Iterator[list[str]]:
    # "\n" is never part of a multi-byte character: decode first, then split
    text = data.decode("utf-8", errors="replace").split("\n")
    if len(data) >= fs.MAX_LINE and any(len(line) >= fs.MAX_LINE for line in text):
        text = [line[i:i + fs.MAX_LINE - 1] for line in text
                for i in range(0, max(len(line), 1), fs.MAX_LINE - 1)]
    for i in range(0, len(text), _BATCH):
        yield [line[:-1] if line.endswith("\r") else line for line in text[i:i + _BATCH]]


@dataclass
class Read:
    lines: int = 0
    first: float | None = None
    last: float | None = None
    patterns: list[lt.Pattern | None] | None = None  # each line's, when asked for


def feed(fh: IO[bytes], how: Look, summary: lp.Summary | None,
         assign: bool = False) -> Read:
    """Read ``fh`` through: lines, first and last time; every line into ``summary``
    (with ``assign``, the pattern of each line too)."""
    out = Read(patterns=[] if assign and summary is not None else None)
    when: float | None = None
    fmt, ref = how.fmt, how.ref
    for batch in _batches(fh):
        if summary is not None:
            batch = summary.clean(batch)
        for line in batch:
            out.lines += 1
            start = 0
            if fmt is not None:
                stamped, start = lp.stamp_at(fmt, line, ref)
                if stamped is not None:
                    when = stamped
                    out.first = when if out.first is None else out.first
                    out.last = when
            if summary is not None:
                pattern = summary.add(line, when, start, shape=how.shape, clean=True)
                if out.patterns is not None:
                    out.patterns.append(pattern)
    return out


def line_ids(patterns: list[lt.Pattern | None]) -> list[int | None]:
    """Each line's pattern id, once every line is read (patterns merge as they go)."""
    return [p.final().id if p is not None else None for p in patterns]


def read_file(path: Path, summary: lp.Summary, assign: bool) -> dict[str, Any]:
    """One file read through (``supportkit logs patterns``): what it looked like and
    what was read; binary files are skipped with the reason."""
    entry: dict[str, Any] = {"path": str(path), "skipped": None}
    with open(path, "rb") as raw:
        compressed = fs.is_gzip(raw)
        src: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed \
            else raw  # type: ignore[assignment]
        head = src.read(SNIFF)
        src.seek(0)
        why = fs.binary_reason(head[:8192])
        if why:
            entry["skipped"] = why
            return entry
        size = path.stat().st_size
        how = look(head, last_line(src, compressed, size), path.stat().st_mtime)
        got = feed(src, how, summary, assign)
    entry.update(format=how.fmt.name if how.fmt else None, header=how.header,
                 year_source=how.year_source, lines=got.lines,
                 first_time=lp.iso(got.first), last_time=lp.iso(got.last))
    if got.patterns is not None:
        entry["_patterns"] = got.patterns
    return entry
