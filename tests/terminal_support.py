"""A supportkit command on a real pseudo-terminal (pexpect), typed as a person would:
the transcript tests of the ticket lifecycle and of the guided run share it."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pexpect

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Terminal:
    """One command on a pty; ``transcript`` is everything it showed, colours and cursor
    moves removed. ``env`` is added to this process's environment."""

    def __init__(self, *args: str, cwd: Path | None = None, timeout: float = 60,
                 dimensions: tuple[int, int] = (24, 80), **env: str) -> None:
        self.log = io.StringIO()
        self.child = pexpect.spawn(sys.executable, ["-m", "toolkit", *args],
                                   env={**os.environ, **env}, encoding="utf-8",
                                   timeout=timeout, dimensions=dimensions,
                                   cwd=str(cwd) if cwd else None)
        self.child.logfile_read = self.log

    def answer(self, prompt: str, text: str) -> None:
        self.child.expect(prompt)
        self.child.sendline(text)

    def expect(self, pattern: str) -> None:
        self.child.expect(pattern)

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    @property
    def transcript(self) -> str:
        return ANSI.sub("", self.log.getvalue()).replace("\r\n", "\n")
