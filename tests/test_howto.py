"""howto: a question answered from the knowledge base, or handed on as a question;
and every shipped playbook speaks English and Chinese."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pexpect
import pytest

from toolkit import playbook
from toolkit.paths import shipped_playbooks_dir


def test_kb_search_collector(cli) -> None:
    r = cli("collect", "kb.search", "-p", "query=account locked after password change",
            "--json")
    assert r.code == 0, r.err
    articles = json.loads(r.out)["result"]["articles"]
    assert articles[0]["id"] == "KB-ACC-005" and articles[0]["summary"]
    assert "**" not in articles[0]["summary"]
    r = cli("collect", "kb.search", "-p", "query=账号被锁定", "-p", "lang=zh", "--json")
    assert json.loads(r.out)["result"]["articles"][0]["title"] == "账号反复被锁定"
    r = cli("collect", "kb.search", "--json")
    assert r.code == 3 and "no question given" in json.loads(r.out)["reason"]


def test_unanswered_question_is_escalated_as_a_question(tmp_path: Path, cli) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("question: my account is locked after a password change\n")
    r = cli("run", "howto", "--non-interactive", "--json", "--answers", str(answers),
            "--out", str(tmp_path))
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [f["id"] for f in doc["findings"]] == ["article_not_enough"]
    assert doc["escalation"]["to"] == "L2-application"
    assert doc["escalation"]["reason"].endswith("my account is locked after a password change")
    with zipfile.ZipFile(doc["bundle"]) as zf:
        top = zf.namelist()[0].split("/")[0]
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    # What was tried is the text the user saw, with the article it pointed to.
    (tried,) = manifest["tried"]
    assert tried["instruction"].startswith('Read KB-ACC-005 "Account keeps getting locked"')
    assert [s["kind"] for s in manifest["steps"]] == ["collect", "guide", "check", "check"]


def test_answered_question_resolves(tmp_path: Path) -> None:
    env = {**os.environ, "SUPPORTKIT_HOME": str(tmp_path / "home")}
    child = pexpect.spawn(sys.executable, ["-m", "toolkit", "run", "howto", "--json", "--out",
                                           str(tmp_path / "o")], env=env, encoding="utf-8",
                          timeout=60)
    child.expect("What do you want to do")
    child.sendline("my password expires soon, how do I change it")
    child.expect("KB-ACC-003")
    child.expect(r"Did this fix it\? \[y/N\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (bundle,) = (tmp_path / "o").glob("*.zip")
    with zipfile.ZipFile(bundle) as zf:
        top = zf.namelist()[0].split("/")[0]
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    assert manifest["outcome"] == "resolved" and manifest["escalation"] is None


def _texts(pb: playbook.Playbook) -> list[tuple[str, playbook.Text]]:
    found: list[tuple[str, playbook.Text | None]] = [("title", pb.title),
                                                      ("description", pb.description)]
    found += [(f"input {i.name}", i.prompt) for i in pb.inputs]
    for s in pb.steps:
        found += [(f"step {s.id} text", s.text), (f"step {s.id} recommend", s.recommend),
                  (f"step {s.id} title", s.title)]
    if pb.escalate:
        found.append(("escalate reason", pb.escalate.reason))
    return [(where, text) for where, text in found if text is not None]


@pytest.mark.parametrize("path", sorted(shipped_playbooks_dir().glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_shipped_text_is_in_english_and_chinese(path: Path) -> None:
    pb = playbook.load(path)
    missing = [where for where, text in _texts(pb) if set(dict(text.values)) != {"en", "zh"}]
    assert not missing, f"{pb.id}: no en+zh for {missing}"
