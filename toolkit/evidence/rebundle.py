"""``supportkit bundle redact``: re-redact an existing bundle with extra rules.

The source must verify first (re-hashing a tampered bundle would hide the
tampering). Every listed file is read back from the zip: the bundle's own JSON
documents go through the redactor as data (so they stay valid JSON); every other
member goes through the content layer as at the first pass (JSON value by value,
line by line when it does not parse, other encodings kept, binaries checked); the
report is rendered anew, the manifest gets fresh hashes, the redaction counts of
both passes, and ``redacted_from`` naming the source bundle (id and sha256). The
source is never modified.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from toolkit.collector import sha256_file
from toolkit.errors import BadInput, Tampered
from toolkit.evidence.bundle import _ZipOut, write_zip
from toolkit.evidence.reader import (
    FINDINGS,
    REPORT,
    RESULT_MAX,
    Budget,
    Unreadable,
    _layout,
    _open_zip,
    omitted,
    read_json,
    verify,
)
from toolkit.evidence.shape import findings_problem
from toolkit.redact import Redactor


def redact_bundle(src: Path, redactor: Redactor, out_dir: Path | None = None) -> Path:
    check = verify(src)
    if not check.ok or check.manifest is None:
        raise Tampered(f"{src} does not match its manifest ({len(check.problems)} problems)",
                       "re-redacting would hide that; run 'supportkit bundle verify' on it "
                       "and ask for a fresh bundle")
    old: dict[str, Any] = check.manifest
    with _open_zip(src) as zf:
        top, _, members = _layout(zf, src)
        base = top if redactor.pseudonyms is None else redactor.pseudonyms.apply(top)

        def fill(out: _ZipOut) -> dict[str, Any]:
            try:
                return _copy(zf, top, members, old, out, src)
            except Unreadable as exc:
                raise BadInput(f"{src}: damaged: {exc}", "ask for a fresh bundle") from None

        return write_zip(out_dir or src.parent, f"{base}.redacted", redactor, fill)


def _copy(zf: zipfile.ZipFile, top: str, members: dict[str, zipfile.ZipInfo],
          old: dict[str, Any], out: _ZipOut, src: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    findings: dict[str, Any] = {}
    budget = Budget()  # every JSON document is redacted; the report keeps what fits
    for entry in old["files"]:
        rel = entry["path"]
        if rel == REPORT:
            continue  # rendered anew from the redacted data below
        info = members[f"{top}/{rel}"]
        # Our own documents are read as JSON; any other .json (an attachment, a raw
        # output) may be JSONC or cut off: the content layer redacts it value by value
        # when it parses, line by line when it does not, and notes which.
        if rel == FINDINGS or rel.endswith("/result.json"):
            clean = out.add_json(rel, read_json(zf, info, rel, RESULT_MAX))
            if rel == FINDINGS:
                why = findings_problem(clean)
                if why:
                    raise Unreadable(f"{FINDINGS}: {why}")
                findings = clean
            elif rel.endswith("/result.json"):
                label = rel.split("/")[-2]
                keep = isinstance(clean, dict) and budget.take(info.file_size)
                results[label] = clean if keep else omitted(label, info.file_size)
        else:
            with zf.open(info) as raw:  # seekable: add_stream sniffs the head, then rewinds
                out.add_stream(rel, raw)
    manifest = out.redactor.data({k: v for k, v in old.items()
                                  if k not in ("files", "redaction")})
    manifest["redacted_from"] = {"bundle_id": old.get("bundle_id"), "file": src.name,
                                 "sha256": sha256_file(src)}
    first = old.get("redaction") or {}
    manifest["redaction"] = {**out.redactor.summary(), "earlier": first}
    from toolkit.evidence.report import render_bundle

    manifest["files"] = out.files  # the report lists sizes; it adds itself to this list
    out.add_bytes(REPORT, render_bundle(manifest, findings.get("findings") or [], results)
                  .encode("utf-8"))
    manifest["redaction"] = {**out.redactor.summary(), "earlier": first}
    return manifest
