"""supportkit run without a playbook: the symptom picks the playbook (en and zh)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from toolkit.playbook.suggest import all_playbooks, rank

PHRASES = [
    ("my disk makes clicking noises and files are corrupt", "hardware-failure"),
    ("SMART says the drive is failing", "hardware-failure"),
    ("硬盘有异响，数据读不出来", "hardware-failure"),
    ("I forgot my password and the account is locked", "account-permission"),
    ("access denied when I open the finance share", "account-permission"),
    ("密码过期了，登录不上", "account-permission"),
    ("没有权限打开这个文件夹", "account-permission"),
    ("please check my computer", "general"),
]


@pytest.mark.parametrize(("symptom", "expected"), PHRASES)
def test_symptom_picks_the_playbook(symptom: str, expected: str) -> None:
    found = rank(symptom, all_playbooks())
    assert found and found[0].playbook == expected, [(s.playbook, s.score) for s in found]


def test_nothing_matches_gives_nothing() -> None:
    assert rank("qwertyuiop", all_playbooks()) == []


def test_run_with_symptom_records_the_choice(tmp_path: Path, cli) -> None:
    r = cli("run", "--symptom", "密码过期了", "--non-interactive", "--json", "--skip", "auth",
            "--out", str(tmp_path))
    assert r.code == 0, r.err
    # A Chinese symptom makes a Chinese run (the symptom's script picks the language).
    assert "选择了排查流程 account-permission" in r.err
    import zipfile

    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        top = zf.namelist()[0].split("/")[0]
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    assert manifest["playbook"]["id"] == "account-permission"
    assert manifest["chosen_by"]["symptom"] == "密码过期了"
    assert "密码" in "".join(manifest["chosen_by"]["matched"])


def test_run_without_playbook_or_symptom_is_bad_input(cli) -> None:
    r = cli("run", "--non-interactive")
    assert r.code == 2 and "no playbook named and no problem described" in r.err


def test_unmatched_symptom_falls_back_to_general(tmp_path: Path, cli) -> None:
    r = cli("run", "--symptom", "qwertyuiop", "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path))
    assert r.code == 0 and "running the general triage" in r.err


def test_terminal_asks_for_the_symptom_and_offers_choices(tmp_path: Path) -> None:
    env = {**os.environ, "SUPPORTKIT_HOME": str(tmp_path / "home")}
    # Interrupted at the first self-help step, before any collector runs.
    child = pexpect.spawn(sys.executable, ["-m", "toolkit", "run", "--out", str(tmp_path / "o")],
                          env=env, encoding="utf-8", timeout=60)
    child.expect("Describe the problem")
    child.sendline("my password is locked and the disk is failing")
    child.expect(r"Which one\?.*\[1\]")
    child.sendline("")
    # The chosen playbook may ask its inputs first (account-permission asks two),
    # then comes its first self-help step.
    while child.expect([r"Step 1\.", "cannot be opened", "Whose access"]) != 0:
        child.sendline("")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_the_classification_dictionary_goes_first(tmp_path: Path, cli) -> None:
    # "clicking noise" is a phrase of the tickets' classification dictionary.
    r = cli("run", "--symptom", "my disk makes a clicking noise", "--non-interactive",
            "--json", "--skip", "disk,sys", "--out", str(tmp_path))
    assert r.code == 0, r.err
    assert "Chose playbook hardware-failure" in r.err and "clicking noise" in r.err
