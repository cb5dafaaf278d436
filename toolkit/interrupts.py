"""TERM and HUP end a command the way Ctrl-C does.

By default Python dies at once on SIGTERM and SIGHUP, before any ``finally``
or ``except BaseException`` runs: a half-written ``.NAME.zip.partial`` stays
behind. Inside ``terminate_as_interrupt()`` both raise ``KeyboardInterrupt``
in the main thread instead, so every cleanup on the way out runs and the CLI
reports "Interrupted" with exit 130, as for Ctrl-C. A signal that was ignored
when the command started (``nohup`` ignores HUP) stays ignored; a second
signal while the first one unwinds is ignored too, so cleanup is not cut
short (SIGKILL still ends everything).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its own signals still apply
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return
        fired.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous: dict[int, Any] = {}
    for sig in SIGNALS:
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
