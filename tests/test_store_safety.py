"""The ticket store on disk: private files, no symbolic links followed, and a file that
is not a supportkit store gets one line and exit 2 (and is left as it was)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from tickets_support import make_bundle, new_ticket


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _one_line(r, code: int = 2) -> None:
    assert r.code == code, (r.code, r.out, r.err)
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1, r.err
    assert "internal error" not in r.err


def _random(p: Path) -> None:
    p.write_bytes(os.urandom(8192))


def _truncated(p: Path) -> None:
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE t (x)")
    con.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    con.commit()
    con.close()
    p.write_bytes(p.read_bytes()[:5000])


def _other_program(p: Path) -> None:
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE tickets (a)")  # a helpdesk's own table of the same name
    con.execute("CREATE TABLE customers (name)")
    con.commit()
    con.close()


def _unrelated(p: Path) -> None:
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE photos (path)")
    con.commit()
    con.close()


def _folder(p: Path) -> None:
    p.mkdir()


@pytest.mark.parametrize("make", [_random, _truncated, _other_program, _unrelated, _folder],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_file_that_is_not_a_ticket_store_is_one_line_and_left_alone(
        cli, tmp_path: Path, make) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "tickets.db"
    make(db)
    before = db.read_bytes() if db.is_file() else None
    # Named, or found as the folder's tickets.db (a folder named is where a store goes).
    for store in (folder,) if make is _folder else (db, folder):
        r = cli("ticket", "list", "--store", str(store))
        _one_line(r)
        assert str(db) in r.err
        assert "--store" in r.err or "backup" in r.err
    if before is not None:
        assert db.read_bytes() == before  # nothing added to someone else's database


def test_a_damaged_ticket_record_is_one_line(cli, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    tid = new_ticket(cli, "--store", str(db))["id"]
    con = sqlite3.connect(db)
    con.execute("UPDATE tickets SET data = '{not json' WHERE id = ?", (tid,))
    con.commit()
    con.close()
    r = cli("ticket", "show", tid, "--store", str(db))
    _one_line(r)
    assert "is damaged or not a database" in r.err and str(db) in r.err


def test_the_store_and_its_bundle_copies_are_private(cli, tmp_path: Path) -> None:
    from toolkit.tickets.store import SQLiteStore

    home = tmp_path / "new-home"
    db = home / "tickets.db"
    tid = new_ticket(cli, "--store", str(db))["id"]
    bundle, _ = make_bundle(tmp_path / "b")
    assert cli("ticket", "attach", tid, str(bundle), "--store", str(db)).code == 0
    store = SQLiteStore(db)  # held open: SQLite keeps its -wal and -shm while it is
    try:
        store.get(tid)
        for sidecar in ("tickets.db-wal", "tickets.db-shm"):
            assert _mode(home / sidecar) == 0o600, sidecar
    finally:
        store.close()
    assert _mode(home) == 0o700 and _mode(db) == 0o600
    files = home / "tickets-files"
    assert _mode(files) == 0o700
    (copy,) = files.iterdir()
    assert _mode(copy) == 0o600


def test_a_kb_draft_is_private(_isolated_home: Path) -> None:
    from toolkit.tickets import kbdraft
    from toolkit.tickets.model import Ticket

    t = Ticket(id="SUP-000009", title="x", created_at="", updated_at="", reported_at="",
               solution={"text": "did it", "steps": ["did it"]})
    _, path, created = kbdraft.write(t)
    assert created and _mode(path) == 0o600 and _mode(path.parent) == 0o700


@pytest.mark.parametrize("where", ["store", "folder", "wal", "files"])
def test_a_symbolic_link_in_the_store_path_is_refused(cli, tmp_path: Path, where: str) -> None:
    real = tmp_path / "real"
    real.mkdir()
    new_ticket(cli, "--store", str(real / "tickets.db"))
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    if where == "store":
        store = tmp_path / "link.db"
        store.symlink_to(real / "tickets.db")
    elif where == "folder":
        (tmp_path / "linkdir").symlink_to(real)
        store = tmp_path / "linkdir" / "tickets.db"
    elif where == "wal":
        (real / "tickets.db-wal").symlink_to(victim)
        store = real / "tickets.db"
    else:
        os.rename(real / "tickets-files", tmp_path / "elsewhere")
        (real / "tickets-files").symlink_to(tmp_path / "elsewhere")
        store = real / "tickets.db"
    r = cli("ticket", "list", "--store", str(store))
    _one_line(r)
    assert "is a symbolic link" in r.err and "never follows one" in r.err
    assert victim.read_bytes() == b"precious"
