"""How a run ends: whichever way it ends, it leaves nothing behind.

- ``signals()``: SIGTERM (``timeout``, systemd, ``kill``) and SIGHUP (a dropped SSH
  session) become ``Terminated`` in the main thread, as Ctrl-C becomes
  KeyboardInterrupt. Both unwind through every ``finally``: workers and what they
  started are stopped, the staging folder is removed, a half-written bundle
  (``.partial``) is deleted. The first stop signal wins; later ones are ignored so
  that they cannot cut the clean-up short (SIGKILL still can).
- ``shielded()``: a signal that arrives while clean-up code runs is held back and
  raised when that code is done.
- ``private_dir()``: staging folders are named ``supportkit-<kind>-<pid>-*``. After a
  SIGKILL nothing can clean up at that moment; the next run removes the folders
  whose process is gone (``remove_stale``), if they belong to the same user.

docs/security.md › Signals and clean-up says the same for users.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

from toolkit.errors import Terminated

_STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_STALE = re.compile(r"^supportkit-(?:run|collect)-(\d+)-")
_state = {"stopping": False, "shield": 0, "pending": 0}


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["stopping"]:
        return  # already on the way out: let the clean-up finish
    _state["stopping"] = True
    if _state["shield"]:
        _state["pending"] = signum
        return
    _raise(signum)


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum, _signal_name(signum))


@contextmanager
def signals() -> Iterator[None]:
    """Handle SIGINT, SIGTERM and SIGHUP as described above while the body runs.
    Only the main thread can set handlers; elsewhere the body runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for name in _STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is None:  # no SIGHUP on Windows
            continue
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue  # ignored when we started (nohup, a background job): stays ignored
        try:
            previous[sig] = signal.signal(sig, _handler)
        except (OSError, ValueError):
            continue
    _state.update(stopping=False, shield=0, pending=0)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _state.update(stopping=False, shield=0, pending=0)


class shielded:  # a context manager, named like contextlib's
    """Hold back a stop signal while the body runs; raise it afterwards, unless the
    body is already unwinding from an exception (the run is ending anyway)."""

    def __enter__(self) -> None:
        _state["shield"] += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _state["shield"] -= 1
        if _state["shield"] == 0 and _state["pending"]:
            signum, _state["pending"] = _state["pending"], 0
            if kind is None:
                _raise(signum)


def private_dir(kind: str) -> Path:
    """A new 0700 folder for one run's raw, unredacted data, named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"supportkit-{kind}-{os.getpid()}-"))


def _owner_alive(pid: int, st: os.stat_result) -> bool:
    import psutil

    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # cannot tell: leave it
    # A process that started after the folder last changed did not make it (pid reuse).
    return started <= st.st_mtime + 1


def remove_stale(base: Path | None = None) -> list[Path]:
    """Remove staging folders left by a supportkit process that no longer runs
    (killed with SIGKILL, or the machine lost power). Only this user's folders;
    a folder whose owner may still run is left alone."""
    from toolkit import _platform

    base = Path(base or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return []
    for entry in entries:
        found = _STALE.match(entry.name)
        if not found or int(found.group(1)) == os.getpid():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or not _platform.owned_by_me(st):
            continue
        if _owner_alive(int(found.group(1)), st):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def remove_dir(path: Path) -> None:
    """Remove a staging folder; a signal cannot interrupt it half-way."""
    with shielded():
        shutil.rmtree(path, ignore_errors=True)
