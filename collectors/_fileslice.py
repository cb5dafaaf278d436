"""Slicing one text file by time: find the files a path or glob names, seek by the
timestamps of their lines, and copy the part in a window to a file of its own.

Generic over line formats (a ``TimeFormat`` of ``_logtime``): nothing here knows what
the lines mean. ``logs.files`` uses it; so can any collector that gathers text logs.
Memory stays bounded whatever the size: plain files are searched by seeking (binary
search on the timestamps, when samples show the lines in time order) and copied in
blocks; ``.gz`` files, small files and merged logs are read through.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from collectors import _logparse as lp

BLOCK = 1 << 20
MAX_LINE = 1 << 20  # a "line" longer than this is cut: memory stays bounded
SEEK_FROM = 8 * 1024 * 1024  # smaller files are read through: simpler, and order-proof
_ROTATED = re.compile(r"^(?:[.-]\d+(?:\.gz)?|\.gz|-\d{8}(?:\.gz)?)$")


@dataclass(frozen=True)
class Cut:
    """What to keep of one file: the lines stamped within ``since``..``until`` (read
    with ``fmt``, years inferred from ``ref``; lines without time go with the line
    before them), those matching ``grep``, and of those the newest ``max_bytes``."""

    fmt: lp.TimeFormat | None
    ref: float
    since: float | None
    until: float | None
    grep: re.Pattern[bytes] | None
    max_bytes: int

# ----------------------------------------------------------------------- finding files

def _named_folder(pattern: str) -> Path:
    """The folder a pattern names: the part before its first wildcard, or a plain
    path's folder. Symbolic links found under it may not lead out of it."""
    parts = Path(pattern).parts
    for i, part in enumerate(parts):
        if glob.has_magic(part):
            return Path(*parts[:i]) if i else Path(".")
    return Path(pattern).parent


def expand(patterns: list[str], rotated: bool = True, follow: bool = False
           ) -> tuple[list[tuple[Path, Path]], list[str], list[dict[str, Any]]]:
    """Files named by the patterns, newest first, as (the path as named, the real file);
    the patterns that matched nothing; the files refused because a symbolic link leads
    out of the folder the pattern names (``follow`` lifts that)."""
    found: dict[str, tuple[Path, Path]] = {}
    missing: list[str] = []
    refused: list[dict[str, Any]] = []
    for pattern in patterns:
        full = os.path.expanduser(os.path.expandvars(pattern))
        hits = sorted(glob.glob(full)) if glob.has_magic(full) else (
            [full] if os.path.exists(full) else [])
        if rotated and not glob.has_magic(full):
            # syslog.1, syslog.2.gz, syslog-20241103: what logrotate leaves beside it
            base = Path(full)
            siblings = glob.glob(glob.escape(full) + "[.-]*")
            hits += [s for s in siblings if _ROTATED.match(Path(s).name[len(base.name):])]
        files = [Path(h) for h in hits if os.path.isfile(h)]
        if not files:
            missing.append(pattern)
        root = _named_folder(full).resolve()
        for f in files:
            real = f.resolve()
            if not follow and not real.is_relative_to(root):
                # As root, a link planted in a user-writable log folder would otherwise
                # pack /etc/shadow into the bundle.
                refused.append({"path": str(f), "skipped": (
                    f"a symbolic link to {real}, outside {root} — not followed "
                    "(follow_symlinks=true follows it)")})
                continue
            found.setdefault(str(real), (f, real))

    def mtime(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    ordered = sorted(found.values(), key=lambda pair: (-mtime(pair[1]), str(pair[0])))
    return ordered, missing, refused


class Changed(OSError):
    """The file was replaced between the check and the read."""


def open_checked(path: Path, ident: tuple[int, int]) -> IO[bytes]:
    """Open ``path`` (a resolved file) for reading only if it is still the file that
    was checked: no symbolic link in its last part, same device and inode."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != ident:
        os.close(fd)
        raise Changed(f"{path} was replaced while it was being read")
    return os.fdopen(fd, "rb")


def is_gzip(fh: IO[bytes]) -> bool:
    head = fh.read(2)
    fh.seek(0)
    return head == b"\x1f\x8b"


def binary_reason(head: bytes) -> str | None:
    if b"\0" in head:
        return "binary file (NUL bytes in its first 8 KB) — not a text log"
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls / len(head) > 0.1:
        return "binary file (control bytes in its first 8 KB) — not a text log"
    return None


# ----------------------------------------------------------------------- seeking by time

def next_stamp(fh: IO[bytes], pos: int, stop: int, fmt: lp.TimeFormat,
                ref: float) -> tuple[int, float] | None:
    """Offset and time of the first timestamped line starting after ``pos`` (and before stop)."""
    fh.seek(pos)
    if pos:
        fh.readline(MAX_LINE)  # the rest of a line cut by the seek
    offset = fh.tell()
    while offset < stop and offset - pos < 4 * BLOCK:
        line = fh.readline(MAX_LINE)
        if not line:
            return None
        when = lp.stamp(fmt, line, ref)
        if when is not None:
            return offset, when
        offset += len(line)
    return None


def seek_time(fh: IO[bytes], size: int, target: float, fmt: lp.TimeFormat, ref: float,
              after: bool = False) -> int:
    """Offset of the first line stamped at or after ``target`` (strictly after
    with ``after``); lines without a time belong to the line before them.

    Binary search on the byte offsets, so a 2 GB file costs a few dozen reads.
    Assumes lines are roughly in time order, as a log is.
    """
    def before(when: float) -> bool:
        return when <= target if after else when < target

    lo, hi = 0, size
    while hi - lo > 64 * 1024:
        mid = (lo + hi) // 2
        found = next_stamp(fh, mid, hi, fmt, ref)
        if found is not None and before(found[1]):
            lo = found[0]
        else:
            hi = mid
    fh.seek(lo)
    if lo:
        fh.readline(MAX_LINE)
    offset = fh.tell() if lo else 0
    while True:
        line = fh.readline(MAX_LINE)
        if not line:
            return size
        when = lp.stamp(fmt, line, ref)
        if when is not None and not before(when):
            return offset
        offset += len(line)


# ----------------------------------------------------------------------- writing slices

class TailWriter:
    """Keeps the newest ``limit`` bytes (whole lines) of what is written, on disk.

    The file grows to at most ~4× the limit before its old part is dropped,
    so the cost stays linear and memory holds one block.
    """

    def __init__(self, path: Path, limit: int) -> None:
        self.path, self.limit = path, limit
        self.fh: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed in finish()
        self.size = 0
        self.cut = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.size += len(data)
        if self.size > 4 * self.limit + BLOCK:
            self._keep_tail()

    def _keep_tail(self) -> None:
        self.fh.close()
        start = line_start(self.path, max(0, self.size - self.limit))
        if start:
            tmp = self.path.with_name(self.path.name + ".part")
            with open(self.path, "rb") as own:  # our own output file, not a source
                copy_range(own, tmp, start, self.size)
            os.replace(tmp, self.path)
            self.cut += start
            self.size -= start
        self.fh = open(self.path, "ab")  # noqa: SIM115

    def finish(self) -> tuple[int, int]:
        """Bytes kept and bytes cut."""
        if self.size > self.limit:
            self._keep_tail()
        self.fh.close()
        return self.size, self.cut


def line_start(path: Path, pos: int) -> int:
    """The first line start at or after ``pos``."""
    if pos == 0:
        return 0
    with open(path, "rb") as fh:
        fh.seek(pos - 1)
        if fh.read(1) == b"\n":
            return pos
        fh.readline(MAX_LINE)
        return fh.tell()


def copy_range(fin: IO[bytes], dst: Path, start: int, end: int) -> None:
    with open(dst, "wb") as fout:
        fin.seek(start)
        left = end - start
        while left > 0:
            block = fin.read(min(BLOCK, left))
            if not block:
                break
            fout.write(block)
            left -= len(block)


def lines_between(fh: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    fh.seek(start)
    pos = start
    while pos < end:
        line = fh.readline(min(MAX_LINE, end - pos))
        if not line:
            return
        pos += len(line)
        yield line



def ordered(fh: IO[bytes], size: int, fmt: lp.TimeFormat, ref: float) -> bool:
    """Whether 32 samples through the file come in time order (a minute of jitter
    allowed). Merged logs of several nodes are not; they are read through instead."""
    last = None
    for k in range(32):
        found = next_stamp(fh, size * k // 32, size, fmt, ref)
        if found is None:
            continue
        if last is not None and found[1] < last - 60:
            return False
        last = found[1]
    return True


def plain(fh: IO[bytes], size: int, out: Path, cut: Cut) -> tuple[int, int]:
    """Copy what ``cut`` keeps of a plain (seekable) file to ``out``: bytes kept and cut."""
    fmt, ref, since, until = cut.fmt, cut.ref, cut.since, cut.until
    windowed = fmt is not None and (since is not None or until is not None)
    if windowed and fmt and (size < SEEK_FROM or not ordered(fh, size, fmt, ref)):
        fh.seek(0)
        return read_through(fh, out, cut)
    start = seek_time(fh, size, since, fmt, ref) if fmt and since is not None else 0
    end = seek_time(fh, size, until, fmt, ref, after=True) \
        if fmt and until is not None else size
    if cut.grep is None:
        # The window is one byte range: copy its newest max_bytes, aligned to a line.
        first = max(start, end - cut.max_bytes)
        if first > start:
            fh.seek(first - 1)
            if fh.read(1) != b"\n":
                fh.readline(MAX_LINE)
            first = min(fh.tell(), end)
        copy_range(fh, out, first, end)
        return end - first, first - start
    tail = TailWriter(out, cut.max_bytes)
    for line in lines_between(fh, start, max(start, end)):
        if cut.grep.search(line):
            tail.write(line)
    return tail.finish()


def read_through(fh: IO[bytes], out: Path, cut: Cut) -> tuple[int, int]:
    """Read a file through, keeping the lines in the window (a line without time
    goes with the line before it). For compressed files, small files and files
    whose lines are not in time order; never stops early, for the same reason."""
    tail = TailWriter(out, cut.max_bytes)
    fmt, ref, since, until, grep = cut.fmt, cut.ref, cut.since, cut.until, cut.grep
    when: float | None = None
    for line in iter(lambda: fh.readline(MAX_LINE), b""):
        if fmt is not None:
            when = lp.stamp(fmt, line, ref) or when
        if since is not None and (when is None or when < since):
            continue
        if until is not None and (when is None or when > until):
            continue
        if grep is None or grep.search(line):
            tail.write(line)
    return tail.finish()
