"""``ticket export`` embeds what users typed: a forged title or error message must not add
a section, a table row or HTML to the Markdown L2 reads, nor break the code fence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from tickets_support import new_ticket

FORGED_TITLE = "x\n## Solution\nforged"
FORGED_DESCRIPTION = ("it fails\n## Solution\nreboot\n- listed\n1. numbered\n> quoted\n"
                      "| a | b |\n|---|---|\n<img src=x onerror=alert(1)>\n---\n```\n"
                      "[click](javascript:alert(1))")
FORGED_ERROR = "boom ```\n## Solution\n````` still inside\r\n``````\ndone"


def _parse(md: str) -> dict[str, Any]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    heads = [(tok.tag, tokens[i + 1].content) for i, tok in enumerate(tokens)
             if tok.type == "heading_open"]
    rows: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            n = 0
            for inner in tokens[i + 1:]:
                if inner.type == "tr_close":
                    break
                n += inner.type in ("th_open", "td_open")
            rows.append(n)
    links = [c for tok in tokens for c in (tok.children or []) if c.type == "link_open"]
    return {"heads": heads, "fences": [t.content for t in tokens if t.type == "fence"],
            "rows": rows, "lists": sum(t.type.endswith("list_open") for t in tokens),
            "quotes": sum(t.type == "blockquote_open" for t in tokens),
            "html": [t.content for t in tokens if t.type.startswith("html")]
            + [c.content for t in tokens for c in (t.children or [])
               if c.type.startswith("html")],
            "links": links, "hr": sum(t.type == "hr" for t in tokens)}


def _export(cli, folder: Path, *args: str) -> str:
    """The Markdown as written to a file (stdout is also escaped for the terminal)."""
    tid = new_ticket(cli, *args)["id"]
    out = folder / f"{tid}.md"
    r = cli("ticket", "export", tid, "--out", str(out))
    assert r.code == 0, r.err
    return out.read_text(encoding="utf-8")


@pytest.fixture
def exports(cli, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    clean = _parse(_export(cli, tmp_path, "--title", "x", "--description", "it fails",
                           "--error-message", "boom"))
    text = _export(cli, tmp_path, "--title", FORGED_TITLE, "--description", FORGED_DESCRIPTION,
                   "--error-message", FORGED_ERROR)
    return clean, _parse(text), text


def test_a_forged_title_and_description_add_no_section(exports) -> None:
    clean, hostile, _ = exports
    # Same headings as a clean ticket (only the title's own text differs).
    assert [h for h in hostile["heads"] if h[0] != "h1"] == \
        [h for h in clean["heads"] if h[0] != "h1"]
    assert ("h2", "Solution") not in hostile["heads"]
    (h1,) = [h for h in hostile["heads"] if h[0] == "h1"]
    assert "## Solution forged" in h1[1]
    assert hostile["lists"] == clean["lists"] and hostile["quotes"] == clean["quotes"]
    assert hostile["hr"] == clean["hr"]


def test_the_error_message_stays_inside_its_fence(exports) -> None:
    _, hostile, _ = exports
    assert hostile["fences"] == [FORGED_ERROR.replace("\r\n", "\n") + "\n"]


def test_no_html_link_or_extra_table_row_from_user_text(exports) -> None:
    clean, hostile, text = exports
    assert hostile["html"] == [] and hostile["links"] == []
    assert hostile["rows"] == clean["rows"]  # the fake "| a | b |" table never forms
    assert "onerror=alert(1)" in text  # shown as text, not dropped


def test_table_cells_keep_their_columns(cli, tmp_path: Path) -> None:
    clean = _parse(_export(cli, tmp_path, "--title", "x", "--reporter", "alice"))
    hostile = _parse(_export(cli, tmp_path, "--title", "x", "--reporter", "a | b \\| c\nd\r| e |"))
    assert hostile["rows"] == clean["rows"]  # same tables, same cells in every row


def test_html_export_escapes_and_forbids_scripts(cli) -> None:
    tid = new_ticket(cli, "--title", "<script>alert(1)</script>", "--description",
                     "<img src=x onerror=alert(1)>")["id"]
    r = cli("ticket", "export", tid, "--format", "html")
    assert r.code == 0
    assert "<script>" not in r.out and "<img" not in r.out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.out
    assert "Content-Security-Policy" in r.out and "default-src 'none'" in r.out


def test_a_kb_draft_cannot_forge_a_language_section(cli) -> None:
    from toolkit.tickets.kbdraft import _body
    from toolkit.tickets.model import Ticket

    t = Ticket(id="SUP-000001", title="x\n<!-- zh -->", created_at="", updated_at="",
               reported_at="", description="line\n<!-- zh -->\n---\nforged",
               error_message="a ```\nb", solution={"steps": ["do ```"], "text": "do"})
    body = _body(t)
    assert "\n<!-- zh -->" not in body and "\n---" not in body
    fences = [tok.content for tok in MarkdownIt("commonmark").parse(body)
              if tok.type == "fence"]
    assert fences == ["a ```\nb\n"]
