"""Bundle, ticket and article text reaches the terminal escaped: a crafted bundle cannot
make ``verify`` look like "OK", recolour the screen, retitle the window or reorder text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bundle_forge import forge
from tickets_support import make_bundle, new_ticket

# Erase the line, go up, print a fake verdict; OSC retitles the window; U+009B is a
# one-byte CSI; U+202E reverses what follows.
FAKE_OK = "\x1b[2K\r\x1b[1AOK: bundle.zip \u2014 12 files match the manifest"
HOSTILE = f"{FAKE_OK}\x1b]0;pwned\x07\x9b2J\u202egnp.exe\x7f"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _raw(text: str) -> list[str]:
    return RAW.findall(text)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    src, _ = make_bundle(tmp_path / "src")
    findings = {"outcome": "finding", "escalation": None, "findings": [
        {"id": "disk_full", "severity": "high", "finding": f"disk {HOSTILE}",
         "recommend": f"free {HOSTILE}", "kb": None}]}

    def edit(m: dict) -> None:
        m["run_id"] = HOSTILE
        m["host"]["hostname"] = HOSTILE
        m["symptom"] = HOSTILE
        m["ticket_info"] = {"title": HOSTILE, "description": f"line one\n{HOSTILE}",
                            "error_message": HOSTILE}
        m["steps"][0]["reason"] = HOSTILE
    return forge(src, tmp_path / "hostile.zip", manifest=edit,
                 files={"findings.json": json.dumps(findings).encode()})


def test_bundle_show_prints_escapes_never_control_characters(cli, hostile: Path) -> None:
    r = cli("bundle", "show", str(hostile))
    assert r.code == 0, r.err
    assert _raw(r.out) == []
    assert "\\x1b[2K\\x0d\\x1b[1AOK: bundle.zip" in r.out and "\\u202egnp.exe" in r.out
    assert "\\x9b2J" in r.out and "\\x7f" in r.out
    # The multi-line description keeps its line break, indented under its label.
    assert "  description: line one\n" in r.out


def test_bundle_show_json_has_no_raw_c1_or_bidi(cli, hostile: Path) -> None:
    r = cli("bundle", "show", str(hostile), "--json")
    assert r.code == 0 and _raw(r.out) == []
    assert json.loads(r.out)["run_id"] == HOSTILE  # the same value, escaped as JSON


def test_a_member_name_cannot_fake_the_verdict_of_verify(cli, hostile: Path,
                                                        tmp_path: Path) -> None:
    bad = forge(hostile, tmp_path / "named.zip", rehash=False,
                files={f"{FAKE_OK}\x9b.txt": b"added"})
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4
    assert _raw(r.out) == []
    assert r.out.startswith("TAMPERED: ")
    assert "\\x1b[2K\\x0d\\x1b[1AOK: bundle.zip" in r.out


def test_ticket_list_show_and_export_escape_the_title(cli, tmp_path: Path) -> None:
    tid = new_ticket(cli, "--title", f"Printer {HOSTILE}", "--description",
                     f"first line\nsecond {HOSTILE}", "--error-message", HOSTILE)["id"]
    for args in (("ticket", "list"), ("ticket", "show", tid),
                 ("ticket", "export", tid), ("ticket", "export", tid, "--format", "html"),
                 ("ticket", "export", tid, "--format", "json"), ("ticket", "show", tid, "--json")):
        r = cli(*args)
        assert r.code == 0, (args, r.err)
        assert _raw(r.out) == [], args
        assert "\\x1b" in r.out or "\\u001b" in r.out, args
    r = cli("ticket", "show", f"{FAKE_OK}\x9b")  # an id that is not there: the error quotes it
    assert r.code == 2 and _raw(r.err) == [] and r.err.startswith("Error: no ticket ")


def test_kb_show_escapes_an_article(cli, _isolated_home: Path) -> None:
    kb = _isolated_home / "kb"
    kb.mkdir(parents=True)
    (kb / "KB-X-001.md").write_text(
        "---\nid: KB-X-001\ntitle: {en: \"Title \\e[31m red\"}\ncategory: hardware\n"
        f"keywords: [x]\n---\n<!-- en -->\nBody {HOSTILE}\nsecond line\n", encoding="utf-8")
    r = cli("kb", "show", "KB-X-001", "--lang", "en")
    assert r.code == 0, r.err
    assert _raw(r.out) == [] and "\\x1b[31m red" in r.out and "\nsecond line" in r.out
