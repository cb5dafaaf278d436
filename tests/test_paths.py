"""``supportkit paths``: where the config file, bundles, ticket store and the user's
playbooks are — the paths the commands really use, before any of them exists."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_process


def test_paths_lists_what_the_commands_use_and_creates_nothing(cli, _isolated_home: Path) -> None:
    r = cli("paths", "--json")
    assert r.code == 0 and r.err == ""
    doc = json.loads(r.out)
    assert doc["home"] == {"path": str(_isolated_home), "exists": False,
                           "from": "SUPPORTKIT_HOME", "what": doc["home"]["what"]}
    assert doc["config"]["path"] == str(_isolated_home / "config.yaml")
    assert doc["bundles"]["path"] == str(_isolated_home / "bundles")
    assert doc["tickets"]["path"] == str(_isolated_home / "tickets.db")
    assert doc["playbooks"]["path"] == str(_isolated_home / "playbooks")
    assert all(not v["exists"] for k, v in doc.items() if k != "shipped-playbooks")
    assert doc["shipped-playbooks"]["exists"] and doc["shipped-playbooks"]["from"] == "installed"
    assert not _isolated_home.exists(), "paths must not create anything"

    # The paths are the ones the commands use: a ticket and a bundle land there.
    assert cli("ticket", "new", "--title", "Printer offline", "--no-collect").code == 0
    run = cli("run", "general", "--non-interactive", "--quiet", "--json")
    assert run.code in (0, 3), run.err
    bundle = Path(json.loads(run.out)["bundle"])
    after = json.loads(cli("paths", "--json").out)
    assert after["tickets"]["exists"] and after["bundles"]["exists"]
    assert bundle.parent == Path(after["bundles"]["path"])


def test_paths_text_one_name_and_the_store_variable(tmp_path: Path, _isolated_home: Path) -> None:
    store = tmp_path / "elsewhere" / "cases.db"
    r = run_process("paths", env={"SUPPORTKIT_STORE": str(store)})
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["home", str(_isolated_home), "(not", "there", "yet)"]
    assert any(line.split()[:2] == ["tickets", str(store)] for line in lines)
    one = run_process("paths", "config")
    assert (one.returncode, one.stdout) == (0, f"{_isolated_home / 'config.yaml'}\n")
    doc = json.loads(run_process("paths", "tickets", "--json",
                                 env={"SUPPORTKIT_STORE": str(store)}).stdout)
    assert doc == {"tickets": {"path": str(store), "exists": False, "from": "SUPPORTKIT_STORE",
                               "what": doc["tickets"]["what"]}}
    bad = run_process("paths", "nowhere")
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ") and len(
        bad.stderr.splitlines()) == 1
