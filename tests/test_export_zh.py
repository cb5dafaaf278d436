"""``ticket export`` speaks the ticket's language: a Chinese ticket's md and html hold no
English a reader has to read (the same finder as the report's, ``english_left``), while
``--lang en`` and an English ticket give the English export as it always was, and json
is the same public document in every language.

The ticket is made as a help desk makes it: ``ticket new`` with a Chinese title, a run
attached to it, an escalation with a Chinese reason (its resources come from the
playbook, in English, and are translated).
"""

from __future__ import annotations

import getpass
import html
import json
import re
from pathlib import Path

from conftest import run_process
from test_guided_transcripts import english_left

# Data, shown as they are in any language: the machine's own names (the host, its OS,
# kernel, CPU model, architecture, time zone, the OS user who acted, the Python version), taken from
# the ticket's environment and evidence (its json) itself; and the playbook ids the run
# and the escalation name (general, hardware-failure: hyphenated ids are data for
# english_left already).
_DATA = [
    re.compile(r"\b[A-Za-z0-9_.-]+\.zip\b"),  # bundle file names (SUP-000001_vm_….zip)
    re.compile(r"\b[0-9a-f]{12,64}\b"),  # sha256 and its short form
    re.compile(r"\b\d{4}-\d\d-\d\d(?: \d\d:\d\d:\d\d(?:[+-]\d\d:\d\d)?)?"),  # times
    re.compile(r"\bL[12]\b"),  # support levels
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # architecture names (x86_64 is cut by the numbers)
    re.compile(r"GiB\b"),  # the unit of the memory
]
# ...and the playbook id; "sha256", the hash's column; Python, a product's name (its label)
ALSO = {"general", "sha", "python"}


def _zh_ticket(out: Path) -> str:
    new = run_process("ticket", "new", "--title", "电脑很卡，磁盘快满了", "--no-collect",
                      "--impact", "high", "--urgency", "medium", "--reporter", "张三")
    assert new.returncode == 0, new.stderr
    tid = new.stdout.split()[0]
    run = run_process("run", "general", "--ticket", tid, "--non-interactive", "--quiet",
                      "--out", str(out))
    assert run.returncode in (0, 3), run.stderr
    esc = run_process("ticket", "escalate", tid, "--to", "L2-hardware", "--reason",
                      "硬盘可能有问题")
    assert esc.returncode == 0, esc.stderr
    return tid


def _export(tid: str, *args: str) -> str:
    r = run_process("ticket", "export", tid, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _names(tid: str) -> set[str]:
    doc = json.loads(_export(tid, "--format", "json"))
    env = doc["ticket"]["environment"]
    names = {str(env[k]) for k in ("hostname", "os", "kernel", "cpu", "machine", "timezone",
                                   "user", "python") if env.get(k)}
    names |= {str(a["host"]) for a in doc["ticket"]["attachments"] if a.get("host")}
    return names | {getpass.getuser()}


def _leaks(text: str, names: set[str]) -> list[str]:
    for pat in _DATA:
        text = pat.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return english_left(text, ALSO)


def _page_text(page: str) -> str:
    page = re.sub(r"(?is)<(style|title)\b.*?</\1>", "\n", page)
    page = re.sub(r"(?is)<meta\b[^>]*>", "\n", page)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def test_a_chinese_tickets_export_is_chinese(tmp_path: Path) -> None:
    tid = _zh_ticket(tmp_path / "out")
    names = _names(tid)
    md = _export(tid, "--format", "md")
    assert "## 概要" in md and "## 历史记录" in md and "二线工程师" in md, md
    assert "进行中（剩余 " in md and "升级至 L2-hardware：硬盘可能有问题" in md, md
    left = _leaks(md, names)
    assert left == [], "\n".join(left)

    page = _export(tid, "--format", "html")
    assert '<html lang="zh">' in page and "<h2>概要</h2>" in page
    left = _leaks(_page_text(page), names)
    assert left == [], "\n".join(left)

    # --lang en: the English package, whatever the ticket is written in
    en = _export(tid, "--format", "md", "--lang", "en")
    assert "## Summary" in en and "| **Status** | escalated · level L2 |" in en, en
    assert "second-line engineer" in en and "概要" not in en
    assert "<html><head>" in _export(tid, "--format", "html", "--lang", "en")

    # json is public interface: English keys and values in every language
    doc = json.loads(_export(tid, "--format", "json"))
    assert doc["ticket"]["status"] == "escalated"
    assert doc["ticket"]["escalations"][-1]["resources"][0] == "second-line engineer"
    assert json.loads(_export(tid, "--format", "json", "--lang", "zh"))["ticket"] == \
        json.loads(_export(tid, "--format", "json", "--lang", "en"))["ticket"] == doc["ticket"]


def test_an_english_tickets_export_stays_english() -> None:
    new = run_process("ticket", "new", "--title", "Laptop very slow", "--no-collect",
                      "--reporter", "alice")
    assert new.returncode == 0, new.stderr
    tid = new.stdout.split()[0]
    md = _export(tid, "--format", "md")
    assert md == _export(tid, "--format", "md", "--lang", "en")
    assert "## Summary" in md and "Nothing recorded as tried." in md
    assert "(no description given)" in md and re.search(r"[\u3400-\u9fff]", md) is None
    assert md.endswith("_Exported by supportkit — `supportkit ticket show "
                       f"{tid} --json` has every field._\n")
    page = _export(tid, "--format", "html")
    assert page.startswith("<!doctype html><html><head>") and "<h2>Summary</h2>" in page
    assert re.search(r"[\u3400-\u9fff]", page) is None
    # and in Chinese on demand
    assert "## 概要" in _export(tid, "--format", "md", "--lang", "zh")
