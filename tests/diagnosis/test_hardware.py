"""hardware-failure on a disk's SMART record as L2 receives it (``smartctl -x -j``,
real captures from ../shared/realdata/smart by way of tests/fixtures/disk.health)."""

from __future__ import annotations

from pathlib import Path

from harness import diagnose

SMART = Path(__file__).parents[1] / "fixtures" / "disk.health"


def test_failing_disk(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("hardware-failure", "failing disk (real smartctl -j: SMART overall FAILED)",
             "disk_failing", "L2-hardware")
    result = diagnose("hardware-failure", tmp_path, {},
                      extra=["-p", f"disk.source={SMART / 'smart-fail2.json'}"])
    text = result.text("disk_failing")
    assert "is failing" in text and "serial" in text, text
    assert result.escalation_to == "L2-hardware"
    assert result.out["escalation"]["finding"] == "disk_failing"


def test_healthy_disk_control(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("hardware-failure", "none (healthy control: real smartctl -j of a good SATA disk)")
    result = diagnose("hardware-failure", tmp_path, {},
                      extra=["-p", f"disk.source={SMART / 'smart-ata.json'}"])
    assert result.serious() == [], result.findings
    assert result.escalation_to is None
