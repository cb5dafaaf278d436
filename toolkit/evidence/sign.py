"""Signed bundles: an Ed25519 signature over the exact bytes of ``manifest.json``.

The manifest lists every other member's size and sha256, so a signature over it covers
the whole bundle: a member changed and the manifest re-hashed to match (what hashes
alone cannot catch) breaks the signature. The signature is one more member beside the
manifest, ``signature.json``, and like the manifest it is not listed in it::

    {"format": "supportkit-signature/1", "algorithm": "ed25519",
     "public_key": "ed25519:…", "key_id": "…", "signer": "alice",
     "manifest_sha256": "…", "signature": "<base64 of 64 bytes>"}

What is signed is ``DOMAIN + manifest bytes``: the prefix keeps a signature made for a
bundle from being valid for anything else the same key might sign. ``signer`` is the
name the signer gave itself, shown only as a claim: ``bundle verify`` names a signer by
the name this machine trusts its key under (``toolkit/keys/trust.py``). A bundle
without ``signature.json`` (every bundle before signing existed) verifies as unsigned.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

SIGNATURE = "signature.json"
FORMAT = "supportkit-signature/1"
DOMAIN = b"supportkit bundle signature v1\n"
SIGNATURE_MAX = 64 * 1024  # a signature document is about 400 bytes

# What verify says of a bundle's signature (``--json``: ``signature.status``).
TRUSTED, UNKNOWN, UNSIGNED, BAD = "trusted", "unknown-key", "unsigned", "bad"


def document(signer: Any, manifest: bytes) -> bytes:
    """``signature.json`` for ``manifest`` (the bytes stored), signed by ``signer``
    (a ``toolkit.keys.Signer``)."""
    from toolkit.keys.store import key_id

    doc = {"format": FORMAT, "algorithm": "ed25519", "public_key": signer.public,
           "key_id": key_id(signer.public), "signer": signer.name,
           "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
           "signature": base64.b64encode(signer.sign(DOMAIN + manifest)).decode("ascii")}
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


@dataclass
class SignatureCheck:
    """What a bundle's signature says, before and after trust is applied."""

    status: str  # trusted | unknown-key | unsigned | bad
    public_key: str | None = None
    key_id: str | None = None
    claimed: str | None = None  # the name inside the bundle: a claim, not an identity
    signer: str | None = None  # the name this machine trusts the key under
    problem: str | None = None  # why a signature is bad

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "signed": self.status in (TRUSTED, UNKNOWN, BAD),
                "valid": self.status in (TRUSTED, UNKNOWN), "signer": self.signer,
                "claimed_signer": self.claimed, "key_id": self.key_id,
                "public_key": self.public_key, "problem": self.problem}


def check(raw: bytes | None, manifest: bytes, trusted: dict[str, str] | None) -> SignatureCheck:
    """Check ``signature.json`` (``raw``; None when absent) against the manifest bytes;
    ``trusted`` maps a public key to the name it is trusted under."""
    if raw is None:
        return SignatureCheck(UNSIGNED)
    from toolkit.evidence.shape import too_deep

    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return SignatureCheck(BAD, problem="signature.json is not JSON")
    if not isinstance(doc, dict) or too_deep(doc):
        return SignatureCheck(BAD, problem="signature.json is not a signature document")
    public, sig, claimed = doc.get("public_key"), doc.get("signature"), doc.get("signer")
    claimed = claimed[:200] if isinstance(claimed, str) else None
    if doc.get("format") != FORMAT or doc.get("algorithm") != "ed25519":
        return SignatureCheck(BAD, claimed=claimed, problem="signature.json has an unknown "
                              f"format {str(doc.get('format'))[:60]!r}")
    if not isinstance(public, str) or not isinstance(sig, str):
        return SignatureCheck(BAD, claimed=claimed,
                              problem="signature.json lacks its public key or signature")
    from toolkit.keys.store import KeyProblem, key_id, parse_public

    try:
        kind, public = parse_public(public)
    except KeyProblem:
        kind = ""
    if kind != "sign":
        return SignatureCheck(BAD, claimed=claimed,
                              problem="signature.json names no Ed25519 public key")
    found = SignatureCheck(UNKNOWN, public, key_id(public), claimed)
    if not _valid(public, sig, manifest):
        found.status = BAD
        found.problem = ("the signature does not match the manifest: the bundle was changed "
                         "after it was signed, or the signature is forged")
        return found
    name = (trusted or {}).get(public)
    if name is not None:
        found.status, found.signer = TRUSTED, name
    return found


def _valid(public: str, signature: str, manifest: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        sig = base64.b64decode(signature, validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.split(":", 1)[1]))
        key.verify(sig, DOMAIN + manifest)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_bundle(path: Any, signer: Any) -> Any:
    """Sign an existing bundle in place (a new ``signature.json``, replacing any earlier
    one): it must verify first, since signing a tampered bundle would vouch for it. The
    bundle is rewritten to a private ``.partial`` beside it and renamed over it."""
    import os
    import shutil
    import zipfile
    from pathlib import Path

    from toolkit import _platform
    from toolkit.errors import SupportkitError, Tampered
    from toolkit.evidence.reader import MANIFEST, _layout, _open_zip, verify

    path = Path(path)
    v = verify(path)
    if not v.ok:
        raise Tampered(f"{path} does not match its manifest ({v.problems[0]})",
                       "signing it would vouch for that; ask for a fresh bundle")
    partial = path.with_name(f".{path.name}.partial")
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(partial, flags, 0o600)
    except OSError as exc:
        raise SupportkitError(f"cannot write beside {path}: {exc.strerror or exc}",
                              "check the folder's permissions") from None
    try:
        with os.fdopen(fd, "w+b") as fh, _open_zip(path) as src:
            top, _, members = _layout(src, path)
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
                manifest = b""
                for name, info in members.items():
                    if name == f"{top}/{SIGNATURE}":
                        continue
                    copy = zipfile.ZipInfo(name, date_time=info.date_time)
                    copy.compress_type, copy.external_attr = zipfile.ZIP_DEFLATED, \
                        info.external_attr
                    with src.open(info) as fin, out.open(copy, "w", force_zip64=True) as fout:
                        if name == f"{top}/{MANIFEST}":
                            manifest = fin.read()
                            fout.write(manifest)
                        else:
                            shutil.copyfileobj(fin, fout, 1 << 20)
                out.writestr(f"{top}/{SIGNATURE}", document(signer, manifest))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        _platform.fsync_dir(path.parent)
    finally:
        partial.unlink(missing_ok=True)
    return path
