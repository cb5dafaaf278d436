"""The ticket store's files on disk: private, never through a link, damage named.

The store holds people's names, machines and error messages, and supportkit
often runs as root; so:

* what it creates is private: the database (and so SQLite's ``-wal`` and
  ``-shm``, which SQLite gives the database's mode), the bundle copies in
  ``<store>-files/`` are 0600, the folders it creates 0700. Existing files
  keep their mode (a team may share a store on purpose);
* a store path, its folder, its ``-wal``/``-shm``/``-journal`` or its
  ``-files`` folder that is a symbolic link is refused: as root, following a
  link someone planted would write the store over any file. The checks are
  ``lstat`` before opening; the database file is created here with
  ``O_EXCL|O_NOFOLLOW`` (SQLite then opens a file that is ours), and checked
  again after SQLite opened it, so a swap between check and open is caught.
  What remains is a folder others may write to, where they could swap files
  later: a folder writable by anyone without the sticky bit is refused;
* a file that is not a supportkit store — random bytes, a truncated copy, a
  folder, another program's SQLite database — is one line, exit 2, naming
  the file and what to do, never an internal error (and never gets our
  tables added to it).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

from toolkit.errors import BadInput

SIDECARS = ("-wal", "-shm", "-journal")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _refuse_link(path: Path, what: str) -> None:
    st = _lstat(path)
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise BadInput(f"{what} {path} is a symbolic link (to {os.readlink(path)}); the ticket "
                       "store never follows one", "give the real path with --store")


def prepare(given: Path) -> tuple[Path, tuple[int, int]]:
    """Check the store's path and create what is missing, privately, before SQLite opens
    it. Returns the database path (a folder given: its ``tickets.db``) and the file's
    identity (device, inode) for ``check_same``."""
    _refuse_link(given, "the ticket store")
    path = given / "tickets.db" if given.is_dir() else given
    _refuse_link(path, "the ticket store")
    _refuse_link(path.parent, "the ticket store's folder")
    files = path.with_name(path.stem + "-files")
    for extra in [path.with_name(path.name + s) for s in SIDECARS] + [files]:
        _refuse_link(extra, "the ticket store's")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        parent = os.lstat(path.parent)
        if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
            raise BadInput(f"the ticket store's folder {path.parent} is writable by anyone",
                           "keep the store in a folder only its users can write to")
        files.mkdir(mode=0o700, exist_ok=True)
        _refuse_link(files, "the ticket store's")  # made between the check and mkdir
        if not files.is_dir():
            raise BadInput(f"{files} is not a folder; the ticket store keeps its bundles "
                           "there", "move it aside or choose another store with --store")
        st = _lstat(path)
        if st is None:
            try:
                os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
            except FileExistsError:
                pass  # another process made it first: checked below like any store
            st = os.lstat(path)
    except OSError as exc:
        raise BadInput(f"cannot open the ticket store {path}: {exc.strerror or exc}",
                       "check the path and its permissions, or choose another with --store") \
            from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInput(f"the ticket store {path} is a folder, not a database file",
                       "move it aside or give the store's file with --store")
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(f"the ticket store {path} is not a regular file",
                       "give a database file with --store")
    return path, (st.st_dev, st.st_ino)


def check_same(path: Path, identity: tuple[int, int]) -> None:
    """The file SQLite opened is the one ``prepare`` checked (no swap in between)."""
    st = _lstat(path)
    if st is None or stat.S_ISLNK(st.st_mode) or (st.st_dev, st.st_ino) != identity:
        raise BadInput(f"the ticket store {path} was replaced while it was being opened",
                       "check who else writes in its folder, then try again")


def damaged(path: Path, exc: sqlite3.DatabaseError) -> BadInput:
    """A store SQLite cannot read: random bytes, a truncated copy, a damaged page."""
    return BadInput(f"the ticket store {path} is damaged or not a database ({exc})",
                    "restore it from a backup, or move it aside to start a new store "
                    f"('sqlite3 {path} \"PRAGMA integrity_check\"' tells what is wrong)")


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse another program's database before our tables are added to it."""
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise BadInput(f"{path} is a database of another program (tables: {shown}), not a "
                       "supportkit ticket store", "choose another file with --store")


def private_file(path: Path) -> int:
    """A new file only its owner can read, never through a link: an open descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)


def fault(point: str) -> None:
    """Fault injection for the crash tests: ``SUPPORTKIT_FAULT=attach:after-rename``
    kills this process at that point, as ``kill -9`` would."""
    if os.environ.get("SUPPORTKIT_FAULT") == point:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        time.sleep(10)  # SIGTERM on Windows is asynchronous


def pid_gone(pid: int) -> bool:
    import psutil

    return not psutil.pid_exists(pid)
