"""Reading a bundle someone sent is bounded, and a bundle of the wrong shape gets a
one-line cause: verify exits 4, show/report/attach exit 2, never "internal error"."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bundle_forge import forge, members
from tickets_support import make_bundle, new_ticket

import toolkit.evidence.reader

MiB = 1 << 20


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_bundle(tmp_path / "src")[0]


@pytest.fixture
def read_bytes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every byte decompressed from a zip member in this process."""
    seen: list[int] = []
    real = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = real(self, n)
        seen.append(len(data))
        return data
    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    return seen


def _one_line_error(r: Any) -> None:
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err


def _with_result(m: dict[str, Any], index: int, collector: str = "disk.usage") -> None:
    m["steps"].append({"index": index, "id": f"s{index}", "kind": "collect",
                       "collector": collector, "outcome": "ok", "reason": "",
                       "duration_s": 0.1})


# --------------------------------------------------------------------------- verify


def test_a_member_grown_past_its_declared_size_is_altered_and_not_read(
        cli, src: Path, tmp_path: Path, read_bytes: list[int]) -> None:
    # 64 MiB of zeros in place of findings.json; the manifest still says a few hundred bytes.
    bad = forge(src, tmp_path / "grown.zip", rehash=False,
                files={"findings.json": bytes(64 * MiB)})
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4
    assert "findings.json: content differs from the manifest (altered" in r.out
    assert sum(read_bytes) < 2 * MiB  # the grown member was never inflated


def test_a_zip_bomb_the_manifest_vouches_for_is_refused_unread(
        cli, src: Path, tmp_path: Path, read_bytes: list[int]) -> None:
    bad = forge(src, tmp_path / "bomb.zip", files={"attachments/zeros.bin": bytes(64 * MiB)})
    r = cli("bundle", "verify", str(bad), "--json")
    assert r.code == 4
    (problem,) = json.loads(r.out)["problems"]
    assert problem.startswith("attachments/zeros.bin: refused unread, it would expand")
    assert "zip bomb" in problem
    assert sum(read_bytes) < 2 * MiB


def test_a_manifest_declaring_more_than_a_bundle_holds_is_refused(cli, src: Path,
                                                                 tmp_path: Path) -> None:
    def huge(m: dict[str, Any]) -> None:
        m["files"][0]["size"] = 40 << 30
    r = cli("bundle", "verify", str(forge(src, tmp_path / "h.zip", manifest=huge)))
    assert r.code == 4 and "more than a bundle may hold" in r.out


def test_an_oversized_manifest_is_refused_with_its_name_and_the_cap(cli, src: Path,
                                                                   tmp_path: Path) -> None:
    padding = os.urandom(9 * MiB).hex()  # 19 MB that do not compress away

    def pad(m: dict[str, Any]) -> None:
        m["padding"] = padding
    bad = forge(src, tmp_path / "big.zip", manifest=pad)
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4
    assert "manifest.json is 19 MB, more than the 16 MB supportkit reads of it" in r.out
    r = cli("bundle", "show", str(bad))
    assert r.code == 2 and "manifest.json is 19 MB" in r.err
    _one_line_error(r)


# --------------------------------------------------------------------------- results


def test_show_and_attach_read_no_result(cli, src: Path, tmp_path: Path) -> None:
    # A damaged result.json, listed with its right hash: only the report needs it.
    bad = forge(src, tmp_path / "r.zip", manifest=lambda m: _with_result(m, 9),
                files={"steps/09-disk.usage/result.json": b"{not json"})
    assert cli("bundle", "verify", str(bad)).code == 0
    assert cli("bundle", "show", str(bad)).code == 0
    tid = new_ticket(cli)["id"]
    r = cli("ticket", "attach", tid, str(bad))
    assert r.code == 0, r.err
    r = cli("bundle", "report", str(bad), "--out", str(tmp_path / "r.html"))
    assert r.code == 2 and "steps/09-disk.usage/result.json is not JSON" in r.err
    _one_line_error(r)


def test_the_report_loads_results_only_within_its_budget(
        cli, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.evidence.reader, "RESULT_SHOW_MAX", 300_000, raising=False)
    monkeypatch.setattr(toolkit.evidence.reader, "RESULTS_BUDGET", 500_000, raising=False)

    def result(n: int) -> bytes:
        return json.dumps({"filesystems": [], "note": os.urandom(n // 2).hex()}).encode()
    sizes = {9: 400_000, 10: 200_000, 11: 200_000, 12: 200_000}  # too big; fits; fits; over

    def steps(m: dict[str, Any]) -> None:
        for i in sizes:
            _with_result(m, i)
    bad = forge(src, tmp_path / "many.zip", manifest=steps,
                files={f"steps/{i:02d}-disk.usage/result.json": result(n)
                       for i, n in sizes.items()})
    out = tmp_path / "many.html"
    r = cli("bundle", "report", str(bad), "--out", str(out))
    assert r.code == 0, r.err
    html = out.read_text(encoding="utf-8")
    assert html.count("Result too large to show") == 2
    assert "too large to show, 0.4 MB (steps/09-disk.usage/result.json" in html
    assert "too large to show, 0.2 MB (steps/12-disk.usage/result.json" in html


def test_a_result_of_an_unexpected_shape_is_shown_raw(cli, src: Path, tmp_path: Path) -> None:
    weird = {"filesystems": "x", "total_bytes": {"a": 1}}
    bad = forge(src, tmp_path / "w.zip", manifest=lambda m: _with_result(m, 9),
                files={"steps/09-disk.usage/result.json": json.dumps(weird).encode()})
    out = tmp_path / "w.html"
    r = cli("bundle", "report", str(bad), "--out", str(out))
    assert r.code == 0, r.err
    assert "do not have the shape this supportkit expects" in out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- shapes

DEEP = "[" * 100_000 + "]" * 100_000
MISTYPED = {
    "steps-string": lambda m: m.update(steps="x"),
    "host-number": lambda m: m.update(host=5),
    "step-index-text": lambda m: m["steps"][0].update(index="1"),
    "step-without-id": lambda m: m["steps"][0].pop("id"),
    "attachment-path-number": lambda m: m.update(attachments=[{"path": 5,
                                                               "original_name": "x"}]),
    "tried-string": lambda m: m.update(tried="x"),
    "ticket-info-list": lambda m: m.update(ticket_info=[]),
    "playbook-number": lambda m: m.update(playbook=7),
    "escalation-resources-string": lambda m: m.update(escalation={"needed": True,
                                                                  "resources": "disk"}),
    "files-string": lambda m: m.update(files="x"),
    "file-size-text": lambda m: m["files"][0].update(size="12"),
    "top-level-list": lambda m: [m],
    "deep": lambda m: m.update(extra=json.loads("[" * 200 + "]" * 200)),
}


@pytest.mark.parametrize("case", sorted(MISTYPED))
def test_a_mistyped_manifest_gets_one_line_and_the_right_exit_code(
        cli, src: Path, tmp_path: Path, case: str) -> None:
    bad = forge(src, tmp_path / f"{case}.zip", manifest=MISTYPED[case])
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4, r.out + r.err
    assert "manifest.json: unreadable or not a manifest (" in r.out
    for args in (("bundle", "show", str(bad)), ("bundle", "show", str(bad), "--json"),
                 ("bundle", "report", str(bad), "--out", str(tmp_path / "x.html"))):
        r = cli(*args)
        assert r.code == 2, (args, r.out, r.err)
        assert "not a supportkit bundle or damaged: manifest.json" in r.err
        assert "run 'supportkit bundle verify' on it" in r.err
        _one_line_error(r)
    tid = new_ticket(cli)["id"]
    r = cli("ticket", "attach", tid, str(bad))
    assert r.code == 2 and "the bundle fails verification: manifest.json" in r.err
    _one_line_error(r)


@pytest.mark.parametrize("raw", [DEEP.encode(), b"[1, 2]", b"\xff\xfe not utf-8", b"7"])
def test_a_manifest_that_is_no_object_is_refused(cli, src: Path, tmp_path: Path,
                                                 raw: bytes) -> None:
    bad = forge(src, tmp_path / "raw.zip", raw_manifest=raw)
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4 and "manifest.json: unreadable or not a manifest" in r.out
    r = cli("bundle", "show", str(bad))
    assert r.code == 2
    _one_line_error(r)


@pytest.mark.parametrize("findings", [DEEP.encode(), b'{"findings": "x"}',
                                      b'{"findings": [{"severity": 3, "finding": "x"}]}',
                                      b'{"findings": [{"finding": "no severity"}]}', b"[]"])
def test_mistyped_findings_are_refused_by_show_report_and_attach(
        cli, src: Path, tmp_path: Path, findings: bytes) -> None:
    bad = forge(src, tmp_path / "f.zip", files={"findings.json": findings})
    assert cli("bundle", "verify", str(bad)).code == 0  # hashes match: only the shape is off
    for args in (("bundle", "show", str(bad)),
                 ("bundle", "report", str(bad), "--out", str(tmp_path / "x.html"))):
        r = cli(*args)
        assert r.code == 2 and "not a supportkit bundle or damaged: findings.json" in r.err
        _one_line_error(r)
    r = cli("ticket", "attach", new_ticket(cli)["id"], str(bad))
    assert r.code == 2
    _one_line_error(r)


def test_forge_keeps_a_real_bundle_intact(cli, src: Path, tmp_path: Path) -> None:
    """The helper itself: a bundle rewritten without a change still verifies."""
    same = forge(src, tmp_path / "same.zip")
    assert cli("bundle", "verify", str(same)).code == 0
    assert members(same)[1].keys() == members(src)[1].keys()
