"""How a worker process starts: its command line, its environment, its import path.

supportkit runs as root in folders it does not own. A worker therefore starts
isolated from the caller (docs/security.md › Worker isolation):

- ``python -I``: neither the current folder nor the script's folder is on
  ``sys.path``, ``PYTHON*`` variables and the user's site-packages are ignored.
  A ``psutil.py``, ``json.py`` or ``collectors/`` planted in the folder where
  someone runs ``sudo supportkit`` is never imported. ``-B``: nothing is written
  into the folders code is imported from.
- Its working folder is the step's own folder inside the run's private (0700)
  staging folder (set by the caller).
- Its environment is an allow-list (``worker_env``): what collectors and the
  commands they run need, never a connector token.
- Code outside the default import path (a plugin found through ``PYTHONPATH`` in
  development and in the tests) is found because the parent names, in the
  request, the exact folder it imported that module from; never the current
  folder, never ``''``.
"""

from __future__ import annotations

import functools
import importlib.machinery
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

# Exact names a worker keeps. Collectors read SUPPORTKIT_HOME (kb, config) and
# XDG_DATA_HOME (paths.home()); the proxy variables are what net.http reports and
# uses; the rest is what commands need to find programs, speak the locale, know
# the time zone and the user, and write temporary files.
_KEEP = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "XDG_DATA_HOME",
    "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    "no_proxy", "NO_PROXY", "ftp_proxy", "FTP_PROXY",
    # CI runs the suite under faketime (LD_PRELOAD + FAKETIME*) to move the clock; a
    # worker must see the same clock as its parent, or "the last hour" differs between
    # them. It is the parent's own environment passed on, not the caller's folder.
    "LD_PRELOAD",
    # The non-secret settings toolkit code reads (grep os.environ): where things live,
    # which plugins load, which ticket store.
    "SUPPORTKIT_HOME", "SUPPORTKIT_PLUGINS", "SUPPORTKIT_DISABLE_ENTRYPOINTS",
    "SUPPORTKIT_STORE",
})
_KEEP_PREFIXES = ("LC_", "FAKETIME")
# Windows names are case-insensitive; Python on Windows needs SYSTEMROOT for sockets.
_KEEP_WINDOWS = frozenset({
    "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "PROGRAMDATA", "SYSTEMDRIVE", "TEMP", "TMP",
    "USERPROFILE", "USERNAME", "LOCALAPPDATA", "APPDATA", "PROGRAMFILES", "PROGRAMFILES(X86)",
    "PROGRAMW6432", "COMMONPROGRAMFILES", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
})
# A one-file build (PyInstaller) unpacks itself once into a private folder and marks
# its own environment so that the same file started again from it (a worker) runs from
# that folder instead of unpacking a second copy as a new, separate program — whose
# process would then not be the child of the run (the worker checks its parent). Kept
# only in a frozen build; the worker takes them off again before it runs a command.
_KEEP_FROZEN = frozenset({
    "_PYI_ARCHIVE_FILE", "_PYI_APPLICATION_HOME_DIR", "_PYI_PARENT_PROCESS_LEVEL",
    "_PYI_LINUX_PROCESS_NAME", "LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG",
})
# Whatever the allow-list says, a name that looks like a secret stays behind.
_SECRETISH = re.compile(r"TOKEN|SECRET|PASSW|KEY|CREDENTIAL|COOKIE", re.I)


def worker_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a worker (and every command it runs) gets: an allow-list of
    ``base`` (default ``os.environ``), without anything that may be a secret."""
    source = dict(os.environ if base is None else base)
    from toolkit.config import connector_token_names

    tokens = connector_token_names()
    frozen = getattr(sys, "frozen", False)
    out = {}
    for name, value in source.items():
        keep = (name in _KEEP or name.startswith(_KEEP_PREFIXES)
                or name.upper() in _KEEP_WINDOWS or (frozen and name in _KEEP_FROZEN))
        if keep and name not in tokens and not _SECRETISH.search(name):
            out[name] = value
    return out


@functools.lru_cache(maxsize=4)
def _default_path(executable: str) -> tuple[str, ...]:
    """``sys.path`` of ``executable -I``: what a worker imports from without help.
    Asked once per process, from the interpreter itself (venvs, .pth files)."""
    try:
        proc = subprocess.run([executable, "-I", "-c", "import sys, json; "
                               "print(json.dumps(sys.path))"], capture_output=True,
                              timeout=30, check=True, env=worker_env(), cwd=os.sep,
                              stdin=subprocess.DEVNULL)
        return tuple(str(p) for p in json.loads(proc.stdout) if p)
    except (OSError, subprocess.SubprocessError, ValueError):
        return ()


class NotImportable(Exception):
    """A module the worker could not import the way the parent did; says why."""


def _root_of(module: Any) -> Path | None:
    """The ``sys.path`` folder a top-level module or package was imported from."""
    file = getattr(module, "__file__", None)
    if file:
        path = Path(file)
        return path.parent.parent if path.stem == "__init__" else path.parent
    locations = list(getattr(module, "__path__", []) or [])  # a namespace package
    return Path(locations[0]).parent if locations else None


def import_folders(module_names: list[str]) -> list[str]:
    """Folders a worker must put on ``sys.path`` to import these (already imported)
    modules from where this process did: only those its default path does not reach.

    Raises ``NotImportable`` for a module loaded from the current folder: a worker
    never imports from there."""
    if getattr(sys, "frozen", False):
        return []  # a one-file build carries every module it can import
    default = _default_path(sys.executable)
    try:
        cwd: Path | None = Path.cwd().resolve()
    except OSError:  # run from a folder that has been removed
        cwd = None
    out: list[str] = []
    for name in module_names:
        top = name.partition(".")[0]
        module = sys.modules.get(top)
        root = _root_of(module) if module is not None else None
        if root is None:
            continue  # built into the interpreter, or a loader without files: nothing to add
        spec = importlib.machinery.PathFinder.find_spec(top, list(default))
        theirs = spec.origin if spec is not None else None
        mine = getattr(module, "__file__", None)
        if theirs and mine and Path(theirs).resolve() == Path(mine).resolve():
            continue
        if not root.is_absolute() or (cwd is not None and root.resolve() == cwd):
            raise NotImportable(
                f"module {top} was loaded from the current folder ({cwd}), and workers never "
                "import from there — install it, or name its folder in PYTHONPATH and run "
                "from another folder")
        folder = str(root.resolve())
        if folder not in out:
            out.append(folder)
    return out


# Started with ``-c`` only when toolkit itself is outside the default path (a source
# tree on PYTHONPATH): the folders come as arguments, not from the environment.
_BOOT = ("import sys; sys.path[:0] = sys.argv[1:]; del sys.argv[1:]; "
         "from toolkit.run._worker import main; raise SystemExit(main())")


def frozen_worker_setup() -> None:
    """The first thing a one-file build does as a worker, before it reads its request:
    nothing but the build's own folder on ``sys.path``, and the environment the commands
    it runs get is the caller's again — without the build's library folder in
    ``LD_LIBRARY_PATH`` (a system ``smartctl`` must not load the build's libssl) and
    without the markers of the unpacked build."""
    home = getattr(sys, "_MEIPASS", None)
    if home:
        sys.path[:] = [p for p in sys.path
                       if p and os.path.abspath(p).startswith(os.path.abspath(home))]
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)
    for name in _KEEP_FROZEN - {"LD_LIBRARY_PATH"}:
        os.environ.pop(name, None)


# The hidden first argument that makes a one-file build its own worker
# (toolkit/cli/__init__.py:main): not an option, so no command line a person types has it.
FROZEN_WORKER_FLAG = "--supportkit-worker--"


def worker_command(toolkit_folders: list[str]) -> list[str]:
    """The command line of a worker process. The one place that knows how a worker
    starts: ``python -I -B -m toolkit.run._worker``, or, in a frozen one-file build
    (``sys.frozen``), the build itself with ``FROZEN_WORKER_FLAG``. A frozen build
    has no ``-I`` to give; it is isolated by construction: its ``sys.path`` holds only
    what the build carries (never the current folder, never ``PYTHONPATH``:
    PyInstaller starts Python with an isolated configuration, and the worker drops
    anything else before it imports a collector), it writes no bytecode, and its
    environment and core limit are set here and in the worker as for any other."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_WORKER_FLAG]
    if toolkit_folders:
        return [sys.executable, "-I", "-B", "-c", _BOOT, *toolkit_folders]
    return [sys.executable, "-I", "-B", "-m", "toolkit.run._worker"]
