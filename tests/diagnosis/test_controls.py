"""Healthy controls: a playbook run on a machine where nothing is wrong (its
defaults stay on this machine and loopback) raises nothing high or critical."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import diagnose


@pytest.mark.parametrize("playbook", ["general", "disk-full"])
def test_healthy_control(playbook: str, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(playbook, "none (healthy control, defaults)")
    result = diagnose(playbook, tmp_path)
    assert result.serious() == [], result.findings
