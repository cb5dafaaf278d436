"""boot-failure, disk-full and performance: lint, run on this machine (a verifying
bundle whatever it has), and findings from saved outputs given with -p."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, SHIPPED

PLAYBOOKS = ("boot-failure", "disk-full", "performance")
SMART_FAILING = FIXTURES / "disk.health/smart-fail2.json"
SMART_OK = FIXTURES / "disk.health/smart-ata.json"


def _run(cli, tmp_path: Path, playbook: str, *params: str) -> dict[str, Any]:
    args = [a for p in params for a in ("-p", p)]
    got = cli("run", playbook, "--non-interactive", "--json", "--out", str(tmp_path), *args)
    assert got.code == 0, got.err
    doc = json.loads(got.out)
    assert Path(doc["bundle"]).is_file()
    verified = cli("bundle", "verify", doc["bundle"])
    assert verified.code == 0, verified.err + verified.out
    return doc


def _ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_lints_clean(cli, playbook: str) -> None:
    got = cli("playbook", "lint", str(SHIPPED / f"{playbook}.yaml"))
    assert got.code == 0, got.err + got.out


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_guide_steps_come_first_and_kb_ids_are_set(playbook: str) -> None:
    import yaml

    doc = yaml.safe_load((SHIPPED / f"{playbook}.yaml").read_text())
    kinds = [next(k for k in ("guide", "ask", "collect", "check") if k in s)
             for s in doc["steps"]]
    first_other = next(i for i, k in enumerate(kinds) if k != "guide")
    assert first_other >= 2 and "guide" not in kinds[first_other:]
    rules = doc["escalate"] if isinstance(doc["escalate"], list) else [doc["escalate"]]
    assert doc["category"] == "hardware" and rules[0]["to"] == "L2-hardware"
    for step in doc["steps"]:
        if "check" in step:
            assert step["kb"].startswith(("KB-HW-", "KB-PERF-", "KB-DISK-"))
            assert set(step["finding"]) == {"en", "zh"} == set(step["recommend"])


@pytest.mark.live
@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_runs_on_this_machine(cli, tmp_path: Path, playbook: str) -> None:
    # Bounded walk for disk-full: this machine's fullest filesystem may be large.
    extra = ("largest.max_seconds=3",) if playbook == "disk-full" else ()
    doc = _run(cli, tmp_path, playbook, *extra)
    assert doc["outcome"] == "ok"
    assert all(s["outcome"] in ("ok", "skipped") for s in doc["steps"]), doc["steps"]


def test_boot_failure_saved_outputs(cli, tmp_path: Path) -> None:
    doc = _run(cli, tmp_path, "boot-failure",
               f"crash.source={FIXTURES / 'crash.dumps/constructed-wevtutil-system.txt'}",
               f"disk.source={SMART_FAILING}",
               f"updates.source={FIXTURES / 'system.updates/debian-12-vm-dpkg.log'}",
               f"services.source={FIXTURES / 'system.services/ubuntu-18.04-systemctl-failed.out'}")
    # The 0x124 blue screen is hardware (hardware_errors), the 0x7A too (disk): no
    # driver blue screen; its Kernel-Power 41 is folded into it, the 6008 stays.
    assert _ids(doc) == ["disk_failing", "hardware_errors", "boot_updates",
                         "unexpected_shutdowns", "failed_services"]
    text = {f["id"]: f["finding"] for f in doc["findings"]}
    assert "WHEA_UNCORRECTABLE_ERROR" in text["hardware_errors"]
    assert "libc6" in text["boot_updates"]
    assert "docker.service" in text["failed_services"]
    assert "MSK423Y20S3HBC" in text["disk_failing"]
    assert doc["escalation"]["needed"] and doc["escalation"]["to"] == "L2-hardware"


def test_boot_failure_linux_kernel_crash_without_bad_disk(cli, tmp_path: Path) -> None:
    # Linux machine, no package logs read (--skip): crash evidence alone.
    got = cli("run", "boot-failure", "--non-interactive", "--json", "--out", str(tmp_path),
              "--skip", "updates",
              "-p", f"crash.source={FIXTURES / 'crash.dumps/constructed-kernel-journal.txt'}",
              "-p", f"disk.source={SMART_OK}",
              "-p", f"services.source={FIXTURES / 'system.services/constructed-none-failed.out'}")
    assert got.code == 0, got.err
    doc = json.loads(got.out)
    assert cli("bundle", "verify", doc["bundle"]).code == 0
    assert _ids(doc) == ["hardware_errors", "system_crashes"]
    assert "Fatal exception" in doc["findings"][1]["finding"]
    # MCE errors are hardware: escalated even though the disk is fine
    assert doc["escalation"]["needed"]


def test_disk_full_saved_df(cli, tmp_path: Path) -> None:
    doc = _run(cli, tmp_path, "disk-full",
               f"disk.source={FIXTURES / 'disk.usage/centos-7.7-boot-full.out'}",
               f"health.source={SMART_OK}")
    assert _ids(doc) == ["disk_critical", "boot_full"]
    assert "/boot is 96.0% full" in doc["findings"][1]["finding"]
    steps = {s["id"]: s for s in doc["steps"]}
    # a saved df describes another machine: this one's folders are not walked
    assert steps["largest"]["outcome"] == "skipped"
    # L1 frees the space; the reason is the finding that fired
    assert doc["escalation"]["to"] == "L1" and "/boot is 96.0% full" in doc["escalation"]["reason"]


def test_disk_full_failing_disk_escalates(cli, tmp_path: Path) -> None:
    doc = _run(cli, tmp_path, "disk-full",
               f"disk.source={FIXTURES / 'disk.usage/ubuntu-18.04-df.out'}",
               f"health.source={SMART_FAILING}")
    assert "disk_failing" in _ids(doc)
    assert doc["escalation"]["needed"] and doc["escalation"]["to"] == "L2-hardware"


def test_performance_saved_snapshots(cli, tmp_path: Path) -> None:
    doc = _run(cli, tmp_path, "performance",
               f"procs.source={FIXTURES / 'system.processes/constructed-busy-laptop.json'}",
               f"sensors.source={FIXTURES / 'hardware.sensors/constructed-laptop-hot.json'}",
               f"kernel.source={FIXTURES / 'crash.dumps/constructed-kernel-journal.txt'}",
               f"health.source={SMART_FAILING}")
    ids = _ids(doc)
    # system.info, disk.io and disk.usage are live: their findings depend on this machine
    for expected in ("cpu_hog", "memory_hog", "oom_kills", "overheating", "throttled",
                     "fan_stopped", "zombies", "disk_failing"):
        assert expected in ids, ids
    text = {f["id"]: f["finding"] for f in doc["findings"]}
    assert "chrome (pid 5151, user alice) uses 185.0% CPU" in text["cpu_hog"]
    assert "backup-hook (pid 4242, parent backupd pid 812)" in text["zombies"]
    assert set(doc["escalation"]["findings"]) >= {"disk_failing", "fan_stopped"}


def test_performance_cool_desktop_has_no_heat_findings(cli, tmp_path: Path) -> None:
    doc = _run(cli, tmp_path, "performance",
               f"sensors.source={FIXTURES / 'hardware.sensors/constructed-desktop-ok.json'}",
               f"kernel.source={FIXTURES / 'crash.dumps/loghub-Linux_2k.log'}",
               f"health.source={SMART_OK}")
    assert not {"overheating", "throttled", "fan_stopped", "oom_kills",
                "disk_failing"} & set(_ids(doc))
