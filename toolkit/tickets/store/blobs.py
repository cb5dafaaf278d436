"""The bundles of a store: kept content-addressed, ``<store>-files/<sha256>.zip``.

Attach writes a temporary file, fsyncs it, and then, inside the write transaction,
renames it into place and inserts the row. A process killed at any point leaves
either a temporary file (removed at the next open once its process is gone) or a
file whose row was never committed (removed at the next open, under the write lock,
when no row names it); a row whose file disappeared is marked missing and reported.
A mixin of ``SQLiteStore``: it uses the store's transactions.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from toolkit import _platform
from toolkit.errors import BadInput, SupportkitError
from toolkit.tickets.model import Attachment, Ticket, now_utc
from toolkit.tickets.store import files as storefs
from toolkit.tickets.store.interface import AttachRequest, Changes

T = TypeVar("T")
STALE_TEMP_S = 24 * 3600
_fault, _pid_gone = storefs.fault, storefs.pid_gone


class BundleFiles:
    # What the store that mixes this in provides.
    files: Path
    conn: sqlite3.Connection
    _write: Callable[..., Any]
    _read: Callable[..., Any]
    _load: Callable[..., Ticket]
    _resolve_id: Callable[..., str]
    _save: Callable[..., None]

    def file_of(self, att: Attachment) -> Path:
        return self.files / att.path

    def _copy_in(self, src: Path) -> tuple[Path, str, int]:
        """Copy ``src`` to a fsynced temporary file in the store; (temp, sha256, size)."""
        import hashlib

        tmp = self.files / f".tmp-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}"
        digest, size = hashlib.sha256(), 0
        try:
            with open(src, "rb") as fin, os.fdopen(storefs.private_file(tmp), "wb") as fout:
                for chunk in iter(lambda: fin.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    fout.write(chunk)
                fout.flush()
                os.fsync(fout.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, FileNotFoundError) and not src.exists():
                raise BadInput(f"{src}: no such file", "check the bundle path") from None
            raise SupportkitError(f"cannot copy {src} into the ticket store: "
                                  f"{exc.strerror or exc}", "free some space or check "
                                  f"the permissions of {self.files}") from None
        return tmp, digest.hexdigest(), size

    def attach(self, req: AttachRequest) -> tuple[Ticket, Attachment, bool]:
        """Copy a bundle in; returns (ticket, attachment, added) — ``added`` is False
        when this ticket already had this exact bundle."""
        tmp, sha, size = self._copy_in(req.bundle)
        try:
            meta = req.inspect(tmp) if req.inspect else {}
            _fault("attach:after-copy")
            final = self.files / f"{sha}.zip"

            def commit(conn: sqlite3.Connection) -> tuple[Ticket, Attachment, bool]:
                t = self._load(conn, self._resolve_id(conn, req.ticket_id))
                known = next((a for a in t.attachments if a.sha256 == sha), None)
                if known is not None and not known.missing:
                    return t, known, False
                if final.exists():
                    tmp.unlink()
                else:
                    os.replace(tmp, final)
                    _platform.fsync_dir(self.files)
                _fault("attach:after-rename")
                ch = Changes(req.by)
                att = Attachment(sha256=sha, size=size, name=req.bundle.name,
                                 path=final.name, added_at=ch.at, added_by=req.by,
                                 source=req.source, **meta)
                if known is not None:  # the file had gone missing: it is back
                    conn.execute("UPDATE attachments SET missing = 0 WHERE ticket_id = ? "
                                 "AND sha256 = ?", (t.id, sha))
                    known.missing = False
                    ch.log("attachment_restored", sha256=sha)
                else:
                    conn.execute("INSERT INTO attachments (ticket_id, sha256, added_at, data) "
                                 "VALUES (?,?,?,?)", (t.id, sha, att.added_at, json.dumps(
                                     {k: v for k, v in asdict(att).items() if k != "missing"},
                                     ensure_ascii=False, default=str)))
                    t.attachments.append(att)
                    ch.log("attached", sha256=sha, name=att.name, size=size,
                           playbook=att.playbook, source=req.source)
                if req.then is not None:
                    req.then(t, ch, att)
                self._save(conn, t, ch, t.version)
                return t, att, known is None
            result = self._write(commit)
            _fault("attach:after-commit")
            return result
        finally:
            tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------- consistency
    def _scan(self) -> tuple[list[Path], set[str], dict[str, bool]]:
        temps, blobs = [], set()
        for entry in os.scandir(self.files):
            if entry.name.startswith(".tmp-"):
                temps.append(Path(entry.path))
            elif entry.name.endswith(".zip") and len(entry.name) == 68:
                blobs.add(entry.name[:-4])
        rows: dict[str, bool] = {}
        for r in self.conn.execute("SELECT sha256, missing FROM attachments"):
            rows[r[0]] = rows.get(r[0], True) and bool(r[1])
        return temps, blobs, rows

    def _stale(self, tmp: Path) -> bool:
        """A temporary file whose attach died: on this host, its process is gone; written
        from another host (a shared store), it is old. A live attach's file is never
        stale, whatever the clock says (it may have jumped since the file was made)."""
        try:
            host, pid, _ = tmp.name[len(".tmp-"):].rsplit("-", 2)
            if host == socket.gethostname():
                return _pid_gone(int(pid))
            return time.time() - tmp.stat().st_mtime > STALE_TEMP_S
        except (ValueError, OSError):
            return False

    def reconcile(self) -> list[str]:
        """Repair what an interrupted attach left behind; describe each repair."""
        temps, blobs, rows = self._read(lambda conn: self._scan())
        stale = [t for t in temps if self._stale(t)]
        orphans = blobs - set(rows)
        lost = {sha for sha, missing in rows.items() if not missing and sha not in blobs}
        back = {sha for sha, missing in rows.items() if missing and sha in blobs}
        done = []
        for tmp in stale:
            tmp.unlink(missing_ok=True)
            done.append(f"removed {tmp.name}, left by an attach that was interrupted")
        if not (orphans or lost or back):
            return done

        def repair(conn: sqlite3.Connection) -> list[str]:
            # Look again under the write lock: an attach between rename and commit holds
            # that lock, so what is inconsistent now really is.
            _, blobs, rows = self._scan()
            out = []
            for sha in sorted(blobs - set(rows)):
                (self.files / f"{sha}.zip").unlink(missing_ok=True)
                out.append(f"removed bundle {sha[:12]}…, copied in by an attach that did not "
                           "finish (attach it again if it was meant to be kept)")
            at = now_utc()
            for r in conn.execute("SELECT ticket_id, sha256, missing FROM attachments").fetchall():
                here = r["sha256"] in blobs
                if bool(r["missing"]) == (not here):
                    continue
                conn.execute("UPDATE attachments SET missing = ? WHERE ticket_id = ? "
                             "AND sha256 = ?", (0 if here else 1, r["ticket_id"], r["sha256"]))
                action = "attachment_restored" if here else "attachment_missing"
                conn.execute("INSERT INTO history (ticket_id, at, by, action, detail) "
                             "VALUES (?,?,?,?,?)", (r["ticket_id"], at, "supportkit", action,
                                                    json.dumps({"sha256": r["sha256"]})))
                out.append(f"{r['ticket_id']}: bundle {r['sha256'][:12]}… is "
                           + ("back in the store" if here else
                              f"missing from {self.files} (attach it again)"))
            return out
        return done + self._write(repair)
