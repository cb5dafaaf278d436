"""The diagnosis suite's table (tests/diagnosis/): every scenario declares its fault
and what must be found (the ``scenario`` fixture); the end of the run prints fault →
finding → escalation → result, and writes it as Markdown to
``$SUPPORTKIT_DIAGNOSIS_TABLE`` when that is set (docs/diagnosis.md is made from it).
Loaded by tests/conftest.py: a second conftest.py would shadow the first as the module
``conftest`` that tests import from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Scenario:
    playbook: str = ""
    fault: str = ""
    finding: str = ""
    escalation: str = ""
    root: bool = False

    def __call__(self, playbook: str, fault: str, finding: str = "(none high)",
                 escalation: str | None = None) -> Scenario:
        """Declare it: *finding* is the finding id that must fire ("(none high)" for a
        healthy control), *escalation* the team it must go to (None: no escalation)."""
        self.playbook, self.fault, self.finding = playbook, fault, finding
        self.escalation = escalation or "—"
        return self


_TABLE: list[tuple[str, Scenario, str]] = []
_DECLARED: dict[str, Scenario] = {}


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> Scenario:
    s = Scenario(root=request.node.get_closest_marker("needs_root") is not None
                 or request.node.get_closest_marker("netns") is not None)
    _DECLARED[request.node.nodeid] = s
    return s


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    s = _DECLARED.get(item.nodeid)
    if s is None or not s.fault:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        result = {"passed": "pass", "failed": "FAIL", "skipped": "skipped"}[report.outcome]
        _TABLE.append((item.nodeid, s, result))


def _markdown() -> str:
    rows = ["| # | playbook | fault injected | finding | escalation | result |",
            "|---|---|---|---|---|---|"]
    for n, (_, s, result) in enumerate(_TABLE, 1):
        rows.append(f"| {n} | {s.playbook} | {s.fault}{' (root)' if s.root else ''} | "
                    f"`{s.finding}` | {s.escalation} | {result} |")
    return "\n".join(rows) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TABLE:
        return
    terminalreporter.section("diagnosis scenarios")
    width = max(len(s.fault) for _, s, _ in _TABLE)
    for _, s, result in _TABLE:
        terminalreporter.write_line(
            f"{result:7} {s.fault:{width}}  → {s.finding} · {s.escalation} ({s.playbook})")
    passed = sum(1 for *_, r in _TABLE if r == "pass")
    terminalreporter.write_line(f"{passed} of {len(_TABLE)} scenarios pass")
    target = os.environ.get("SUPPORTKIT_DIAGNOSIS_TABLE")
    if target:
        Path(target).write_text(_markdown(), encoding="utf-8")
