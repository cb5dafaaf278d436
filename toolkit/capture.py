"""Run one command with its output streamed to a capped file: the memory of the
process stays flat whatever the command prints (``yes``, ``cat /dev/zero``).

What is kept (docs/security.md › Bounds): the **newest** ``cap`` bytes of stdout,
the end of what the command printed — where a log, ``dmesg`` or a failing command
says what matters, and what supportkit always kept. When the output is cut, the
partial first line is dropped too, so line parsers see whole lines; the command
record says ``truncated`` with the bytes printed and kept. stderr keeps its newest
``err_cap`` bytes, in memory.

On disk the newest part lives in segments of ``cap / 16``; the oldest is dropped as
new ones fill, so a run never holds much more than ``cap`` per command on disk
either.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CHUNK = 1 << 16
_ALIGN_WITHIN = 1 << 20  # look this far for the end of a cut first line
_DRAIN_S = 2.0  # after a command ends, how long its pipes may stay open (a daemon child)


class OutputError(Exception):
    """The command's output has nowhere to go; the command did not run."""


@dataclass
class Captured:
    returncode: int | None
    timed_out: bool
    stdout_bytes: int  # what the command printed
    stdout_kept: int  # what the file holds
    stderr: bytes
    stderr_bytes: int
    error: str = ""

    @property
    def truncated(self) -> bool:
        return self.stdout_kept < self.stdout_bytes


class _Tail:
    """The newest ``cap`` bytes of a stream, on disk, in rotating segments."""

    def __init__(self, target: Path, cap: int) -> None:
        self.target, self.cap = target, max(1, cap)
        self.seg_size = max(1, min(self.cap, max(1 << 20, self.cap // 16)))
        self.segments: list[tuple[Path, int]] = []  # full segments, oldest first
        self.total = 0
        self._n = 0
        self._open()

    def _open(self) -> None:
        self._n += 1
        self.path = self.target.with_name(f"_{self.target.name}.{self._n}.seg")
        self.fh = open(self.path, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        view = memoryview(data)
        while view:
            piece = view[: self.seg_size - self.size]
            self.fh.write(piece)
            self.size += len(piece)
            view = view[len(piece):]
            if self.size == self.seg_size:
                self.fh.close()
                self.segments.append((self.path, self.size))
                self._open()
                # Drop the oldest segment once the newer ones hold the cap on their own.
                while self.segments and \
                        sum(n for _, n in self.segments[1:]) + self.size >= self.cap:
                    os.unlink(self.segments.pop(0)[0])

    def _chunks(self, skip: int) -> Iterator[bytes]:
        for path, _ in [*self.segments, (self.path, self.size)]:
            with open(path, "rb") as fh:
                if skip:
                    size = os.fstat(fh.fileno()).st_size
                    fh.seek(min(skip, size))
                    skip -= min(skip, size)
                while chunk := fh.read(_CHUNK):
                    yield chunk
            os.unlink(path)

    def finish(self) -> int:
        """Write the kept bytes to ``target``; returns how many."""
        self.fh.close()
        held = sum(n for _, n in self.segments) + self.size
        if not self.segments:
            os.replace(self.path, self.target)
            return self.size
        skip = max(0, held - self.cap)
        aligning = self.total > self.cap  # the first kept line was cut
        held_back: list[bytes] = []  # while looking for the end of that line
        kept = 0
        with open(self.target, "wb") as out:
            for chunk in self._chunks(skip):
                if aligning:
                    cut = chunk.find(b"\n")
                    if cut >= 0:
                        chunk, aligning, held_back = chunk[cut + 1:], False, []
                    elif sum(map(len, held_back)) + len(chunk) <= _ALIGN_WITHIN:
                        held_back.append(chunk)
                        continue
                    else:  # no lines to speak of (binary): keep every byte
                        chunk, aligning, held_back = b"".join([*held_back, chunk]), False, []
                out.write(chunk)
                kept += len(chunk)
            for chunk in held_back:  # the output ended inside its first kept line
                out.write(chunk)
                kept += len(chunk)
        return kept

    def abandon(self) -> None:
        """Keep nothing: the command was interrupted, or its output could not be written."""
        self.fh.close()
        for path, _ in [*self.segments, (self.path, self.size), (self.target, 0)]:
            Path(path).unlink(missing_ok=True)


class _Ring:
    """The newest ``cap`` bytes of a stream, in memory."""

    def __init__(self, cap: int) -> None:
        self.cap, self.buf, self.total = max(1, cap), bytearray(), 0

    def write(self, data: bytes) -> None:
        self.buf += data
        self.total += len(data)
        if len(self.buf) > 2 * self.cap:
            del self.buf[: -self.cap]

    def value(self) -> bytes:
        return bytes(self.buf[-self.cap:])


def _pump(stream: object, sink: _Tail | _Ring, lock: threading.Lock,
          state: dict[str, Any]) -> None:
    read = stream.read1  # type: ignore[attr-defined]
    while True:
        try:
            chunk = read(_CHUNK)
        except (OSError, ValueError):
            return
        if not chunk:
            return
        with lock:
            if state["closed"]:
                continue  # keep draining, so that the writer is not blocked, but keep nothing
            if state["write_error"]:
                sink.total += len(chunk)  # printed, not kept
                continue
            try:
                sink.write(chunk)
            except OSError as exc:  # a full disk: the command goes on, its output is lost
                state["write_error"] = exc.strerror or str(exc)


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    for p in family:
        try:
            p.kill()
        except psutil.Error:
            pass
    proc.kill()


def run(argv: Sequence[str], *, timeout: float, target: Path, cap: int, err_cap: int,
        env: Mapping[str, str] | None = None) -> Captured:
    """Run ``argv`` (never through a shell); stdout's kept part ends up in ``target``.

    Raises ``OutputError`` when ``target``'s folder cannot be written (nothing is
    started then), else what ``subprocess.Popen`` raises for a command that cannot
    start."""
    try:
        out = _Tail(target, cap)
    except OSError as exc:
        raise OutputError(f"cannot write its output in {target.parent}: "
                          f"{exc.strerror or exc}") from None
    err = _Ring(err_cap)
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                env=dict(env) if env is not None else None)
    except BaseException:
        out.abandon()
        raise
    lock, state = threading.Lock(), {"closed": False, "write_error": ""}
    pumps = [threading.Thread(target=_pump, args=(proc.stdout, out, lock, state), daemon=True),
             threading.Thread(target=_pump, args=(proc.stderr, err, lock, state), daemon=True)]
    for t in pumps:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        timed_out = True
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # stuck in the kernel (a dead NFS server)
            pass
    except BaseException:
        _kill_tree(proc)
        with lock:
            state["closed"] = True
            out.abandon()
        raise
    # EOF comes once every process holding the pipes has closed them.
    until = time.monotonic() + _DRAIN_S
    for t in pumps:
        t.join(timeout=max(0.0, until - time.monotonic()))
    left_open = any(t.is_alive() for t in pumps)
    with lock:
        state["closed"] = True
        try:
            kept = out.finish()
        except OSError as exc:
            state["write_error"], kept = state["write_error"] or exc.strerror or str(exc), 0
            out.abandon()
        if state["write_error"] and kept:  # what reached the disk before it filled up
            kept = target.stat().st_size if target.exists() else 0
    if not left_open:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    error = ""
    if state["write_error"]:
        error = f"its output could not be kept: {state['write_error']}"
    elif left_open and not timed_out:
        error = (f"its output stayed open after it ended (a background process holds it); "
                 f"reading stopped after {_DRAIN_S:g}s")
    return Captured(None if timed_out else proc.returncode, timed_out, out.total, kept,
                    err.value(), err.total, error)
