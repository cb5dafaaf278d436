"""system.processes, system.services, hardware.sensors, crash.dumps, system.updates,
disk.largest, disk.io: parsers on real (and marked constructed) outputs, faults, live.

Expectations were read off the fixture files by hand; see each fixture folder's
SOURCES.md for where a file comes from and which ones are constructed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REALDATA, run_process, touch

from collectors import _crash, disk_io, disk_largest, hardware_sensors, system_processes
from collectors import crash_dumps as cd
from collectors import system_services as ss
from collectors import system_updates as su


def _collect(name: str, *args: str, env: dict[str, str] | None = None,
             timeout: float = 60) -> tuple[dict[str, Any], int]:
    proc = run_process("collect", name, *args, "--json", env=env, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout), proc.returncode


# --- system.services ---------------------------------------------------------

@pytest.mark.parametrize(("name", "listed", "failed", "broken", "not_found"), [
    # real `systemctl -a` outputs: nothing failed; the ● rows are not-found units
    ("centos-7.7-systemctl.out", 220, [], [], 19),
    ("ubuntu-18.04-systemctl.out", 334, [], [], 20),
    # derived: docker.service made failed, pollinate.service bad-setting
    ("ubuntu-18.04-systemctl-failed.out", 334, ["docker.service"], ["pollinate.service"], 20),
    ("ubuntu-18.04-failed-derived.json", 25, ["docker.service"], ["pollinate.service"], 19),
    ("constructed-none-failed.out", 0, [], [], 0),
])
def test_services_parse(name: str, listed: int, failed: list[str], broken: list[str],
                        not_found: int) -> None:
    units = ss.parse_units((FIXTURES / "system.services" / name).read_bytes())
    got = ss.summarise(units, None, name)
    assert got["units_listed"] == listed
    assert [u["unit"] for u in got["failed"]] == failed
    assert [u["unit"] for u in got["broken"]] == broken
    assert len(got["not_found"]) == not_found
    if failed:
        (unit,) = got["failed"]
        assert unit == {"unit": "docker.service", "kind": "service", "load": "loaded",
                        "active": "failed", "sub": "failed",
                        "description": "Docker Application Container Engine"}
        assert got["summary"] == "1 failed: docker.service"


def test_services_table_and_json_agree() -> None:
    table = ss.parse_units((FIXTURES / "system.services/ubuntu-18.04-systemctl-failed.out")
                           .read_bytes())
    as_json = ss.parse_units((FIXTURES / "system.services/ubuntu-18.04-failed-derived.json")
                             .read_bytes())
    by_name = {u["unit"]: u for u in table}
    assert all(by_name[u["unit"]] == u for u in as_json)


@pytest.mark.parametrize("name", ["ubuntu-18.04-systemctl-lj.out", "centos-7.7-systemctl-luf.out"])
def test_services_refuse_other_systemctl_tables(cli, name: str) -> None:
    got = cli("collect", "system.services", "-p",
              f"source={FIXTURES / 'system.services' / name}", "--json")
    doc = json.loads(got.out)
    assert doc["outcome"] == "failed"
    assert "not systemctl list-units output" in doc["reason"]


def test_services_cut_json_is_refused() -> None:
    with pytest.raises(ValueError, match="cut or damaged"):
        ss.parse_units(b'[{"unit": "a.service", "load": "loaded"')


@pytest.mark.live
def test_services_live_ok_or_skipped_with_reason() -> None:
    doc, code = _collect("system.services")
    assert code == 0
    assert doc["outcome"] in ("ok", "skipped"), doc["reason"]
    if doc["outcome"] == "skipped":
        assert "systemd is not running" in doc["reason"] or "not installed" in doc["reason"]
    else:
        assert doc["result"]["manager"] == "systemd"


# --- system.processes --------------------------------------------------------

def test_processes_parse_constructed_snapshot() -> None:
    raw = json.loads((FIXTURES / "system.processes/constructed-busy-laptop.json").read_text())
    got = system_processes.parse(raw, top=3)
    assert got["counts"] == {"total": 9, "running": 1, "sleeping": 6, "idle": 0, "stopped": 0,
                             "zombie": 1, "disk_sleep": 1, "other": 0}
    assert got["zombies"] == [{"pid": 4242, "name": "backup-hook", "ppid": 812,
                               "parent": "backupd"}]
    # 1.85 CPU-seconds in a 1 s sample; the JVM used 0.4 s; rsync 0.35 s
    assert [(p["name"], p["cpu_pct"]) for p in got["top_cpu"]] == [
        ("chrome", 185.0), ("java", 40.0), ("rsync", 35.0)]
    assert [(p["pid"], p["mem_pct"]) for p in got["top_memory"]] == [
        (5000, 68.8), (5151, 8.5), (5152, 2.4)]
    # the process that started during the sample has no CPU figure, kernel threads a name
    assert all(p["pid"] != 6000 for p in got["top_cpu"])
    assert system_processes.parse(raw, top=20)["top_cpu"][-1]["cmdline"] == "[kthreadd]"
    assert got["hidden"] == 1


def test_processes_long_cmdline_is_shortened() -> None:
    raw = {"sample_s": 1, "processes": [{"pid": 1, "name": "x", "status": "running",
                                         "cmdline": ["x", "a" * 500], "rss": 1,
                                         "cpu_before": 0, "cpu_after": 0}]}
    (row,) = system_processes.parse(raw)["top_cpu"]
    assert len(row["cmdline"]) == system_processes.CMDLINE_CHARS
    assert row["cmdline"].endswith("…")


@pytest.mark.live
def test_processes_live_sees_a_zombie_this_test_made() -> None:
    # The child exits at once; the parent sleeps without reaping it: a zombie.
    parent = subprocess.Popen([sys.executable, "-c",
                               "import os, time\nif os.fork() == 0:\n    os._exit(0)\n"
                               "time.sleep(30)"])
    try:
        time.sleep(0.5)
        doc, code = _collect("system.processes", "-p", "sample_s=0.2", "-p", "top=5")
        assert (doc["outcome"], code) == ("ok", 0), doc["reason"]
        result = doc["result"]
        mine = [z for z in result["zombies"] if z["ppid"] == parent.pid]
        assert len(mine) == 1 and mine[0]["parent"].startswith("python")
        assert result["counts"]["zombie"] >= 1
        assert len(result["top_cpu"]) == 5 and len(result["top_memory"]) == 5
    finally:
        parent.kill()
        parent.wait()


def test_processes_source_that_is_not_a_snapshot_fails(cli, tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    doc = json.loads(cli("collect", "system.processes", "-p", f"source={bad}", "--json").out)
    assert doc["outcome"] == "failed" and "no 'processes' list" in doc["reason"]


# --- hardware.sensors --------------------------------------------------------

def _sensors(name: str) -> dict[str, Any]:
    return hardware_sensors.parse(json.loads(
        (FIXTURES / "hardware.sensors" / name).read_text()))


def test_sensors_hot_laptop() -> None:
    got = _sensors("constructed-laptop-hot.json")
    assert [(t["label"], t["status"]) for t in got["hot"]] == [("Package id 0", "high"),
                                                               ("Core 0", "critical")]
    # acpitz reports critical 0 = no limit, not "always critical"
    acpi = next(t for t in got["temperatures"] if t["chip"] == "acpitz")
    assert (acpi["critical_c"], acpi["status"]) == (None, "ok")
    assert got["hottest"] == {"chip": "coretemp", "label": "Core 0", "current_c": 101.0}
    assert got["stopped_fans"] == [{"chip": "thinkpad", "label": "fan1", "rpm": 0}]
    assert got["battery"] == {"percent": 41.0, "plugged": False, "secs_left": 5400}
    assert got["notes"] == []


def test_sensors_without_limits_or_sensors_are_notes_not_failures() -> None:
    desktop = _sensors("constructed-desktop-ok.json")
    assert desktop["hot"] == [] and desktop["temperatures"][0]["high_c"] is None
    assert desktop["notes"] == [hardware_sensors._NO_BATTERY]
    windows = _sensors("constructed-windows.json")
    assert windows["temperatures"] == [] and windows["fans"] == []
    assert windows["battery"] == {"percent": 100.0, "plugged": True, "secs_left": None}
    assert "only on Linux and FreeBSD" in windows["notes"][0]


@pytest.mark.live
def test_sensors_live_never_fails() -> None:
    doc, code = _collect("hardware.sensors")
    assert (doc["outcome"], code) == ("ok", 0), doc["reason"]
    result = doc["result"]
    if not result["temperatures"]:
        assert any("temperature" in n for n in result["notes"])


# --- crash.dumps -------------------------------------------------------------

def _saved(name: str) -> tuple[str, list[dict[str, Any]]]:
    return cd.parse_saved((FIXTURES / "crash.dumps" / name).read_bytes())


def test_crash_kernel_journal_constructed() -> None:
    kind, events = _saved("constructed-kernel-journal.txt")
    assert kind == "kernel-log"
    # One event per incident: the two "[Hardware Error]" lines are one machine check;
    # "BUG: kernel NULL pointer dereference", "#PF", "Oops: 0000 [#1]" and the
    # "Kernel panic - not syncing: Fatal exception" that followed are one crash.
    assert [e["kind"] for e in events] == [
        "mce", "mce", "hung-task", "thermal", "lockup", "oops", "oom-kill", "segfault"]
    assert events[0]["time"] == "2026-11-20T08:10:01+0100"
    assert events[0]["suspect"] == "CPU, memory or mainboard (CPU 2, bank 5)"
    assert "DIMM#0" in events[1]["suspect"]
    oops = next(e for e in events if e["kind"] == "oops")
    assert oops["what"].endswith("then Kernel panic: Fatal exception")
    oom = next(e for e in events if e["kind"] == "oom-kill")
    assert (oom["exe"], oom["pid"]) == ("java", 4242) and "6.7 GiB" in oom["what"]
    segv = next(e for e in events if e["kind"] == "segfault")
    assert (segv["exe"], segv["pid"], segv["module"]) == ("firefox", 5151, "libxul.so")
    result = _crash.summarise(events, [], [], {})
    assert result["system_crashes"] == 2  # the lockup, and the oops that panicked
    assert [e["kind"] for e in result["hardware_signs"]] == ["mce", "mce", "thermal"]


def test_crash_dmesg_constructed_and_boot_options_are_not_events() -> None:
    kind, events = _saved("constructed-dmesg.txt")
    assert kind == "kernel-log"
    # "panic=10" on the command line and "Thermal monitoring enabled" are not events
    assert [(e["kind"], e["time"]) for e in events] == [
        ("hung-task", "5123.456789s after boot"), ("lockup", "5130.000001s after boot")]


def test_crash_real_syslog_has_no_events() -> None:
    # Real: "Intel machine check architecture supported" is a boot message, not an MCE.
    assert _saved("loghub-Linux_2k.log") == ("kernel-log", [])
    # …and the same holds for every real log sample we have.
    for log in sorted((REALDATA / "logs").glob("*.log")):
        kernelish = [e for e in _crash.kernel_events(log.read_text(errors="replace"))
                     if e["kind"] in ("kernel-panic", "oops", "mce", "lockup")]
        assert kernelish == [], log.name


@pytest.mark.parametrize("name", ["constructed-coredumpctl.json",
                                  "constructed-coredumpctl.txt"])
def test_crash_coredumpctl_json_and_table(name: str) -> None:
    kind, events = _saved(name)
    assert kind == "coredumps"
    assert [(e["pid"], e["exe"], e["signal"], e["corefile"]) for e in events] == [
        (4242, "/usr/bin/gedit", "SIGSEGV", "present"),
        (5151, "/usr/lib/firefox/firefox", "SIGABRT", "missing")]
    if name.endswith(".json"):
        assert events[0]["time"] == "2026-11-20T07:12:03+00:00"
        assert events[0]["size_bytes"] == 1843200


def test_crash_windows_events_constructed() -> None:
    kind, events = _saved("constructed-wevtutil-system.txt")
    assert kind == "windows-events"
    # The Kernel-Power 41 five seconds before the 0x124 is that blue screen's reboot:
    # one crash, not a crash and an unexpected shutdown.
    assert [(e["kind"], e.get("code"), e.get("suspect")) for e in events] == [
        ("bugcheck", "0x00000124", "hardware"), ("unexpected-shutdown", None, None),
        ("bugcheck", "0x0000007A", "disk")]
    assert events[0]["name"] == "WHEA_UNCORRECTABLE_ERROR"
    assert events[0]["dump"] == r"C:\Windows\MEMORY.DMP"
    assert "16:58:03 on 19/11/2026" in events[1]["what"]
    assert events[2]["dump"] == r"C:\Windows\Minidump\111826-9843-01.dmp"
    assert _crash.bugcheck(0x9F)["suspect"] == "driver"
    assert _crash.bugcheck(0xDEAD)["name"] is None


@pytest.mark.parametrize(("name", "kind"), [
    ("MEMORY.DMP", "memory-dump"), ("112026-10921-01.dmp", "minidump"),
    ("vmcore", "kernel-dump"), ("dump.202611200814", "kernel-dump"),
    ("vmcore-dmesg.txt", "kernel-panic-log"), ("dmesg.202611200814", "kernel-panic-log"),
    ("dmesg-efi-176345678901001", "kernel-panic-log"),
    ("Kernel-2026-11-20-081403.panic", "kernel-panic"),
    ("panic-full-2026-11-20-081403.0002.ips", "kernel-panic"),
    ("_usr_bin_gedit.1000.crash", "app-crash"), ("Safari-2026-11-20-081403.ips", "app-crash"),
    ("Finder_2026-11-20-081403_pc.hang", "hang"),
    ("_usr_bin_gedit.1000.upload", None), ("README", None), ("kexec_cmd", None),
])
def test_crash_file_names(name: str, kind: str | None) -> None:
    assert _crash.classify_file(name) == kind


def test_crash_scan_places_window_and_missing(tmp_path: Path) -> None:
    crash = tmp_path / "crash"
    (crash / "202611200814").mkdir(parents=True)
    old = crash / "_usr_bin_old.1000.crash"
    new = crash / "202611200814" / "dump.202611200814"
    for f in (old, new, crash / "202611200814" / "dmesg.202611200814"):
        f.write_bytes(b"x" * 10)
        touch(f)
    touch(old, 30 * 86400)
    files, checked = cd.scan_places([str(crash), str(tmp_path / "absent")],
                                    time.time() - 7 * 86400)
    assert sorted(f["kind"] for f in files) == ["kernel-dump", "kernel-panic-log"]
    assert [c["status"] for c in checked] == ["ok", "missing"]


def _fake(tmp_path: Path, name: str, body: str) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / name
    fake.write_text("#!/bin/sh\n" + body)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_fault_coredumpctl_printing_garbage_is_recorded_not_fatal(tmp_path: Path) -> None:
    env = _fake(tmp_path, "coredumpctl", "echo '%%% not json, not a table %%%'\nexit 0\n")
    doc, code = _collect("crash.dumps", env=env)
    assert (doc["outcome"], code) == ("ok", 0), doc["reason"]
    (core,) = [c for c in doc["result"]["checked"] if c["what"].startswith("coredumpctl")]
    assert core["status"] == "unreadable"
    assert "not coredumpctl output" in core["detail"]


def test_fault_coredumpctl_no_dumps_is_none(tmp_path: Path) -> None:
    env = _fake(tmp_path, "coredumpctl", "echo 'No coredumps found.' >&2\nexit 1\n")
    doc, _ = _collect("crash.dumps", env=env)
    (core,) = [c for c in doc["result"]["checked"] if c["what"].startswith("coredumpctl")]
    assert core["status"] == "none"


def test_fault_coredumpctl_reporting_dumps_is_read(tmp_path: Path) -> None:
    saved = FIXTURES / "crash.dumps/constructed-coredumpctl.json"
    env = _fake(tmp_path, "coredumpctl", f'cat "{saved}"\n')
    doc, _ = _collect("crash.dumps", env=env)
    assert doc["result"]["counts"].get("core-dump") == 2


def test_crash_bad_days_and_empty_source(cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    doc = json.loads(cli("collect", "crash.dumps", "-p", f"source={empty}", "--json").out)
    assert doc["outcome"] == "failed" and "empty" in doc["reason"]
    r = cli("collect", "crash.dumps", "-p", "days=0", "--json")  # refused before it runs
    assert r.code == 2 and "'days' must be at least 1, not '0'" in r.err


@pytest.mark.live
def test_crash_live_on_this_machine() -> None:
    doc, code = _collect("crash.dumps", "-p", "days=30")
    assert (doc["outcome"], code) == ("ok", 0), doc["reason"]
    result = doc["result"]
    assert result["window_days"] == 30 and result["checked"]
    assert all(c["status"] in ("ok", "none", "missing", "not-installed", "unreadable",
                               "no-access", "timed-out") for c in result["checked"])


# --- system.updates ----------------------------------------------------------

def test_updates_real_dpkg_log() -> None:
    text = (FIXTURES / "system.updates/debian-12-vm-dpkg.log").read_text()
    changes, runs = su.parse_saved(text)
    got = su.summarise(changes, runs, {})
    # counted by hand: grep -c ' install ' / ' upgrade ' in the file
    assert got["counts"] == {"install": 281, "upgrade": 39, "remove": 0, "purge": 0}
    # the last line of the file that changes a package
    assert got["changes"][0] == {"time": "2026-10-16T23:03:59", "action": "install",
                                 "package": "ninja-build", "arch": "amd64", "from": None,
                                 "to": "1.11.1-2~deb12u1"}
    # the C library upgrade of 2026-05-20 is the one boot-related change
    assert [(c["package"], c["from"], c["to"]) for c in got["boot_related"]] == [
        ("libc6", "2.36-9+deb12u10", "2.36-9+deb12u14")]


def test_updates_real_apt_history() -> None:
    changes, runs = su.parse_saved(
        (FIXTURES / "system.updates/debian-12-vm-history.log").read_text())
    got = su.summarise(changes, runs, {})
    assert len(got["runs"]) == 7
    first = got["runs"][-1]
    assert first == {"start": "2026-05-09T07:28:46", "end": "2026-05-09T07:28:50",
                     "command": "apt-get install -y tzdata", "requested_by": None,
                     "install": 0, "upgrade": 1, "remove": 0, "error": None}
    tz = next(c for c in got["changes"] if c["package"] == "tzdata")
    assert (tz["from"], tz["to"]) == ("2025b-0+deb12u1", "2025b-0+deb12u2")
    assert [c["package"] for c in got["boot_related"]] == ["libc6"]


def test_updates_other_text_is_refused() -> None:
    with pytest.raises(ValueError, match="neither dpkg.log"):
        su.parse_saved((FIXTURES / "system.services/ubuntu-18.04-systemctl.out").read_text())


@pytest.mark.live
def test_updates_live_ok_or_skipped() -> None:
    doc, code = _collect("system.updates", "-p", "days=3650")
    assert code == 0 and doc["outcome"] in ("ok", "skipped"), doc["reason"]
    if doc["outcome"] == "ok":
        assert doc["result"]["files"]


# --- disk.largest and disk.io ------------------------------------------------

def test_largest_rollup_is_pure() -> None:
    sizes = {"/r": 1, "/r/a": 10, "/r/a/b": 100, "/r/a/b/c": 1000, "/r/d": 5}
    assert disk_largest.rollup(sizes, "/r", 1) == {"/r/a": 1110, "/r/d": 5}
    assert disk_largest.rollup(sizes, "/r", 2) == {"/r/a": 1110, "/r/a/b": 1100, "/r/d": 5}


def test_largest_walk_finds_the_big_folder_and_stops_on_limits(tmp_path: Path) -> None:
    (tmp_path / "big" / "deeper").mkdir(parents=True)
    (tmp_path / "small").mkdir()
    (tmp_path / "big" / "deeper" / "blob").write_bytes(os.urandom(256 * 1024))
    (tmp_path / "small" / "note").write_bytes(b"x" * 100)
    walked = disk_largest.walk(str(tmp_path), max_entries=1000, max_seconds=10, top=3)
    got = disk_largest.summarise(str(tmp_path), walked, depth=2, top=3)
    assert got["complete"] and got["largest_dirs"][0]["path"] == str(tmp_path / "big")
    assert got["largest_files"][0]["path"] == str(tmp_path / "big" / "deeper" / "blob")
    cut = disk_largest.walk(str(tmp_path), max_entries=2, max_seconds=10, top=3)
    assert cut["stopped"] == "entries"


def test_io_rates_are_pure() -> None:
    before = {"sda": {"read_count": 0, "write_count": 0, "read_bytes": 0, "write_bytes": 0,
                      "read_time": 0, "write_time": 0, "busy_time": 0},
              "sda1": {"read_count": 0}, "loop0": {"read_count": 0}}
    after = {"sda": {"read_count": 100, "write_count": 100, "read_bytes": 4 << 20,
                     "write_bytes": 0, "read_time": 3000, "write_time": 1000,
                     "busy_time": 1900},
             "sda1": {"read_count": 100}, "loop0": {"read_count": 5}}
    (sda,) = disk_io.rates(before, after, 2.0, r"^(loop\d+|sd[a-z]+\d+)$")
    assert sda == {"name": "sda", "read_bytes_s": 2097152.0, "write_bytes_s": 0.0,
                   "read_iops": 50.0, "write_iops": 50.0, "await_ms": 20.0,
                   "busy_pct": 95.0}
    with pytest.raises(ValueError):
        disk_io.rates(before, after, 0)


@pytest.mark.live
def test_io_and_largest_live() -> None:
    doc, code = _collect("disk.io", "-p", "sample_s=0.5")
    assert (doc["outcome"], code) in (("ok", 0), ("failed", 3)), doc["reason"]
    doc, code = _collect("disk.largest", "-p", f"path={Path(__file__).parent}",
                         "-p", "max_seconds=5")
    assert (doc["outcome"], code) == ("ok", 0), doc["reason"]
    assert doc["result"]["scanned_files"] > 10
