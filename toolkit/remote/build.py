"""The one-file build ``supportkit remote`` copies: which file, what it is.

Found in this order: ``--binary FILE``; ``SUPPORTKIT_BINARY``; this program itself when
it is a one-file build (``sys.frozen``: the engineer runs the same file they copy).
``scripts/build-binary`` makes one.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit import __version__, version_line
from toolkit.errors import BadInput

# "one-file linux-x86_64 python3.11.7 …" → ("linux", "x86_64")
_TARGET = re.compile(r"\bone-file (\w+)-(\w+)\b")
_UNAME_OS = {"Linux": "linux", "Darwin": "macos"}
_UNAME_MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Build:
    path: Path
    version: str  # its --version line; "" when it cannot start here (another OS)
    sha256: str
    size: int

    def target(self) -> tuple[str, str] | None:
        m = _TARGET.search(self.version)
        return (m.group(1), m.group(2)) if m else None

    def runs_on(self, uname_s: str, uname_m: str) -> bool:
        """Whether a machine whose ``uname -s``/``-m`` say this can start the build
        (True when the build does not say what it is for)."""
        target = self.target()
        if target is None:
            return True
        machine = _UNAME_MACHINE.get(uname_m, uname_m)
        return target == (_UNAME_OS.get(uname_s, uname_s.lower()), machine)

    def space_kb(self) -> int:
        """Room it needs on the remote: the file, the copy PyInstaller unpacks next to
        it at each start (about twice its size), and the run's staging and bundle."""
        return (self.size * 4) // 1024 + 16 * 1024


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find(explicit: Path | None) -> Build | None:
    """The build to copy, or None when there is none (a supportkit already on the
    remote may still do)."""
    chosen = explicit or (Path(os.environ["SUPPORTKIT_BINARY"])
                          if os.environ.get("SUPPORTKIT_BINARY") else None)
    if chosen is None and getattr(sys, "frozen", False):
        chosen = Path(sys.executable)
    if chosen is None:
        return None
    if not chosen.is_file() or not os.access(chosen, os.R_OK):
        raise BadInput(f"{chosen}: not a readable file", "give the one-file build that "
                       "scripts/build-binary wrote (dist/supportkit-VERSION-OS-MACHINE)")
    if getattr(sys, "frozen", False) and chosen.resolve() == Path(sys.executable).resolve():
        version = version_line()
    else:
        version = _ask_version(chosen)
    return Build(chosen, version, _digest(chosen), chosen.stat().st_size)


def _ask_version(path: Path) -> str:
    try:
        proc = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except (OSError, subprocess.SubprocessError):
        return ""  # built for another system: it can still be copied there
    line = (proc.stdout.strip().splitlines() or [""])[0]
    if proc.returncode != 0 or not line.startswith("supportkit, version "):
        raise BadInput(f"{path} is not a supportkit build ('{path} --version' said "
                       f"{line or proc.stderr.strip()[:80]!r})", "give the file that "
                       "scripts/build-binary wrote")
    return line


def same_version(line: str) -> bool:
    """Whether a remote ``supportkit --version`` line is this version (any build of it:
    the bundle it writes is the same)."""
    mine = f"supportkit, version {__version__}"
    return line == mine or line.startswith(mine + " (")
