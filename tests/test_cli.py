"""The CLI contract: help, version, one-line errors, exit codes, JSON on stdout only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import run_process

HEAVY = ("psutil", "jinja2", "yaml", "jsonschema", "scapy", "pluggy")


def test_help_imports_no_heavy_module() -> None:
    code = ("import sys; from toolkit.cli import main; "
            "rc = main(['--help']); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_version_and_module_entry_point() -> None:
    from toolkit import __version__

    proc = run_process("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"supportkit, version {__version__}"


def _command_table() -> list[tuple[str, ...]]:
    """Every command and subcommand, from the real command table (not a list here)."""
    import importlib

    import click

    from toolkit.cli import COMMANDS

    found: list[tuple[str, ...]] = []
    for name, (module, attr, _) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attr)
        found.append((name,))
        if isinstance(command, click.Group):
            found += [(name, sub) for sub in command.commands]
    return found


def test_help_lists_every_command_and_each_has_help_and_docs(cli) -> None:
    from conftest import ROOT

    table = _command_table()
    assert len(table) > 30
    top = cli("-h")
    assert top.code == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme[readme.index("## Commands"):readme.index("## Security model")]
    for path in table:
        if len(path) == 1:
            assert f"  {path[0]} " in top.out, path
        r = cli(*path, "--help")
        assert r.code == 0 and "Usage: supportkit" in r.out, path
        assert f"supportkit {path[0]}" in commands and path[-1] in commands, (
            f"README › Commands does not mention {' '.join(path)}")


def test_unknown_command_and_option_are_usage_errors(cli) -> None:
    r = cli("frobnicate")
    assert r.code == 2
    assert r.err == "Error: No such command 'frobnicate' — see 'supportkit --help'\n"
    r = cli("run", "general", "--colour")
    assert r.code == 2 and r.err.startswith("Error: No such option")
    assert "--colour" in r.err and r.err.endswith(" — see 'supportkit run --help'\n")
    assert r.err.count("\n") == 1
    r = cli("collect")
    assert r.code == 2 and "Missing argument 'NAME'" in r.err


def test_collectors_list_and_json(cli) -> None:
    r = cli("collectors")
    assert r.code == 0
    assert "system.info" in r.out and "disk.usage" in r.out
    doc = json.loads(cli("collectors", "--json").out)
    names = [c["name"] for c in doc["collectors"]]
    assert names == sorted(names) and {"system.info", "disk.usage"} <= set(names)
    info = next(c for c in doc["collectors"] if c["name"] == "system.info")
    assert info["params"] == [{"name": "sample_s", "type": "float", "default": 0.3,
                               "help": "seconds over which CPU usage is sampled", "min": 0}]
    assert "Output::" in info["doc"] and info["platforms"] == ["linux", "darwin", "windows"]


def test_broken_plugins_are_reported_not_fatal(cli, plugins) -> None:
    plugins("sk_brokenplugin", "sk_garbageplugin", "sk_not_installed_anywhere")
    r = cli("collectors", "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert "system.info" in [c["name"] for c in doc["collectors"]]
    problems = "\n".join(doc["problems"])
    assert "plugin sk_brokenplugin failed to load: ImportError: planted" in problems
    assert "plugin sk_garbageplugin: supportkit_collectors() returned str" in problems
    assert "plugin sk_not_installed_anywhere failed to load: ModuleNotFoundError" in problems
    assert r.err.count("Warning: ") == 3


def test_collect_unknown_collector_suggests(cli) -> None:
    r = cli("collect", "sytem.info")
    assert r.code == 2
    assert r.err == ("Error: unknown collector 'sytem.info' — did you mean 'system.info'? "
                     "'supportkit collectors' lists them\n")


def test_collect_bad_params(cli) -> None:
    r = cli("collect", "system.info", "-p", "sample_s")
    assert r.code == 2 and "is not key=value" in r.err
    r = cli("collect", "system.info", "-p", "smaple_s=1")
    assert r.code == 2 and "(did you mean 'sample_s'?)" in r.err
    r = cli("collect", "system.info", "--timeout", "0")
    assert r.code == 2


def test_collect_timeout_and_skip_outcomes(cli, plugins) -> None:
    plugins("sk_testcollectors")
    r = cli("collect", "tests.sleep", "--timeout", "1", "--json")
    assert r.code == 3
    doc = json.loads(r.out)
    assert doc["outcome"] == "timed_out" and 0.9 < doc["duration_s"] < 20
    r = cli("collect", "tests.skip", "--json")
    assert r.code == 0 and json.loads(r.out)["outcome"] == "skipped"
    r = cli("collect", "tests.crash")
    assert r.code == 3 and "collector crashed: RuntimeError" in r.err
    assert "Traceback" not in r.err


def test_run_json_prints_one_document_on_stdout(tmp_path: Path) -> None:
    proc = run_process("run", "general", "--json", "--out", str(tmp_path))
    # No --non-interactive, but stdin is not a terminal: it must not wait.
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"bundle", "outcome", "findings"} <= set(doc)
    assert Path(doc["bundle"]).parent == tmp_path
    assert "[2/16]" in proc.stderr  # progress goes to stderr


def test_default_bundle_folder_is_under_supportkit_home(cli, _isolated_home: Path) -> None:
    r = cli("run", "general", "--non-interactive", "--only", "disk", "--quiet")
    assert r.code == 0
    path = Path(r.out.strip())
    assert path.parent == _isolated_home / "bundles" and path.is_file()


def test_playbook_list_and_show(cli) -> None:
    r = cli("playbook", "list", "--json")
    ids = [p["id"] for p in json.loads(r.out)["playbooks"]]
    assert "general" in ids
    r = cli("playbook", "show", "general")
    assert r.code == 0 and "collect" in r.out and "escalate to L2-hardware" in r.out
    r = cli("playbook", "show", "general", "--json", "--lang", "zh")
    assert json.loads(r.out)["title"] == "通用机器排查"


def test_user_playbook_folder_overrides_and_broken_ones_are_reported(cli,
                                                                     _isolated_home: Path
                                                                     ) -> None:
    folder = _isolated_home / "playbooks"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("id: mine\nversion: 1\ntitle: Mine\ncategory: general\n"
                                      "steps:\n  - collect: disk.usage\n")
    (folder / "broken.yaml").write_text("id: [\n")
    r = cli("playbook", "list", "--json")
    doc = json.loads(r.out)
    assert "mine" in [p["id"] for p in doc["playbooks"]]
    assert any("broken.yaml:" in p for p in doc["problems"])
    r = cli("run", "mine", "--non-interactive", "--json")
    assert r.code == 0 and json.loads(r.out)["outcome"] == "ok"
