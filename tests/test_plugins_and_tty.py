"""Third-party collectors through real entry points; interactive runs on a pseudo-terminal."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pexpect
import pytest
from conftest import run_process

PLUGINS = str(Path(__file__).parent / "plugins")


def _dist(site: Path, name: str, target: str) -> None:
    """A minimal installed distribution declaring one supportkit.collectors entry point."""
    # As wheels write it: "-" in the name escaped to "_" (importlib.metadata keys on it).
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[supportkit.collectors]\n{name} = {target}\n")


def test_entry_point_plugins_load_and_broken_ones_are_reported(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist(site, "sk-good", "sk_testcollectors")
    _dist(site, "sk-broken", "sk_module_that_is_not_there")
    env = {"PYTHONPATH": os.pathsep.join([str(site), PLUGINS]),
           "SUPPORTKIT_DISABLE_ENTRYPOINTS": ""}
    proc = run_process("collectors", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    names = {c["name"] for c in doc["collectors"]}
    assert {"tests.sleep", "tests.echo", "system.info"} <= names
    assert any(p.startswith("plugin sk-broken (sk_module_that_is_not_there) failed to load")
               for p in doc["problems"])
    # The plugin's collector runs in a worker like any built-in.
    proc = run_process("collect", "tests.echo", "-p", "value=hi", "--json", env=env)
    assert json.loads(proc.stdout)["result"]["value"] == "hi"


GUIDED = """\
id: guided
version: 1
title: Guided
category: general
steps:
  - guide: "Restart the mail program."
    id: restart
    resolves: true
  - ask: "Which account?"
    id: account
    default: work
  - collect: tests.echo
    with: {value: "{{ answers.account }}"}
"""


def _spawn(tmp_path: Path) -> pexpect.spawn:
    pb = tmp_path / "guided.yaml"
    pb.write_text(GUIDED)
    env = {**os.environ, "SUPPORTKIT_PLUGINS": "sk_testcollectors",
           "PYTHONPATH": os.pathsep.join(filter(None, [PLUGINS, os.environ.get("PYTHONPATH")]))}
    return pexpect.spawn(sys.executable, ["-m", "toolkit", "run", str(pb), "--json",
                                          "--out", str(tmp_path / "out")],
                         env=env, encoding="utf-8", timeout=60)


def _bundle_manifest(tmp_path: Path) -> dict:
    (bundle,) = (tmp_path / "out").glob("*.zip")
    with zipfile.ZipFile(bundle) as zf:
        top = zf.namelist()[0].split("/")[0]
        return json.loads(zf.read(f"{top}/manifest.json"))


def test_tty_fixed_at_guide_step_stops_the_run(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    child.expect("Restart the mail program.")
    child.expect(r"Did this fix it\? \[y/N\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    manifest = _bundle_manifest(tmp_path)
    assert manifest["outcome"] == "resolved" and manifest["resolved_by"] == "restart"
    assert manifest["steps"][0]["answer_source"] == "user"
    assert [s["outcome"] for s in manifest["steps"][1:]] == ["skipped", "skipped"]


def test_tty_not_fixed_continues_and_default_is_taken(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    child.expect(r"Did this fix it\? \[y/N\]")
    child.sendline("n")
    child.expect(r"Which account\? \[work\]")
    child.sendline("")  # Enter takes the default
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    manifest = _bundle_manifest(tmp_path)
    assert manifest["outcome"] == "ok"
    assert manifest["steps"][1]["answer"] == "work"
    assert manifest["steps"][2]["params"] == {"value": "work", "count": 2}


@pytest.mark.parametrize("key", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_tty_interrupt_at_prompt_exits_130_with_nothing_written(tmp_path: Path,
                                                                 key: str) -> None:
    child = _spawn(tmp_path)
    child.expect(r"Did this fix it\? \[y/N\]")
    child.send(key)
    child.expect("Interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_one_broken_builtin_module_does_not_hide_the_others(monkeypatch) -> None:
    import collectors
    import toolkit.plugins

    monkeypatch.setattr(collectors, "BUILTIN", (*collectors.BUILTIN, "collectors.no_such_one"))
    registry = toolkit.plugins.load(refresh=True)
    assert {"system.info", "disk.usage"} <= set(registry.names())
    assert any("could not load ModuleNotFoundError: collectors.no_such_one" in p
               for p in registry.problems)
