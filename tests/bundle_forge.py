"""Hostile bundles for the tests: a real bundle rewritten as an attacker would, with the
manifest's hashes made to match again (so only the intended change is left to catch)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def members(bundle: Path) -> tuple[str, dict[str, bytes]]:
    """(top folder, member name below it → bytes)."""
    with zipfile.ZipFile(bundle) as zf:
        top = zf.namelist()[0].split("/")[0]
        return top, {n[len(top) + 1:]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def forge(src: Path, dst: Path, manifest: Callable[[dict[str, Any]], Any] | None = None,
          files: dict[str, bytes | None] | None = None, rehash: bool = True,
          raw_manifest: bytes | None = None) -> Path:
    """Copy ``src`` to ``dst``: ``files`` replaces (bytes) or drops (None) members and adds
    new ones (listed in the manifest when ``rehash``); ``manifest`` edits the manifest in
    place (or returns a replacement); ``raw_manifest`` writes those bytes as it."""
    top, content = members(src)
    for rel, data in (files or {}).items():
        if data is None:
            content.pop(rel, None)
        else:
            content[rel] = data
    doc = json.loads(content.pop("manifest.json"))
    if rehash:
        doc["files"] = [{"path": rel, "size": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()}
                        for rel, data in content.items()]
    if manifest is not None:
        changed = manifest(doc)
        doc = doc if changed is None else changed
    data = raw_manifest if raw_manifest is not None else json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, blob in content.items():
            zf.writestr(f"{top}/{rel}", blob)
        zf.writestr(f"{top}/manifest.json", data)
    return dst
