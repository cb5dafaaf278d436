"""Shell completion, driven the way a shell drives it: a separate ``supportkit``
process with click's environment-variable protocol (``_SUPPORTKIT_COMPLETE``,
``COMP_WORDS``, ``COMP_CWORD``), and bash itself running the script that the
README's line installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tickets_support import new_ticket


def _supportkit() -> str:
    """The installed console script (the test venv's), as a user's shell finds it."""
    beside = Path(sys.executable).parent / "supportkit"
    found = str(beside) if beside.is_file() else shutil.which("supportkit")
    assert found, "the supportkit console script is not installed"
    return found


def _complete(shell: str, words: str, cword: int | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    parts = words.split(" ")
    cword = len(parts) - 1 if cword is None else cword
    extra = {"_SUPPORTKIT_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
             "COMP_CWORD": str(cword) if shell != "fish" else parts[-1]}
    return subprocess.run([_supportkit()], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **extra, **(env or {})},
                          stdin=subprocess.DEVNULL)


def _bash_values(out: str) -> list[tuple[str, str]]:
    return [tuple(line.split(",", 1)) for line in out.splitlines() if line]  # type: ignore[misc]


def test_run_and_playbook_show_lint_complete_playbook_ids() -> None:
    from conftest import SHIPPED

    shipped = sorted(p.stem for p in SHIPPED.glob("*.yaml"))
    assert {"general", "disk-full", "software-crash"} <= set(shipped)
    every = _complete("bash", "supportkit run ")
    assert every.returncode == 0 and every.stderr == ""
    assert [v for t, v in _bash_values(every.stdout)] == shipped
    for words in ("supportkit run d", "supportkit playbook show d", "supportkit playbook lint d",
                  "supportkit playbook lint general d"):
        r = _complete("bash", words)
        assert r.returncode == 0, (words, r.stderr)
        assert _bash_values(r.stdout) == [("plain", s) for s in shipped if s.startswith("d")]
    # A word that is a path completes as a file name (the shell lists the folder).
    assert _bash_values(_complete("bash", "supportkit run ./my").stdout) == [("file", "./my")]
    # zsh gets the same ids (value, help, type: three lines each).
    z = _complete("zsh", "supportkit run gen").stdout.splitlines()
    assert z[:2] == ["plain", "general"]


def test_a_users_own_playbook_is_completed_too(_isolated_home: Path) -> None:
    from conftest import SHIPPED

    mine = _isolated_home / "playbooks"
    mine.mkdir(parents=True)
    shutil.copy(SHIPPED / "general.yaml", mine / "zz-site-triage.yaml")
    r = _complete("bash", "supportkit run zz")
    assert _bash_values(r.stdout) == [("plain", "zz-site-triage")]


def test_ticket_ids_complete_for_ticket_commands_and_run_ticket(cli) -> None:
    first = new_ticket(cli)["id"]
    second = cli("ticket", "new", "--title", "Outlook keeps crashing", "--no-collect",
                 "--json")
    assert second.code == 0
    ids = [first, "SUP-000002"]
    for words in ("supportkit ticket show ", "supportkit ticket note ",
                  "supportkit ticket escalate ", "supportkit ticket export ",
                  "supportkit ticket push ", "supportkit run general --ticket "):
        r = _complete("bash", words)
        assert r.returncode == 0 and r.stderr == "", (words, r.stderr)
        assert [v for _, v in _bash_values(r.stdout)] == ids, words
    # lower case is what people type; the title comes along where the shell shows help
    z = _complete("zsh", "supportkit ticket show sup-000002").stdout.splitlines()
    assert z == ["plain", "SUP-000002", "Outlook keeps crashing"]
    f = _complete("fish", "supportkit ticket move S").stdout.splitlines()
    assert f[:2] == [f"plain,{first}\tLaptop disk is full",
                     "plain,SUP-000002\tOutlook keeps crashing"]


def test_a_missing_or_broken_store_completes_nothing_and_prints_no_error(
        tmp_path: Path) -> None:
    r = _complete("bash", "supportkit ticket show ",
                  env={"SUPPORTKIT_STORE": str(tmp_path / "none.db")})
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "", "")
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    r = _complete("bash", "supportkit ticket show ", env={"SUPPORTKIT_STORE": str(broken)})
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_readme_bash_line_installs_a_working_completion(cli) -> None:
    """The exact line README › Shell completion gives, in a real bash."""
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = 'eval "$(_SUPPORTKIT_COMPLETE=bash_source supportkit)"'
    assert line in readme
    assert "_SUPPORTKIT_COMPLETE=zsh_source supportkit" in readme
    assert "_SUPPORTKIT_COMPLETE=fish_source supportkit | source" in readme
    # (bash calls the function with the command's name, the word and the one before)
    ticket = new_ticket(cli)["id"]
    script = (f"{line}\n"
              "COMP_WORDS=(supportkit run disk); COMP_CWORD=2; _supportkit_completion supportkit\n"
              'printf "%s\\n" "${COMPREPLY[@]}"; echo --\n'
              "COMPREPLY=(); COMP_WORDS=(supportkit ticket show ''); COMP_CWORD=3\n"
              "_supportkit_completion supportkit\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {**os.environ, "PATH": f"{Path(_supportkit()).parent}{os.pathsep}{os.environ['PATH']}"}
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("--\n") == ["disk-full\n", f"{ticket}\n"]
