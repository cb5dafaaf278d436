"""Reading a bundle someone sent: verify it, or take its manifest, findings and results.

The zip is hostile until verified, and even then its data is: nothing is
extracted, and everything read is bounded.

* **JSON members** are read up to a cap (manifest and findings 16 MB, a
  collector's result 64 MB) and refused beyond it with the member's name and
  the cap; their shape is checked (``bundle_shape``) before any field is used.
* **Results** shown by ``bundle show``/``report`` and ``ticket attach`` are
  loaded only within a budget: one larger than 8 MB, or past 32 MB in all, is
  summarised as "too large to show, N MB", not loaded. ``show`` and
  ``attach`` load none.
* **verify** checks what costs nothing first: every listed member's size in
  the zip must be the manifest's (a member that grew is altered, and is not
  read at all), the manifest may declare at most 16 GiB, and a member that
  would expand more than 200:1 past 1 MiB is refused unread as a zip bomb
  (deflate tops out near 1030:1; what supportkit writes stays far below 200:1).
  Only then is each member hashed, streamed, reading at most its declared size
  plus one byte.
* **signature**: ``signature.json``, when present, is checked against the exact bytes of
  the manifest that was read (``sign.py``); a signature that does not match is a problem
  like a changed hash. Whether its key is trusted is for the caller to say (``trusted``).
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from toolkit.errors import BadInput
from toolkit.evidence import shape as bundle_shape
from toolkit.evidence.sign import SIGNATURE, SIGNATURE_MAX, SignatureCheck
from toolkit.evidence.sign import check as check_signature

MANIFEST = "manifest.json"
FINDINGS = "findings.json"
REPORT = "report.html"
MB = 1_000_000
MANIFEST_MAX = 16 * MB
FINDINGS_MAX = 16 * MB
RESULT_MAX = 64 * MB  # the most a result.json may be (what bundle redact reads)
RESULT_SHOW_MAX = 8 * MB  # larger results are summarised, not loaded, by show/report
RESULTS_BUDGET = 32 * MB  # all results loaded at once for one report
MAX_DECLARED = 16 << 30  # the most content a manifest may declare
BOMB_RATIO = 200
BOMB_MIN = 1 << 20
_CHUNK = 1 << 20

try:  # zipfile reads LZMA members when the module exists
    from lzma import LZMAError
except ImportError:  # pragma: no cover
    class LZMAError(Exception):  # type: ignore[no-redef]
        pass

# What reading a hostile member can raise: a bad CRC or header, a truncated or corrupt
# stream, an unsupported method (NotImplementedError), an encrypted member (RuntimeError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
              RuntimeError, ValueError, LZMAError)


class Unreadable(Exception):
    """A member that cannot be taken as what it should be; the text says why, in a line."""


class Omitted(str):
    """A result not loaded (too large for the budget); the text says so, for the report."""


def size_text(n: int) -> str:
    return f"{n / MB:.1f} MB" if n < 10 * MB else f"{n / MB:.0f} MB"


@dataclass
class Verification:
    path: Path
    top: str | None
    problems: list[str]
    checked: int
    manifest: dict[str, Any] | None
    # None when the manifest could not be read (nothing to check a signature against).
    signature: SignatureCheck | None = field(default=None)

    @property
    def ok(self) -> bool:
        return not self.problems


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file", "check the bundle path") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder", "give the bundle's .zip file") from None
    except PermissionError:
        raise BadInput(f"{path}: permission denied", "make the bundle readable") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise BadInput(f"{path} is not a readable zip ({exc})",
                       "is this a supportkit bundle? it may be truncated") from None


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if "\\" in name:
        return "has a backslash in its path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of its folder (..)"
    return None


def _layout(zf: zipfile.ZipFile, path: Path) -> tuple[str, list[str], dict[str, zipfile.ZipInfo]]:
    problems: list[str] = []
    members: dict[str, zipfile.ZipInfo] = {}
    tops: set[str] = set()
    for info in zf.infolist():
        why = unsafe_reason(info)
        if why:
            problems.append(f"{info.filename}: unsafe entry, {why} (not extracted)")
            continue
        parts = PurePosixPath(info.filename).parts
        if not parts:
            continue
        tops.add(parts[0])
        if info.is_dir():
            continue
        if info.filename in members:
            problems.append(f"{info.filename}: appears twice in the zip")
        members[info.filename] = info
    if len(tops) != 1:
        raise BadInput(f"{path}: a bundle has exactly one top folder, this zip has {len(tops)}",
                       "is this a supportkit bundle?")
    return tops.pop(), problems, members


def _bomb(info: zipfile.ZipInfo) -> str | None:
    if info.file_size > BOMB_MIN and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        return (f"would expand {ratio}:1 to {size_text(info.file_size)}, more than supportkit "
                "ever writes (a zip bomb?)")
    return None


def read_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, rel: str, limit: int) -> bytes:
    """A member's bytes, read within ``limit``; ``Unreadable`` names it and says why."""
    if info.file_size > limit:
        raise Unreadable(f"{rel} is {size_text(info.file_size)}, more than the "
                         f"{size_text(limit)} supportkit reads of it")
    why = _bomb(info)
    if why:
        raise Unreadable(f"{rel} {why}")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except ZIP_ERRORS as exc:
        raise Unreadable(f"{rel} cannot be read back ({exc})") from None
    if len(data) > limit:
        raise Unreadable(f"{rel} is more than the {size_text(limit)} supportkit reads of it")
    return data


def read_json(zf: zipfile.ZipFile, info: zipfile.ZipInfo, rel: str, limit: int) -> Any:
    """A JSON member, read within ``limit`` bytes; ``Unreadable`` names it and says why."""
    return parse_json(read_bytes(zf, info, rel, limit), rel)


def parse_json(data: bytes, rel: str) -> Any:
    try:
        doc = json.loads(data)
    except RecursionError:
        raise Unreadable(f"{rel} is nested too deep to be a supportkit document") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise Unreadable(f"{rel} is not JSON ({exc})") from None
    if bundle_shape.too_deep(doc):
        raise Unreadable(f"{rel} is nested more than {bundle_shape.MAX_DEPTH} levels deep")
    return doc


def _manifest_raw(zf: zipfile.ZipFile, top: str, members: dict[str, zipfile.ZipInfo]
                  ) -> tuple[dict[str, Any], bytes]:
    """The manifest and the very bytes it was parsed from (what a signature covers)."""
    info = members.get(f"{top}/{MANIFEST}")
    if info is None:
        raise Unreadable(f"there is no {MANIFEST} in {top}/")
    raw = read_bytes(zf, info, MANIFEST, MANIFEST_MAX)
    doc = parse_json(raw, MANIFEST)
    why = bundle_shape.manifest_problem(doc)
    if why:
        raise Unreadable(f"{MANIFEST}: {why}")
    return doc, raw


def _manifest(zf: zipfile.ZipFile, top: str, members: dict[str, zipfile.ZipInfo]
              ) -> dict[str, Any]:
    return _manifest_raw(zf, top, members)[0]


def _signature(zf: zipfile.ZipFile, top: str, members: dict[str, zipfile.ZipInfo],
               raw: bytes, trusted: dict[str, str] | None) -> SignatureCheck:
    info = members.get(f"{top}/{SIGNATURE}")
    if info is None:
        return check_signature(None, raw, trusted)
    try:
        data = read_bytes(zf, info, SIGNATURE, SIGNATURE_MAX)
    except Unreadable as exc:
        return SignatureCheck("bad", problem=str(exc))
    return check_signature(data, raw, trusted)


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, declared: int) -> tuple[str, int]:
    """sha256 and size, reading at most ``declared`` + 1 bytes: a member longer than the
    manifest says is altered, and the rest of it is not worth reading."""
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as fh:
        while size <= declared:
            chunk = fh.read(min(_CHUNK, declared + 1 - size))
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify(path: Path, trusted: dict[str, str] | None = None) -> Verification:
    """Check every hash and the signature; ``trusted`` (public key → name) says whose
    signatures count as trusted (``toolkit.keys.trusted_signers()``)."""
    with _open_zip(path) as zf:
        top, problems, members = _layout(zf, path)
        if f"{top}/{MANIFEST}" not in members:
            raise BadInput(f"{path}: no {MANIFEST} in {top}/", "is this a supportkit bundle?")
        try:
            manifest, raw = _manifest_raw(zf, top, members)
        except Unreadable as exc:
            why = str(exc).removeprefix(f"{MANIFEST}: ")
            problems.append(f"{MANIFEST}: unreadable or not a manifest ({why}) — altered")
            return Verification(path, top, problems, 0, None)
        signature = _signature(zf, top, members, raw, trusted)
        if signature.status == "bad":
            problems.append(f"{SIGNATURE}: {signature.problem} — altered")
        listed = {f["path"]: f for f in manifest["files"]}
        declared = sum(f["size"] for f in listed.values())
        if declared > MAX_DECLARED or any(f["size"] < 0 for f in listed.values()):
            problems.append(f"{MANIFEST}: declares {declared / (1 << 30):.1f} GiB of content, "
                            f"more than a bundle may hold ({MAX_DECLARED >> 30} GiB) — refused "
                            "unread")
            return Verification(path, top, problems, 0, manifest, signature)
        to_hash = []
        for rel, entry in listed.items():  # what costs nothing first: sizes and ratios
            info = members.get(f"{top}/{rel}")
            if info is None:
                problems.append(f"{rel}: listed in the manifest but missing (removed)")
            elif info.file_size != entry["size"]:
                problems.append(f"{rel}: content differs from the manifest (altered: "
                                f"{info.file_size} bytes, the manifest says {entry['size']})")
            elif _bomb(info):
                problems.append(f"{rel}: refused unread, it {_bomb(info)}")
            else:
                to_hash.append((rel, entry, info))
        checked = 0
        for rel, entry, info in to_hash:
            try:
                digest, size = _hash_member(zf, info, entry["size"])
            except ZIP_ERRORS as exc:
                problems.append(f"{rel}: cannot be read back ({exc}) — altered")
                continue
            checked += 1
            if digest != entry["sha256"] or size != entry["size"]:
                problems.append(f"{rel}: content differs from the manifest (altered)")
        for name in members:
            rel = name[len(top) + 1:]
            if rel not in (MANIFEST, SIGNATURE) and rel not in listed:
                problems.append(f"{rel}: not listed in the manifest (added)")
    return Verification(path, top, problems, checked, manifest, signature)


class Budget:
    """How many bytes of results may still be loaded for one report."""

    def __init__(self, total: int | None = None, each: int | None = None) -> None:
        self.left = RESULTS_BUDGET if total is None else total
        self.each = RESULT_SHOW_MAX if each is None else each

    def take(self, size: int) -> bool:
        if size > self.each or size > self.left:
            return False
        self.left -= size
        return True


def omitted(label: str, size: int) -> Omitted:
    return Omitted(f"Result too large to show, {size_text(size)} "
                   f"(steps/{label}/result.json in the bundle).")


def _results(zf: zipfile.ZipFile, top: str, members: dict[str, zipfile.ZipInfo],
             manifest: dict[str, Any]) -> dict[str, Any]:
    budget, out = Budget(), dict[str, Any]()
    for step in manifest.get("steps") or []:
        if step["kind"] != "collect":
            continue
        label = f"{step['index']:02d}-{step.get('collector')}"
        rel = f"steps/{label}/result.json"
        info = members.get(f"{top}/{rel}")
        if info is None:
            continue
        if not budget.take(info.file_size):
            out[label] = omitted(label, info.file_size)
            continue
        doc = read_json(zf, info, rel, budget.each)
        if not isinstance(doc, dict):
            raise Unreadable(f"{rel} is {bundle_shape.kind_of(doc)}, not a collector's result")
        out[label] = doc
    return out


def read(path: Path, results: bool = True
         ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Manifest, findings document and collector results of a bundle (not verified; the
    shapes checked, the results within their budget). ``results=False`` loads none."""
    with _open_zip(path) as zf:
        top, _, members = _layout(zf, path)
        try:
            manifest = _manifest(zf, top, members)
            info = members.get(f"{top}/{FINDINGS}")
            if info is None:
                raise Unreadable(f"there is no {FINDINGS} in {top}/")
            findings = read_json(zf, info, FINDINGS, FINDINGS_MAX)
            why = bundle_shape.findings_problem(findings)
            if why:
                raise Unreadable(f"{FINDINGS}: {why}")
            loaded = _results(zf, top, members, manifest) if results else {}
        except Unreadable as exc:
            raise BadInput(f"{path}: not a supportkit bundle or damaged: {exc}",
                           "run 'supportkit bundle verify' on it") from None
    return manifest, findings, loaded
