"""The SQLite store: migrations, append-only history, many writers at once, and a
``kill -9`` in the middle of ``ticket attach``."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tickets_support import make_bundle, new_ticket, show

from toolkit.errors import SupportkitError
from toolkit.tickets.store import MIGRATIONS, SQLiteStore


def _proc(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "toolkit", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def _consistent(home: Path) -> tuple[set[str], set[str]]:
    """(sha256 of rows, sha256 of files) after a fresh open has reconciled the store."""
    store = SQLiteStore(home / "tickets.db")
    try:
        rows = {r[0] for r in store.conn.execute("SELECT sha256 FROM attachments")}
        missing = store.conn.execute("SELECT COUNT(*) FROM attachments WHERE missing = 1")
        assert missing.fetchone()[0] == 0
    finally:
        store.close()
    files = {p.name[:-4] for p in (home / "tickets-files").iterdir()}
    assert all(len(f) == 64 for f in files), files  # no temporary file is left over
    return rows, files


# --------------------------------------------------------------------------- schema

def test_migrations_apply_once_in_order_and_wal_is_on(_isolated_home: Path) -> None:
    store = SQLiteStore(_isolated_home / "tickets.db")
    names = [r[0] for r in store.conn.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
    assert names == [n for n, _ in MIGRATIONS]
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    store.close()
    store = SQLiteStore(_isolated_home / "tickets.db")  # a second open changes nothing
    assert store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == \
        len(MIGRATIONS)
    store.conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 'x')")
    store.close()
    with pytest.raises(SupportkitError, match="newer supportkit"):
        SQLiteStore(_isolated_home / "tickets.db")


def test_history_is_append_only(cli, _isolated_home: Path) -> None:
    new_ticket(cli)
    conn = sqlite3.connect(_isolated_home / "tickets.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE history SET by = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM history")
    conn.close()


def test_store_option_and_environment_choose_another_store(cli, tmp_path: Path,
                                                           monkeypatch) -> None:
    other = tmp_path / "team" / "cases.db"
    assert cli("ticket", "new", "--title", "a", "--no-collect", "--store", str(other)).code == 0
    assert other.is_file() and (tmp_path / "team" / "cases-files").is_dir()
    assert json.loads(cli("ticket", "list", "--json").out) == []
    monkeypatch.setenv("SUPPORTKIT_STORE", str(other))
    assert [r["title"] for r in json.loads(cli("ticket", "list", "--json").out)] == ["a"]


# --------------------------------------------------------------------------- concurrency

def test_twenty_processes_write_notes_to_one_ticket(cli) -> None:
    tid = new_ticket(cli)["id"]
    t0 = time.monotonic()
    procs = [_proc("ticket", "note", tid, "--text", f"note {i}", "--by", f"agent-{i}")
             for i in range(20)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    elapsed = time.monotonic() - t0
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [rc for rc, _ in results] == [0] * 20, results
    assert not any("locked" in err or "Error" in err for _, err in results)
    doc = show(cli, tid)
    assert sorted(n["text"] for n in doc["notes"]) == sorted(f"note {i}" for i in range(20))
    assert sum(h["action"] == "note" for h in doc["history"]) == 20
    assert doc["version"] == 21  # every write saw the one before it: no lost update
    print(f"20 concurrent note writers: {elapsed:.2f}s")


def test_ten_processes_attach_bundles_to_different_tickets(cli, tmp_path: Path,
                                                           _isolated_home: Path) -> None:
    pairs = []
    for i in range(10):
        tid = new_ticket(cli)["id"]
        bundle, _ = make_bundle(tmp_path / f"b{i}", ticket=tid)
        pairs.append((tid, bundle))
    procs = [_proc("ticket", "attach", tid, str(b), "--json") for tid, b in pairs]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    for tid, bundle in pairs:
        (att,) = show(cli, tid)["attachments"]
        assert att["name"] == bundle.name
    rows, files = _consistent(_isolated_home)
    assert len(rows) == 10 and rows == files


# --------------------------------------------------------------------------- crashes

@pytest.mark.parametrize("point", ["attach:after-copy", "attach:after-rename",
                                   "attach:after-commit"])
def test_kill_at_each_point_of_attach_leaves_the_store_consistent(
        cli, tmp_path: Path, _isolated_home: Path, point: str) -> None:
    tid = new_ticket(cli)["id"]
    bundle, _ = make_bundle(tmp_path / "b")
    p = _proc("ticket", "attach", tid, str(bundle), env={"SUPPORTKIT_FAULT": point})
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL
    files_before = sorted(x.name for x in (_isolated_home / "tickets-files").iterdir())
    assert files_before  # the crash left something behind to clean up …
    r = cli("ticket", "show", tid, "--json")  # … the next start repairs it
    doc = json.loads(r.out)
    rows, files = _consistent(_isolated_home)
    assert rows == files
    if point == "attach:after-commit":
        assert len(doc["attachments"]) == 1 and r.err == ""
    else:
        assert doc["attachments"] == [] and "ticket store repaired" in r.err
        assert cli("ticket", "attach", tid, str(bundle)).code == 0  # and it can be redone
        assert _consistent(_isolated_home)[0] == _consistent(_isolated_home)[1] != set()


def test_kill_at_random_moments_of_attach(cli, tmp_path: Path, _isolated_home: Path) -> None:
    tid = new_ticket(cli)["id"]
    rng = random.Random(4)
    bundles = [make_bundle(tmp_path / f"b{i}", big_bytes=8 << 20)[0] for i in range(3)]
    # Kill moments are drawn within the time one attach takes on this machine (however
    # loaded it is), so the kills land inside attaches, not after them.
    t0 = time.monotonic()
    assert _proc("ticket", "attach", tid, str(bundles[0])).wait(timeout=120) == 0
    span = time.monotonic() - t0
    killed = tries = 0
    while (killed < 4 or tries < 12) and tries < 60:
        p = _proc("ticket", "attach", tid, str(bundles[tries % 3]))
        tries += 1
        time.sleep(rng.uniform(0.02, 1.0) * span)
        if p.poll() is None:
            p.kill()
            killed += 1
        p.communicate(timeout=60)
        rows, files = _consistent(_isolated_home)
        assert rows == files, (tries, rows, files)
    assert killed >= 4  # the test really interrupted attaches
    doc = show(cli, tid)
    assert {a["sha256"] for a in doc["attachments"]} == _consistent(_isolated_home)[0]


def test_a_row_whose_file_vanished_is_reported_and_restored(cli, tmp_path: Path,
                                                             _isolated_home: Path) -> None:
    tid = new_ticket(cli)["id"]
    bundle, _ = make_bundle(tmp_path / "b")
    doc = json.loads(cli("ticket", "attach", tid, str(bundle), "--json").out)
    sha = doc["attachments"][0]["sha256"]
    (_isolated_home / "tickets-files" / f"{sha}.zip").unlink()
    r = cli("ticket", "show", tid, "--json")
    assert f"bundle {sha[:12]}… is missing" in r.err
    doc = json.loads(r.out)
    assert doc["attachments"][0]["missing"] is True
    assert doc["history"][-1]["action"] == "attachment_missing"
    assert "MISSING" in cli("ticket", "export", tid).out
    r = cli("ticket", "show", tid)
    assert "missing" not in r.err  # reported once, then recorded
    assert cli("ticket", "attach", tid, str(bundle)).code == 0
    doc = show(cli, tid)
    assert doc["attachments"][0]["missing"] is False
    assert doc["history"][-1]["action"] == "attachment_restored"
