"""``bundle report`` of a hostile manifest: links only to members of the bundle, never a
script; the page forbids scripts and remote fetches (Content-Security-Policy)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bundle_forge import forge
from tickets_support import make_bundle

HOSTILE_PATHS = ["javascript:alert(document.domain)", "JavaScript:alert(1)",
                 " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                 "https://evil.example/x", "//evil.example/x", "/etc/passwd",
                 "attachments/../../x", "attachments\\x.txt", "C:/x", "attachments/x?y",
                 "attachments/%2e%2e/x", "attachments/x#y", ""]


@pytest.fixture
def report(cli, tmp_path: Path) -> str:
    src, _ = make_bundle(tmp_path / "src")

    def edit(m: dict[str, Any]) -> None:
        m["attachments"] = [{"path": p, "original_name": f"file{i}.txt"}
                            for i, p in enumerate(HOSTILE_PATHS)]
        m["attachments"].append({"path": "attachments/notes.txt", "original_name": "notes"})
    bad = forge(src, tmp_path / "hostile.zip", manifest=edit)
    out = tmp_path / "hostile.html"
    r = cli("bundle", "report", str(bad), "--out", str(out))
    assert r.code == 0, r.err
    return out.read_text(encoding="utf-8")


def test_only_relative_paths_inside_the_bundle_become_links(report: str) -> None:
    hrefs = re.findall(r'<a\s[^>]*href="([^"]*)"', report)
    assert hrefs == ["attachments/notes.txt"]
    assert '<a href="javascript:' not in report.lower()
    for i in range(len(HOSTILE_PATHS)):  # still listed, as text
        assert f"file{i}.txt" in report
    assert "javascript:alert(document.domain)" in report


def test_the_page_forbids_scripts_and_remote_content(report: str) -> None:
    head = report.split("</head>", 1)[0]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', head)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "img-src data:" in policy and "style-src 'unsafe-inline'" in policy
    assert head.index("Content-Security-Policy") < head.index("<title>")
    assert "<script" not in report
