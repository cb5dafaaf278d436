"""What the inbox does with a bundle once its bytes are on disk (no web framework here).

``receive`` opens a sealed bundle with the server's identity (decrypted to a private
file, bounded), verifies it with the same bounded checks as ``bundle verify`` (layout,
sizes, zip bombs, every hash, the signature; ``evidence/reader.py``), attaches it to the
ticket the token is bound to — the store's own attach: copied, fsynced, renamed and
committed in one transaction — and records the upload in the ticket's history (who
issued the link, from where it came, signed by whom, sealed or not). Then the token is
spent and, when a connector is configured, the ticket pushed on.

Uploads in progress live in ``<inbox>/uploads/<pid>-<random>/`` (0700): a server killed
mid-upload leaves that folder and never an attachment (a bundle is attached only once
complete and verified); ``prepare`` removes the folders of dead servers at start.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import SupportkitError
from toolkit.serve.tokens import Grant, TokenStore, _pid_alive, iso

_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Refused(Exception):
    """The upload is refused: HTTP status, what, what to do, and the verifier's problems."""

    def __init__(self, status: int, what: str, fix: str,
                 problems: list[str] | None = None) -> None:
        super().__init__(what)
        self.status, self.what, self.fix = status, what, fix
        self.problems = problems or []


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class InboxConfig:
    store: Path  # the ticket store file (or its folder)
    folder: Path  # <store>-inbox
    max_size: int  # the server's own cap; each link may set a lower one
    push: str | None = None  # a configured connector to push each upload on to
    require_signature: bool = False  # refuse bundles not signed by a trusted key
    clock: Callable[[], datetime] = utcnow
    # None: read from the key folder and config.yaml for each upload, so a key imported
    # while the inbox runs counts from the next upload on.
    identities: list[Any] | None = None
    trusted: dict[str, str] | None = None

    def keys(self) -> tuple[list[Any], dict[str, str]]:
        from toolkit import keys

        return (keys.identities() if self.identities is None else self.identities,
                keys.trusted_signers() if self.trusted is None else self.trusted)

    @property
    def tokens(self) -> TokenStore:
        return TokenStore(self.folder)

    @property
    def uploads(self) -> Path:
        return self.folder / "uploads"


def prepare(cfg: InboxConfig) -> list[str]:
    """Start-up: remove uploads a killed server left, give back their tokens."""
    notes = []
    cfg.uploads.mkdir(parents=True, mode=0o700, exist_ok=True)
    for entry in os.scandir(cfg.uploads):
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue  # another server on this store is receiving it
        shutil.rmtree(entry.path, ignore_errors=True)
        notes.append(f"removed the partial upload {entry.name} (its server had stopped)")
    released = cfg.tokens.release_stale()
    if released:
        notes.append(f"{released} upload link(s) of an interrupted upload may be used again")
    return notes


def new_upload_dir(cfg: InboxConfig) -> Path:
    where = cfg.uploads / f"{os.getpid()}-{uuid.uuid4().hex}"
    where.mkdir(parents=True, mode=0o700)
    return where


def safe_name(given: str | None, sealed: bool) -> str:
    """The attachment's file name: the uploader's, made plain; a sealed one loses .age."""
    name = _NAME.sub("-", (given or "").strip())[:120].strip(".-") or "upload.zip"
    if sealed:
        name = name.removesuffix(".age")
    return name if name.endswith(".zip") else f"{name}.zip"


def receive(cfg: InboxConfig, grant: Grant, body: Path, given_name: str | None,
            remote: str | None) -> dict[str, Any]:
    """Open, verify, attach; the answer for the uploader. Raises ``Refused``."""
    from toolkit.errors import BadInput
    from toolkit.evidence import seal

    sealed = seal.is_sealed(body)
    try:
        identities, trusted = cfg.keys()
    except BadInput as exc:  # an unsafe config.yaml or key folder: the operator's to fix
        raise Refused(503, f"the inbox's keys cannot be used: {exc.what}",
                      "tell the inbox's operator") from None
    plain = body.parent / safe_name(given_name, sealed)
    if sealed:
        try:
            with open(body, "rb") as src, os.fdopen(os.open(
                    plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
                seal.open_to(src, dst, identities, limit=cfg.max_size + (64 << 20))
        except BadInput as exc:
            raise Refused(422, exc.what, exc.fix) from None
        body.unlink()
    else:
        os.replace(body, plain)
    try:
        check = _verify(cfg, plain, trusted)
        result = _attach(cfg, grant, plain, remote, sealed, check)
    except Refused as exc:  # the server's own paths are nobody else's business
        for where in (str(plain), str(plain.parent)):
            exc.what = exc.what.replace(where, plain.name)
            exc.problems = [p.replace(where, plain.name) for p in exc.problems]
        raise
    cfg.tokens.spend(grant, result["attachment"]["sha256"], cfg.clock())
    result["pushed"] = _push(cfg, result["ticket"]) if cfg.push else None
    return result


def _verify(cfg: InboxConfig, plain: Path, trusted: dict[str, str]) -> Any:
    from toolkit.errors import BadInput
    from toolkit.evidence import reader

    try:
        v = reader.verify(plain, trusted)
    except BadInput as exc:
        raise Refused(422, f"not a supportkit bundle: {exc.what}", exc.fix) from None
    if not v.ok:
        raise Refused(422, f"the bundle fails verification ({len(v.problems)} problem(s))",
                      "it was altered on the way, or is not what it claims: run 'supportkit "
                      "bundle verify' on it where it was made, and send a fresh one",
                      v.problems[:20])
    if cfg.require_signature and (v.signature is None or v.signature.status != "trusted"):
        status = v.signature.status if v.signature else "unsigned"
        raise Refused(422, f"this inbox takes only bundles signed by a trusted key; this "
                      f"one is {status}", "sign it with a key the team trusts: "
                      "supportkit run … --sign KEY")
    return v


def _attach(cfg: InboxConfig, grant: Grant, plain: Path, remote: str | None, sealed: bool,
            check: Any) -> dict[str, Any]:
    from toolkit.tickets import workflow
    from toolkit.tickets.store import open_store

    sig = check.signature
    received = iso(cfg.clock())

    def then(t: Any, ch: Any, att: Any) -> None:
        att.source = "upload"
        ch.log("uploaded", via="inbox", sha256=att.sha256, name=att.name, size=att.size,
               received_at=received, remote=remote, sealed=sealed,
               signature=sig.status if sig else None,
               signer=sig.signer if sig else None, key_id=sig.key_id if sig else None,
               link_issued_by=grant.issued_by, link_issued_at=grant.issued_at)
    try:
        store = open_store(cfg.store)
    except SupportkitError as exc:
        raise Refused(503, f"the ticket store cannot be opened: {exc.what}",
                      "tell the inbox's operator") from None
    try:
        t, att, added = workflow.attach(store, grant.ticket, plain, "inbox", source="upload",
                                        also=then)
    except SupportkitError as exc:
        raise Refused(422 if exc.exit_code == 2 else 503, exc.what, exc.fix) from None
    finally:
        store.close()
    return {"ticket": t.id, "received_at": received, "sealed": sealed,
            "attachment": {"sha256": att.sha256, "size": att.size, "name": att.name,
                           "added": added},
            "signature": sig.as_json() if sig else None}


def _push(cfg: InboxConfig, ticket: str) -> dict[str, Any]:
    """Push the ticket on; a tracker that fails does not undo the upload."""
    from toolkit.connectors.service import push
    from toolkit.tickets.store import open_store

    assert cfg.push is not None
    store = open_store(cfg.store)
    try:
        out = push(store, ticket, cfg.push, "inbox")
    except SupportkitError as exc:
        return {"connector": cfg.push, "ok": False, "error": exc.one_line()}
    finally:
        store.close()
    doc = out.as_json()
    return {"connector": cfg.push, "ok": True, "url": doc.get("url"),
            "remote_id": doc.get("remote_id")}
