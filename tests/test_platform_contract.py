"""The platform contract (toolkit/_platform/__init__.py): every back-end declares only
what the contract names, provides all it requires, and the optional features are
where this table says. The Windows and macOS back-ends are read from their own
declarations (``__all__``), so the test runs on Linux too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import toolkit
from toolkit import _platform

FOLDER = Path(toolkit.__file__).parent / "_platform"
# Which optional feature each platform has. A change here is a change of what supportkit
# can do on that platform: make it on purpose.
OPTIONAL_BY_PLATFORM = {
    "linux": {"systemd_booted", "init_process_name", "journal_argv", "journal_present",
              "JOURNAL_FIELDS", "KERNEL_LOG_COMMANDS", "block_disks", "ping_group_range"},
    "darwin": {"unified_log_argv"},
    "windows": {"eventlog_argv"},
}


def declared(name: str) -> set[str]:
    """The names a back-end exports: its ``__all__``, as written in its source."""
    tree = ast.parse((FOLDER / f"_{name}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        target = node.targets[0] if isinstance(node, ast.Assign) else (
            node.target if isinstance(node, ast.AugAssign) else None)
        if isinstance(target, ast.Name) and target.id == "__all__":
            names |= {e.value for e in node.value.elts}  # type: ignore[attr-defined]
    return names


def test_the_contract_names_each_attribute_once() -> None:
    assert not set(_platform.REQUIRED) & set(_platform.OPTIONAL)
    assert set(_platform.__all__) == set(_platform.REQUIRED) | set(_platform.OPTIONAL)
    for name in _platform.__all__:
        assert hasattr(_platform, name), name


@pytest.mark.parametrize("platform", sorted(OPTIONAL_BY_PLATFORM))
def test_each_back_end_provides_the_contract(platform: str) -> None:
    names = declared(platform)
    contract = set(_platform.REQUIRED) | set(_platform.OPTIONAL)
    assert names - contract == set(), f"_{platform} exports what the contract does not name"
    assert set(_platform.REQUIRED) - names == set(), f"_{platform} lacks required names"
    assert names & set(_platform.OPTIONAL) == OPTIONAL_BY_PLATFORM[platform]


def test_this_platform_leaves_what_it_lacks_as_none() -> None:
    mine = OPTIONAL_BY_PLATFORM.get(_platform.NAME, set())
    for name in _platform.OPTIONAL:
        assert (getattr(_platform, name) is None) == (name not in mine), name


def test_no_platform_checks_outside_the_platform_package() -> None:
    # A check, not a value recorded: sys.platform == / .startswith / in, os.name ==.
    pattern = re.compile(r"\b(?:sys\.platform|os\.name)\s*(?:[=!]=|\.startswith|in\b|not\s+in\b)")
    roots = [Path(toolkit.__file__).parent, Path(__import__("collectors").__file__).parent]
    found = []
    for root in roots:
        for path in root.rglob("*.py"):
            if "_platform" in path.parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line.split("#")[0]):
                    found.append(f"{path.relative_to(root.parent)}:{n}: {line.strip()}")
    assert not found, found
