"""disk.health: verdicts on real smartctl outputs, one fixture per rule, faults, live.

The expectations below were derived by reading each file's attributes, not
by running the parser; the comment on each line is that reading.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REALDATA, run_process

from collectors import disk_health as dh

SMART = FIXTURES / "disk.health"
UNKNOWN = "unknown"

# fixture -> (device verdict, reasons as (rule, verdict, value)) — or, for
# unknown devices, a phrase the reason must contain.
EXPECTED: dict[str, tuple[str, Any]] = {
    # WD140EDFZ (SATA HDD, 1730 h): 5/10/196/197/198/199 all raw 0, health PASSED,
    # every self-test "Completed without error", error log count 0.
    "smart-ata.json": ("ok", []),
    "smart-ata-date.json": ("ok", []),  # same drive and values as smart-ata.json
    # scrutiny edited raw.value of every attribute to 10 but left raw.string "0";
    # smartctl prints the counter in raw.string, which we follow (see raw_count).
    # 62 °C is hot, but no drive limit is given and temperature is not a rule.
    "smart-ata-date2.json": ("ok", []),
    # Samsung 840 SSD: all clean except 199 CRC_Error_Count raw 108 — cable errors.
    "smart-ata-failed-scrutiny.json": ("warning", [("ata-199", "warning", 108)]),
    # Samsung 860 EVO: 5/187/199 raw 0, PASSED, self-tests all passed.
    "smart-ata-full.json": ("ok", []),
    # Samsung 850 PRO, 846 h: every counter 0, PASSED, no self-tests logged.
    "smart-ata2.json": ("ok", []),
    # Windows: "Open failed, Error=5" (access denied), exit 2 = bit 1: no data at all.
    "smart-fail.json": (UNKNOWN, "administrator"),
    # Hitachi behind a JMicron USB bridge: health FAILED; 5 normalised 1 <= thresh 5
    # (raw 1975, WHEN_FAILED now); 196 = 3831 remap events; 197 = 8 pending;
    # error log count 56; extended self-test "read failure" at 4 h with only
    # short tests after it. Exit 216 = bits 3, 4, 6, 7 — all shown by the data.
    "smart-fail2.json": ("failing", [
        ("smart", "failing", "FAILED"), ("ata-now", "failing", 1975),
        ("ata-196", "warning", 3831), ("ata-197", "failing", 8),
        ("error-log", "warning", 56), ("self-test", "failing", "Completed: read failure")]),
    # WD4000FYYX behind MegaRAID, exit 4 (a command failed): attributes all 0, PASSED
    # via attribute check; the aborted-by-host self-test is not a failure.
    "smart-megaraid0.json": ("ok", []),
    # Its twin: 5 Reallocated_Sector_Ct raw 387 (normalised 188 > thresh 140) and
    # 196 raw 9 — spare sectors in use, the drive does not rate itself failing.
    "smart-megaraid1.json": ("warning", [("ata-5", "warning", 387),
                                         ("ata-196", "warning", 9)]),
    # Samsung 970 EVO: critical_warning 0, spare 99%, used 3%, but media_errors 7.
    "smart-nvme-failed.json": ("failing", [("nvme-media", "failing", 7)]),
    # Intel 660p: critical_warning 0, spare 100/10, used 0%, media_errors 0.
    "smart-nvme.json": ("ok", []),
    # Corsair MP510: spare 100/5, used 1%, media_errors 0; 8382 error-log entries
    # are not a rule (num_err_log_entries counts benign command errors).
    "smart-nvme2.json": ("ok", []),
    # smartctl -jH only: PASSED and nothing else.
    "smart-pass.json": ("ok", []),
    # Intel RAID 1 volume seen as SCSI, exit 4, no smart_status: no health data.
    "smart-raid.json": (UNKNOWN, "RAID volume"),
    # smartctl -jA of a Seagate laptop drive: 196 raw.string "2111 (12437 0)" —
    # the low 16 bits (2111) are the event count; everything else 0.
    "smart-sat.json": ("warning", [("ata-196", "warning", 2111)]),
    # Seagate ST4000NM0043 SAS: PASSED, grown defect list 56, no uncorrected errors.
    "smart-scsi.json": ("warning", [("scsi-gdl", "warning", 56)]),
    # Seagate ST1200MM0088 SAS: PASSED, grown defects 0, uncorrected 0.
    "smart-scsi2.json": ("ok", []),
    # smartctl --info outputs: identity only, no health data.
    "smartctl_info_nvme.json": (UNKNOWN, "no SMART health data"),
    "smartctl_info_sata_smart_support_bool.json": (UNKNOWN, "no SMART health data"),
    "smartctl_info_sata_smart_support_object.json": (UNKNOWN, "no SMART health data"),
    # --- variants: the base file's verdict plus exactly the one changed value ---
    "variant-ata-10-spin-retry.json": ("warning", [("ata-10", "warning", 3)]),
    # (smart-sat's 196 = 2111 stays in the 184 and 188 variants)
    "variant-ata-184-end-to-end.json": ("warning", [("ata-184", "warning", 2),
                                                    ("ata-196", "warning", 2111)]),
    "variant-ata-187-uncorrectable.json": ("failing", [("ata-187", "failing", 4)]),
    "variant-ata-188-command-timeout.json": ("warning", [("ata-188", "warning", 12),
                                                         ("ata-196", "warning", 2111)]),
    "variant-ata-197-pending.json": ("failing", [("ata-197", "failing", 8)]),
    "variant-ata-198-offline-uncorrectable.json": ("failing", [("ata-198", "failing", 2)]),
    "variant-ata-smart-failed.json": ("failing", [("smart", "failing", "FAILED")]),
    # attribute 3 Spin_Up_Time (raw 7558) failed in the past; exit bit 5 says the same
    "variant-ata-when-failed-past.json": ("warning", [("ata-past", "warning", 7558)]),
    "variant-ata-self-test-failed.json": ("failing", [
        ("self-test", "failing", "Completed: read failure")]),
    "variant-nvme-spare-below-threshold.json": ("failing", [("nvme-cw", "failing", 1),
                                                            ("nvme-spare", "failing", 8)]),
    "variant-nvme-temperature.json": ("warning", [("nvme-temp", "warning", 2)]),
    "variant-nvme-degraded.json": ("failing", [("nvme-cw", "failing", 4)]),
    "variant-nvme-read-only.json": ("failing", [("nvme-cw", "failing", 8)]),
    "variant-nvme-spare-low.json": ("warning", [("nvme-spare", "warning", 15)]),
    "variant-nvme-worn.json": ("warning", [("nvme-used", "warning", 86)]),
    "variant-nvme-worn-out.json": ("failing", [("nvme-used", "failing", 103)]),
    "variant-scsi-uncorrected.json": ("failing", [("scsi-unc", "failing", 3)]),
}
SCANS = ["smartctl_scan_megaraid.json", "smartctl_scan_nvme.json", "smartctl_scan_simple.json"]


def _analyse(name: str) -> dict[str, Any]:
    return dh.analyse((SMART / name).read_bytes(), name)


def test_every_fixture_has_an_expectation() -> None:
    files = {p.name for p in SMART.glob("*.json")}
    assert files == set(EXPECTED) | set(SCANS)


def test_every_real_file_is_a_fixture() -> None:
    real = REALDATA / "smart"
    if not real.is_dir():
        pytest.skip("../shared/realdata/smart is not here")
    for path in real.glob("*.json"):
        assert (SMART / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_reasons(name: str) -> None:
    verdict, reasons = EXPECTED[name]
    result = _analyse(name)
    (device,) = result["devices"]
    assert device["verdict"] == verdict
    assert result["verdict"] == verdict
    if verdict == UNKNOWN:
        (reason,) = device["reasons"]
        assert reasons in reason["text"]
        return
    got = sorted((r["rule"], r["verdict"], r["value"]) for r in device["reasons"])
    assert got == sorted(reasons)
    for r in device["reasons"]:  # each reason names its attribute and value
        assert r["attribute"] in r["text"] and str(r["value"]) in r["text"], r


def test_every_documented_rule_has_a_fixture() -> None:
    documented = set(re.findall(r"^(smart|ata-\w+|error-log|self-test|nvme-\w+|scsi-\w+) ",
                                dh.__doc__ or "", re.MULTILINE))
    covered = {rule for _, reasons in EXPECTED.values() if isinstance(reasons, list)
               for rule, _, _ in reasons}
    assert documented - covered == set()
    assert {f"ata-{i}" for i in dh.ATA_COUNTERS} <= documented


def test_device_fields() -> None:
    (d,) = _analyse("smart-fail2.json")["devices"]
    assert (d["name"], d["type"], d["protocol"]) == ("/dev/sdc", "usbjmicron", "ATA")
    assert (d["model"], d["serial"], d["firmware"]) == (
        "Hitachi HDS721050DLE630", "MSK423Y20S3HBC", "MS1OA650")
    assert (d["capacity_bytes"], d["smart_passed"], d["temperature_c"], d["power_on_hours"]) \
        == (500107862016, False, 25, 65592)
    assert d["smartctl_exit"] == {"status": 216, "bits": [
        "disk_failing", "prefail_below_threshold", "error_log", "self_test_log"]}
    assert d["counters"]["Current_Pending_Sector"] == 8
    (n,) = _analyse("smart-nvme-failed.json")["devices"]
    assert (n["type"], n["capacity_bytes"], n["temperature_c"], n["power_on_hours"]) == (
        "nvme", 500107862016, 35, 12798)
    (r,) = _analyse("smart-raid.json")["devices"]
    assert r["temperature_c"] is None  # the RAID volume reports 0 for "no sensor"
    (f,) = _analyse("smart-fail.json")["devices"]
    assert f["name"] == "/dev/sda"  # from the command line: the open failed


def test_partial_output_with_exit_4_is_used() -> None:
    (d,) = _analyse("smart-megaraid0.json")["devices"]
    assert d["smartctl_exit"]["bits"] == ["command_failed"]
    assert d["verdict"] == "ok" and any("incomplete" in n for n in d["notes"])


def test_exit_bits_fill_in_missing_sections() -> None:
    doc = json.loads((SMART / "smart-pass.json").read_text())
    doc["smartctl"]["exit_status"] = 0x40 | 0x80  # error log + self-test log, sections absent
    d = dh.parse_device(doc)
    assert sorted(r["rule"] for r in d["reasons"]) == ["exit-error-log", "exit-self-test"]
    assert d["verdict"] == "failing"


@pytest.mark.parametrize(("status", "bits"), [
    (0, []), (2, ["open_failed"]), (4, ["command_failed"]),
    (216, ["disk_failing", "prefail_below_threshold", "error_log", "self_test_log"]),
    (255, [name for name, _ in dh.EXIT_BITS]),
])
def test_decode_exit_status(status: int, bits: list[str]) -> None:
    assert dh.decode_exit_status(status) == bits


def test_source_list_and_concatenated_documents() -> None:
    a, b = (SMART / "smart-fail2.json").read_text(), (SMART / "smart-nvme.json").read_text()
    as_list = dh.analyse(f"[{a},{b}]".encode(), "list.json")
    in_a_row = dh.analyse(f"{a}\n{b}\n".encode(), "cat.json")
    for result in (as_list, in_a_row):
        assert [d["verdict"] for d in result["devices"]] == ["failing", "ok"]
        assert result["verdict"] == "failing"
        assert result["summary"] == "1 failing (/dev/sdc); 1 ok"


@pytest.mark.parametrize("name", SCANS)
def test_scan_output_is_refused_clearly(name: str) -> None:
    with pytest.raises(ValueError, match=r"smartctl --scan output: it lists /dev/"):
        _analyse(name)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"smartctl 7.3 2022-02-28\n=== START OF INFORMATION SECTION ===\n", "text output"),
    (b"<html>", "not smartctl JSON"),
    (b"[1, 2]", "not smartctl JSON"),
])
def test_bad_source_files(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dh.analyse(data, "x")


def test_kernel_log_lines_are_grouped_by_disk() -> None:
    from collectors import _kernlog

    log = "\n".join([
        "[ 9.1] blk_update_request: I/O error, dev sdb, sector 104870168 op 0x0:(READ)",
        "[ 9.2] Buffer I/O error on dev sdb1, logical block 0, async page read",
        "[ 9.3] nvme nvme0: I/O 12 QID 3 timeout, reset controller",
        "[ 9.4] ata3.00: failed command: READ FPDMA QUEUED",
        "[ 9.5] ata3: SATA link up 6.0 Gbps (SStatus 133 SControl 300)",
        "[ 9.6] sd 2:0:0:0: [sdc] tag#3 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK",
        "[ 9.7] EXT4-fs (vda): mounted filesystem",
    ])
    found = _kernlog.disk_errors_from_kernel_log(log)
    assert {k: len(v) for k, v in found.items()} == {"sdb": 2, "nvme0": 1, "ata3": 1, "sdc": 1}


def test_os_disks_missing_from_the_scan_are_added_once() -> None:
    scan = [{"name": "/dev/nvme0", "type": "nvme", "protocol": "NVMe"}]
    extra = [{"name": "/dev/nvme0n1"}, {"name": "/dev/vda", "hint": "virtual"}]
    targets = dh._targets(scan, extra, [])
    assert [t["name"] for t in targets] == ["/dev/nvme0", "/dev/vda"]
    assert dh._targets(scan, extra, ["/dev/vda"])[0]["name"] == "/dev/vda"


# --- through the CLI ----------------------------------------------------------

def test_cli_source_shows_failing_verdict(cli) -> None:
    got = cli("collect", "disk.health", "-p", f"source={SMART / 'smart-fail2.json'}", "--json")
    assert got.code == 0, got.err
    doc = json.loads(got.out)
    assert doc["outcome"] == "ok"
    assert doc["result"]["verdict"] == "failing"
    assert doc["result"]["devices"][0]["name"] == "/dev/sdc"


def test_cli_source_scan_fails_with_reason(cli) -> None:
    got = cli("collect", "disk.health", "-p", f"source={SMART / SCANS[2]}", "--json")
    doc = json.loads(got.out)
    assert (got.code, doc["outcome"]) == (3, "failed")
    assert "--scan output" in doc["reason"]


def _fake_smartctl(tmp_path: Path, body: str) -> dict[str, str]:
    """A fake ``smartctl`` first on PATH; returns the environment to run with."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "smartctl"
    fake.write_text("#!/bin/sh\n" + body)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}


def _scan_file(tmp_path: Path) -> Path:
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps({"json_format_version": [1, 0],
                                "smartctl": {"exit_status": 0},
                                "devices": [{"name": "/dev/sda", "info_name": "/dev/sda",
                                             "type": "sat", "protocol": "ATA"}]}))
    return scan


def _collect(env: dict[str, str], *args: str) -> tuple[dict[str, Any], int]:
    # A smartctl that is not stopped with the step would keep this process for 600 s:
    # the 60 s limit here fails the test then.
    proc = run_process("collect", "disk.health", "-p", "kernel_log=false",
                       "-p", "devices=/dev/sda", *args, "--json", env=env, timeout=60)
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout), proc.returncode


def test_fault_hung_smartctl_times_out(tmp_path: Path) -> None:
    env = _fake_smartctl(tmp_path, "exec sleep 600\n")
    doc, code = _collect(env, "--timeout", "3")
    assert (doc["outcome"], code) == ("timed_out", 3)
    assert "did not finish within 3s" in doc["reason"]


def test_fault_hung_device_is_unknown_not_a_hung_run(tmp_path: Path) -> None:
    scan = _scan_file(tmp_path)
    env = _fake_smartctl(tmp_path, f'case "$*" in *--scan-open*) cat "{scan}"; exit 0;; esac\n'
                                   "exec sleep 600\n")
    doc, code = _collect(env, "-p", "device_timeout=1", "--timeout", "20")
    assert (doc["outcome"], code) == ("ok", 0)
    (dev,) = doc["result"]["devices"]
    assert dev["verdict"] == "unknown"
    assert "did not answer within 1s" in dev["reasons"][0]["text"]


def test_fault_garbage_output_fails_with_reason(tmp_path: Path) -> None:
    env = _fake_smartctl(tmp_path, "echo 'Segmentation fault (core dumped) ###'\nexit 0\n")
    doc, code = _collect(env, "--timeout", "20")
    assert (doc["outcome"], code) == ("failed", 3)
    assert "printed no usable JSON" in doc["reason"] and "7.0 or later" in doc["reason"]


def test_fault_exit_4_partial_json_is_still_used(tmp_path: Path) -> None:
    # smart-ata.json as smartctl 7.3 prints it when the logs cannot be read:
    # no error or self-test log, a message, exit 4 — and 197 pending = 8.
    doc = json.loads((SMART / "smart-ata.json").read_text())
    del doc["ata_smart_error_log"], doc["ata_smart_self_test_log"]
    doc["smartctl"]["exit_status"] = 4
    doc["smartctl"]["messages"] = [{"string": "Read SMART Self-test Log failed",
                                    "severity": "error"}]
    attr = next(a for a in doc["ata_smart_attributes"]["table"] if a["id"] == 197)
    attr["raw"] = {"value": 8, "string": "8"}
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(doc))
    scan = _scan_file(tmp_path)
    env = _fake_smartctl(tmp_path, f'case "$*" in *--scan-open*) cat "{scan}"; exit 0;; esac\n'
                                   f'cat "{partial}"\nexit 4\n')
    got, code = _collect(env, "--timeout", "20")
    assert (got["outcome"], code) == ("ok", 0)
    (dev,) = got["result"]["devices"]
    assert dev["verdict"] == "failing"
    assert [r["rule"] for r in dev["reasons"]] == ["ata-197"]
    assert dev["smartctl_exit"] == {"status": 4, "bits": ["command_failed"]}
    assert "Read SMART Self-test Log failed" in dev["notes"]
    assert dev["raw_file"] == "smartctl-x-sda.json"


def test_missing_smartctl_is_skipped_with_install_hint(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    doc, code = _collect({"PATH": str(empty)})
    assert (doc["outcome"], code) == ("skipped", 0)
    assert "smartctl not installed" in doc["reason"] and "smartmontools" in doc["reason"]


def test_no_permission_is_skipped_with_why(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit._platform
    from toolkit.collector import Context, Skipped

    denied = json.dumps({"smartctl": {"exit_status": 2, "messages": [
        {"string": "Smartctl open device: /dev/sda failed: Permission denied",
         "severity": "error"}]}})
    scan = _scan_file(tmp_path)
    env = _fake_smartctl(tmp_path, f'case "$*" in *--scan-open*) cat "{scan}"; exit 0;; esac\n'
                                   f"echo '{denied}'\nexit 2\n")
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.setattr(toolkit._platform, "is_admin", lambda: False)
    monkeypatch.setattr(toolkit._platform, "block_disks", lambda: [], raising=False)
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 30)
    params = dh.COLLECTOR.resolve_params({"kernel_log": "false"})
    with pytest.raises(Skipped, match="administrator rights"):
        dh.gather(ctx, params)


@pytest.mark.live
def test_live_collect_on_this_machine() -> None:
    proc = run_process("collect", "disk.health", "--json", "--timeout", "120", timeout=180)
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["outcome"] in ("ok", "skipped"), doc["reason"]
    assert proc.returncode == 0
    if doc["outcome"] == "ok":
        for dev in doc["result"]["devices"]:
            assert dev["verdict"] in dh.VERDICT_RANK
            if dev["verdict"] != "ok":
                assert dev["reasons"], dev


# --- the hardware-failure playbook ---------------------------------------------

def test_hardware_failure_playbook_lints(cli) -> None:
    got = cli("playbook", "lint", str(Path(__file__).parent.parent / "playbooks"
                                      / "hardware-failure.yaml"))
    assert got.code == 0, got.err + got.out


@pytest.mark.parametrize(("fixture", "finding", "escalate"), [
    ("smart-fail2.json", "disk_failing", True),
    ("smart-megaraid1.json", "disk_warning", False),
    ("smart-ata.json", None, False),
])
def test_hardware_failure_run_names_the_drive(cli, tmp_path: Path, fixture: str,
                                              finding: str | None, escalate: bool) -> None:
    got = cli("run", "hardware-failure", "--non-interactive", "-p",
              f"disk.source={SMART / fixture}", "--out", str(tmp_path), "--json")
    assert got.code == 0, got.err
    doc = json.loads(got.out)
    assert Path(doc["bundle"]).is_file()
    assert [f["id"] for f in doc["findings"]] == ([finding] if finding else [])
    if finding:
        (dev,) = _analyse(fixture)["devices"]
        text = doc["findings"][0]["finding"]
        assert dev["name"] in text and dev["serial"] in text
    escalation = doc.get("escalation") or {}
    assert bool(escalation.get("needed")) is escalate
    if escalate:
        assert escalation["to"] == "L2-hardware"
