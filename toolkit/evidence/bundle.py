"""The evidence bundle: a zip with one top folder, a manifest of hashes, findings,
a report, each collector's result and raw outputs, attachments and errors.

Written under a hidden ``.NAME.zip.partial`` and renamed when complete, so a
crash, a full disk or Ctrl-C never leaves a file that looks whole. Every text
goes through the redactor on its way in. Reading and ``verify`` are in
``bundle_reader``, which treats the zip as hostile.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import sys
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from toolkit import __version__, _platform
from toolkit.errors import SupportkitError

# Reading lives in bundle_reader; these names stay importable from here.
from toolkit.evidence.reader import FINDINGS as FINDINGS
from toolkit.evidence.reader import MANIFEST as MANIFEST
from toolkit.evidence.reader import REPORT as REPORT
from toolkit.evidence.reader import Verification as Verification
from toolkit.evidence.reader import read as read
from toolkit.evidence.reader import unsafe_reason as unsafe_reason
from toolkit.evidence.reader import verify as verify
from toolkit.redact import Redactor
from toolkit.run.runner import RunResult

SCHEMA_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 20


def _safe(text: str) -> str:
    return _SAFE.sub("-", text).strip("-") or "unknown"


class _ZipOut:
    """Adds members under the top folder, hashing exactly the bytes stored."""

    def __init__(self, zf: zipfile.ZipFile, top: str, redactor: Redactor) -> None:
        self.zf, self.top, self.redactor = zf, top, redactor
        self.files: list[dict[str, Any]] = []

    def _open(self, rel: str) -> IO[bytes]:
        info = zipfile.ZipInfo(f"{self.top}/{rel}",
                               date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        return self.zf.open(info, "w", force_zip64=True)

    def add_bytes(self, rel: str, data: bytes, *, listed: bool = True) -> None:
        with self._open(rel) as fh:
            fh.write(data)
        if listed:
            self.files.append({"path": rel, "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()})

    def add_json(self, rel: str, value: Any) -> Any:
        """Add ``value`` as JSON, redacted; returns the redacted value."""
        clean = self.redactor.data(value)
        data = json.dumps(clean, indent=2, ensure_ascii=False)
        self.add_bytes(rel, (data + "\n").encode("utf-8"))
        return clean

    def add_file(self, rel: str, src: Path) -> bool:
        """Copy a file in, redacted in bounded memory; False when it was refused."""
        with open(src, "rb") as raw:
            return self.add_stream(rel, raw)

    def add_stream(self, rel: str, raw: IO[bytes]) -> bool:
        """Copy a seekable binary stream in, redacted as it goes (in its own encoding,
        recompressed, structure kept: ``toolkit.redact.content``). A binary that holds
        secret-looking text, or an archive that cannot be checked, is not stored:
        returns False, and the manifest's ``redaction.files`` says why."""
        from toolkit.redact import content

        plan = content.prepare(raw, rel, self.redactor)
        if plan.chunks is None:
            self.redactor.note(rel, **(plan.note or {}))
            return False
        digest, size = hashlib.sha256(), 0
        with self._open(rel) as out:
            for chunk in plan.chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if plan.note:  # after the stream: a damaged gzip says so at its end
            self.redactor.note(rel, **plan.note)
        self.files.append({"path": rel, "size": size, "sha256": digest.hexdigest()})
        return True


@dataclass
class BundleRequest:
    run: RunResult
    out_dir: Path
    attachments: tuple[Path, ...] = ()
    redactor: Redactor = field(default_factory=Redactor)
    ticket: str | None = None
    command_line: tuple[str, ...] = ()
    lang: str = "en"
    chosen_by: dict[str, Any] | None = None  # the symptom that chose the playbook
    symptom: str | None = None  # the problem in the user's words (--symptom or asked)
    ticket_info: dict[str, Any] | None = None  # the report's ticket header
    signer: Any = None  # a toolkit.keys.Signer: the manifest is signed (evidence/sign.py)


def _host() -> dict[str, Any]:
    import platform

    return {"hostname": socket.gethostname(), "platform": sys.platform,
            "system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "python": platform.python_version()}


@dataclass
class Written:
    """A bundle just written, with its manifest and findings document as stored
    (redacted, pseudonymized): what a caller shows, without reading the zip back."""

    path: Path
    manifest: dict[str, Any]
    findings: dict[str, Any]


def write(req: BundleRequest) -> Path:
    return write_bundle(req).path


def write_bundle(req: BundleRequest) -> Written:
    created = datetime.now(timezone.utc)
    host = _host()
    run_id = req.ticket or f"run-{uuid.uuid4().hex[:8]}"
    shown_host = host["hostname"]
    if req.redactor.pseudonyms is not None:  # the file name must not give the host away
        shown_host = req.redactor.pseudonyms.apply(shown_host)
    base = f"{_safe(run_id)}_{_safe(shown_host)}_{created:%Y%m%dT%H%M%SZ}"

    stored: dict[str, Any] = {}

    def fill(out: _ZipOut) -> dict[str, Any]:
        stored["manifest"], stored["findings"] = _fill(out, req, host, run_id, created)
        return stored["manifest"]

    path = write_zip(req.out_dir, base, req.redactor, fill, req.signer)
    return Written(path, stored["manifest"], stored["findings"])


def write_zip(out_dir: Path, base: str, redactor: Redactor,
              fill: Callable[[_ZipOut], dict[str, Any]], signer: Any = None) -> Path:
    """Write a bundle atomically: ``fill`` adds the members and returns the manifest;
    with a ``signer`` the manifest's bytes are signed into ``signature.json``.

    The name is claimed exclusively (never overwriting an earlier bundle: the same
    ticket in the same second takes ``-2``), the data goes to a private (0600)
    ``.NAME.zip.partial``, is synced, and only then renamed to ``NAME.zip``.

    With pseudonyms (``--anonymize``) the bundle and its mapping are both in place or
    neither is, because a bundle whose mapping is lost can never be read back. So the
    mapping is written and synced to its own ``.partial`` first; then the mapping is
    renamed into place, the folder synced, and the bundle renamed last. A crash between
    the two renames leaves a mapping without a bundle (private, and reversible only for
    a bundle that does not exist), never a bundle without its mapping. Any failure
    removes whatever was written or placed: no ``.partial`` stays.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            top = base if n == 1 else f"{base}-{n}"
            final = out_dir / f"{top}.zip"
            partial = out_dir / f".{top}.zip.partial"
            if final.exists():
                continue
            try:
                flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                fd = os.open(partial, flags, 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise SupportkitError(f"too many bundles named {base} in {out_dir}",
                                  "choose another folder with --out")
    except OSError as exc:
        raise SupportkitError(f"cannot write in the output folder {out_dir}: "
                              f"{exc.strerror or exc}",
                              "choose another folder with --out") from None
    what = "the bundle"
    mapping = mapping_partial = placed = None
    try:
        with os.fdopen(fd, "w+b") as fh:
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                out = _ZipOut(zf, top, redactor)
                manifest = fill(out)
                data = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
                out.add_bytes(MANIFEST, data.encode("utf-8"), listed=False)
                if signer is not None:
                    from toolkit.evidence import sign

                    out.add_bytes(sign.SIGNATURE, sign.document(signer, data.encode("utf-8")),
                                  listed=False)
            fh.flush()
            os.fsync(fh.fileno())
        if redactor.pseudonyms is not None:
            what = "the pseudonym mapping"
            mapping = mapping_path(final)
            mapping_partial = mapping.with_name(f".{mapping.name}.partial")
            _write_private(mapping_partial, redactor.pseudonyms.document(final.name))
            os.replace(mapping_partial, mapping)
            mapping_partial = None
            _platform.fsync_dir(out_dir)  # the mapping is on disk before the bundle can be
            what = "the bundle"
        os.replace(partial, final)
        placed = final
        _platform.fsync_dir(out_dir)
    except BaseException as exc:
        for leftover in (partial, mapping_partial, mapping, placed):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SupportkitError(f"could not write {what} in {out_dir}: "
                                  f"{exc.strerror or exc}",
                                  "free some space or choose another folder with --out") \
                from None
        raise
    return final


def mapping_path(bundle: Path) -> Path:
    """Where --anonymize keeps the pseudonym mapping: beside the bundle, never in it."""
    return bundle.with_name(bundle.stem + ".mapping.json")


def _write_private(path: Path, document: dict[str, Any]) -> None:
    """``document`` as JSON in a new 0600 file, synced; removed again if writing fails."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _fill(out: _ZipOut, req: BundleRequest, host: dict[str, Any], run_id: str,
          created: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add every member; returns the manifest and the findings document as stored."""
    run = req.run
    steps, results, errors = [], {}, []
    for rec in run.records:
        files: list[str] = []
        label = rec.step.label
        if rec.step.kind == "collect":
            folder = run.staging / "steps" / label
            if rec.outcome == "ok":
                results[label] = out.add_json(f"steps/{label}/result.json", rec.result)
                files.append(f"steps/{label}/result.json")
            if folder.is_dir():
                for src in sorted(folder.iterdir()):
                    if src.is_file() and not src.name.startswith("_") and \
                            out.add_file(f"steps/{label}/{src.name}", src):
                        files.append(f"steps/{label}/{src.name}")
        if rec.traceback:
            rel = f"errors/{label}.txt"
            out.add_bytes(rel, "".join(req.redactor.lines(
                rec.traceback.splitlines(keepends=True))).encode("utf-8"))
            files.append(rel)
            errors.append(rel)
        steps.append(rec.as_manifest(files))
    attached = []
    used: set[str] = set()
    for src in req.attachments:
        name, n = _safe(src.name), 1
        while name in used:
            n += 1
            name = f"{Path(_safe(src.name)).stem}-{n}{Path(src.name).suffix}"
        used.add(name)
        # A refused attachment is not listed: redaction.files says why it is missing.
        if out.add_file(f"attachments/{name}", src):
            attached.append({"path": f"attachments/{name}", "original_name": src.name})
    pb = run.playbook
    findings_doc = out.add_json(FINDINGS, {"outcome": run.outcome, "findings": run.findings,
                                           "escalation": run.escalation})
    findings = findings_doc["findings"]
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "bundle_id": str(uuid.uuid4()),
        "run_id": run_id,
        "tool": {"name": "supportkit", "version": __version__},
        "command_line": list(req.command_line),
        "created": created.isoformat(timespec="seconds"),
        "started": run.started,
        "finished": run.finished,
        "host": host,
        "playbook": {"id": pb.id, "version": pb.version, "sha256": pb.sha256,
                     "title": pb.title.get(req.lang), "category": pb.category},
        "ticket": req.ticket,
        "ticket_info": req.ticket_info,
        "chosen_by": req.chosen_by,
        "symptom": req.symptom,
        "lang": req.lang,
        "inputs": run.inputs,
        "input_sources": run.input_sources,
        # each input's question in the run's language: the report names inputs by them
        "input_prompts": {spec.name: spec.prompt.get(req.lang) for spec in pb.inputs
                          if spec.name in run.inputs},
        "outcome": run.outcome,
        "resolved_by": run.resolved_by,
        "tried": run.tried(),
        "escalation": run.escalation,
        "steps": steps,
        "attachments": attached,
        "errors": errors,
    }
    # Answers, inputs and parameters are user text too: the manifest is redacted whole.
    manifest = req.redactor.data(manifest)
    from toolkit.evidence.report import render

    manifest["redaction"] = req.redactor.summary()
    manifest["files"] = out.files  # the report lists sizes; it adds itself to this list
    out.add_bytes(REPORT, render(manifest, findings, results).encode("utf-8"))
    manifest["redaction"] = req.redactor.summary()
    return manifest, findings_doc
