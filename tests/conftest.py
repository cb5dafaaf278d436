"""Shared test set-up: every test gets its own SUPPORTKIT_HOME, entry-point
plugins are off, and the CLI can be driven in-process or as a real process.

Tests that need root or network namespaces are marked ``needs_root`` /
``netns``; they are skipped automatically when not root, and a root
developer can skip them with ``-m "not needs_root and not netns"``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# the diagnosis suite's scenario fixture and table (hooks count only when named here)
from diagnosis_table import (  # noqa: F401
    pytest_runtest_makereport,
    pytest_terminal_summary,
    scenario,
)

# A suite started in the background (`./scripts/test &`) inherits SIGINT ignored, and so
# would every process the tests start (a disposition that survives exec): the Ctrl-C
# tests need it back, whoever started the suite.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REALDATA = ROOT.parent / "shared" / "realdata"


def _shipped() -> Path:
    from toolkit.paths import shipped_playbooks_dir

    return shipped_playbooks_dir()


SHIPPED = _shipped()  # the installed package's playbooks, not the source tree's


def touch(path: Path, age_s: float = 0.0) -> Path:
    """Set a file's times to ``age_s`` seconds before this process's now. A file just
    written carries the kernel's clock, which a test run under faketime does not move."""
    import time

    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "skhome"
    monkeypatch.setenv("SUPPORTKIT_HOME", str(home))
    monkeypatch.setenv("SUPPORTKIT_DISABLE_ENTRYPOINTS", "1")
    monkeypatch.delenv("SUPPORTKIT_PLUGINS", raising=False)
    import toolkit.plugins

    monkeypatch.setattr(toolkit.plugins, "_REGISTRY", None)
    return home


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (run as root, as CI does)")
    for item in items:
        if "needs_root" in item.keywords or "netns" in item.keywords:
            item.add_marker(skip)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process: ``cli("run", "general", ...) -> Result``."""
    from toolkit.cli import main

    def invoke(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch):
    """Load test plugin modules from tests/plugins (in this process and in workers).

    Workers start with ``python -I`` and ignore PYTHONPATH: they import the plugin
    from the folder this process imported it from, named in their request. PYTHONPATH
    is still set for the real ``python -m toolkit`` processes a test starts."""

    def use(*modules: str) -> None:
        monkeypatch.setenv("SUPPORTKIT_PLUGINS", ",".join(modules))
        path = str(Path(__file__).parent / "plugins")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [path, os.environ.get("PYTHONPATH")])))
        if path not in sys.path:
            monkeypatch.syspath_prepend(path)
        import toolkit.plugins

        monkeypatch.setattr(toolkit.plugins, "_REGISTRY", None)

    return use


def run_process(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
                input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m toolkit ARGS`` as a real process (exit codes, signals, stdin)."""
    return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)
