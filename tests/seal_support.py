"""Helpers for the signing, sealing and inbox tests: real bundles made in-process."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tickets_support import PLAYBOOK

SECRET_MARK = "planted-7f3a9c-do-not-leak"  # plain text, not a secret the redactor knows


def make_bundle(folder: Path, *, ticket: str | None = None, signer: Any = None,
                blob_mb: int = 0, note: str = SECRET_MARK) -> Path:
    """A real, verifiable bundle: the tiny ticket playbook, an attachment ``note.txt``
    holding ``note``, and with ``blob_mb`` a ``capture.bin`` of that many random MB
    (written 1 MB at a time: the test process stays small too)."""
    from toolkit import playbook as pbmod
    from toolkit.evidence import bundle
    from toolkit.plugins import load
    from toolkit.run.runner import Runner, RunOptions
    from toolkit.run.ui import HeadlessUI

    folder.mkdir(parents=True, exist_ok=True)
    pb_path = folder / "tk-test.yaml"
    pb_path.write_text(PLAYBOOK, encoding="utf-8")
    pb = pbmod.load(pb_path)
    staging = Path(tempfile.mkdtemp(prefix="seal-test-"))
    try:
        files = [staging / "note.txt"]
        files[0].write_text(f"user's note: {note}\n", encoding="utf-8")
        if blob_mb:
            blob = staging / "capture.bin"
            with open(blob, "wb") as fh:
                for _ in range(blob_mb):
                    fh.write(os.urandom(1 << 20))
            files.append(blob)
        result = Runner(pb, load(), staging, RunOptions(answers={"restart": False}),
                        HeadlessUI(quiet=True)).run()
        return bundle.write(bundle.BundleRequest(run=result, out_dir=folder, ticket=ticket,
                                                 attachments=tuple(files), signer=signer))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def signer(name: str = "alice") -> Any:
    """A new signing key in the test's SUPPORTKIT_HOME, ready to sign."""
    from toolkit import keys

    keys.new_key(name, "sign")
    return keys.signer(name)
