"""Helpers for the ticket tests: real bundles made in-process, CLI shortcuts."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

PLAYBOOK = """\
id: tk-test
version: 1
title: Ticket test
category: hardware
timeout: 10
steps:
  - guide: "Restart the application."
    id: restart
    resolves: true
  - check: "true"
    id: disk_full
    severity: high
    finding: "Disk C: is 97% full"
    recommend: "Free space on C:"
    kb: KB-DISK-001
escalate:
  when: "findings | list"
  to: L2-hardware
  resources: [hardware engineer, replacement disk]
  reason: "The disk is full and the user cannot free space"
"""


def make_bundle(folder: Path, ticket: str | None = None, fixed: bool = False,
                big_bytes: int = 0) -> tuple[Path, Any]:
    """A real, verifiable bundle from a tiny playbook run in-process (no collectors)."""
    from toolkit import playbook as pbmod
    from toolkit.evidence import bundle
    from toolkit.plugins import load
    from toolkit.run.runner import Runner, RunOptions
    from toolkit.run.ui import HeadlessUI

    folder.mkdir(parents=True, exist_ok=True)
    pb_path = folder / "tk-test.yaml"
    pb_path.write_text(PLAYBOOK, encoding="utf-8")
    pb = pbmod.load(pb_path)
    staging = Path(tempfile.mkdtemp(prefix="tk-test-"))
    extra: tuple[Path, ...] = ()
    try:
        if big_bytes:
            blob = staging / "capture.bin"
            blob.write_bytes(os.urandom(big_bytes))
            extra = (blob,)
        result = Runner(pb, load(), staging, RunOptions(answers={"restart": fixed}),
                        HeadlessUI(quiet=True)).run()
        path = bundle.write(bundle.BundleRequest(run=result, out_dir=folder, ticket=ticket,
                                                 attachments=extra))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path, result


def new_ticket(cli: Any, *extra: str) -> dict[str, Any]:
    r = cli("ticket", "new", "--title", "Laptop disk is full", "--no-collect", "--json", *extra)
    assert r.code == 0, r.err
    doc: dict[str, Any] = json.loads(r.out)
    return doc


def show(cli: Any, ticket_id: str) -> dict[str, Any]:
    r = cli("ticket", "show", ticket_id, "--json")
    assert r.code == 0, r.err
    doc: dict[str, Any] = json.loads(r.out)
    return doc


def table(out: str) -> list[dict[str, str]]:
    """``ticket list``'s table as rows of {column: cell}, cut where the header's columns
    begin (cells are padded to them; the title is last)."""
    import re

    head, *lines = out.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", head)]
    names = head.split()
    rows = []
    for line in lines:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows
