"""Linux kernel logs as support receives them (dmesg, journalctl -k, syslog), with the
layouts the kernel prints (arch/x86/kernel/dumpstack.c, mm/oom_kill.c,
arch/x86/mm/fault.c, arch/x86/kernel/cpu/mce), and live process faults: CPU hogs
sharing a core, a zombie, and supportkit's own workers, which are never either."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from harness import diagnose

# Written from the layouts the kernel prints (see logs/SOURCES.md); values invented.
LOGS = Path(__file__).parent / "logs"

OOPS_5X = (LOGS / "oops-5x-dmesg.txt").read_text()
# The 3.x/4.x layout in syslog form: "IP: [<…>] function [module]" before the Oops line.
OOPS_3X = (LOGS / "oops-4x-syslog.txt").read_text()
MCE = (LOGS / "mce-dmesg.txt").read_text()
OOM = (LOGS / "oom-journal.txt").read_text()
SEGV = (LOGS / "segfault-dmesg.txt").read_text()


def _log(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_oops_counted_once_with_its_module(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "kernel Oops → panic in acme_wifi (dmesg, 5.x layout)",
             "system_crashes", "L2-development")
    path = _log(tmp_path, "dmesg.txt", OOPS_5X)
    result = diagnose("boot-failure", tmp_path, {}, extra=["-p", f"crash.source={path}"])
    text = result.text("system_crashes")
    assert text.startswith("The system itself crashed 1 time(s)"), text
    assert "acme_wifi_rx+0x15/0x1d0 of module acme_wifi" in text
    assert "NetworkManager" in text and "Kernel panic: Fatal exception in interrupt" in text
    assert result.escalation_to == "L2-development"
    assert "acme_wifi" in result.escalation_reason


def test_oops_older_layout(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "kernel Oops in usbfoo (syslog, 4.x 'IP:' layout)",
             "system_crashes", "L2-development")
    path = _log(tmp_path, "syslog", OOPS_3X)
    result = diagnose("boot-failure", tmp_path, {}, extra=["-p", f"crash.source={path}"])
    text = result.text("system_crashes")
    assert "crashed 1 time(s)" in text and "of module usbfoo" in text, text
    assert result.escalation_to == "L2-development"


def test_machine_check_errors(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "machine-check (MCE bank 7) and EDAC memory errors",
             "hardware_errors", "L2-hardware")
    path = _log(tmp_path, "dmesg.txt", MCE)
    result = diagnose("boot-failure", tmp_path, {}, extra=["-p", f"crash.source={path}"])
    text = result.text("hardware_errors")
    assert "CPU 3, bank 7" in text and "DIMM#1" in text, text
    assert "(and" not in text  # four [Hardware Error] lines are one machine check
    assert result.escalation_to == "L2-hardware"
    assert "Machine Check" in result.escalation_reason


def test_oom_kill_names_victim(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("performance", "OOM killer killed java (journalctl -k)", "oom_kills", "L1")
    path = _log(tmp_path, "kernel.log", OOM)
    result = diagnose("performance", tmp_path, {}, extra=["-p", f"kernel.source={path}"])
    text = result.text("oom_kills")
    assert "1 time(s)" in text and "killed java (pid 4242, holding 7.0 GiB)" in text, text
    if result.escalation_to != "L2-hardware":  # a hot or failing part here outranks it
        assert result.escalation_to == "L1"


def test_segfaults_name_the_program(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("software-crash", "acmeedit segfault + general protection trap (dmesg)",
             "core_dumps", "L2-development")
    path = _log(tmp_path, "dmesg.txt", SEGV)
    result = diagnose("software-crash", tmp_path, {"program": "acmeedit"},
                      extra=["-p", f"crashes.source={path}"])
    text = result.text("core_dumps")
    assert text.startswith("2 program crash(es)"), text
    assert "acmeedit (pid 5151) SIGSEGV in libacmecore.so.2" in text
    assert "system_crashed" not in result.findings  # a user-space trap is not a kernel crash
    assert result.escalation_to == "L2-development"


def test_healthy_kernel_log_control(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "none (healthy control: a real syslog, loghub Linux_2k)")
    path = Path(__file__).parents[1] / "fixtures" / "crash.dumps" / "loghub-Linux_2k.log"
    result = diagnose("boot-failure", tmp_path, {}, extra=["-p", f"crash.source={path}"])
    assert result.serious() == [], result.findings
    assert result.escalation_to is None


# --- live processes ------------------------------------------------------------------

HOG = "import time\nend = time.time() + 60\nwhile time.time() < end: pass\n"


def _hogs(tmp: Path, names: list[str], core: int) -> list[subprocess.Popen[bytes]]:
    procs = []
    for name in names:
        script = tmp / f"{name}.py"
        script.write_text(HOG)
        procs.append(subprocess.Popen(["taskset", "-c", str(core), sys.executable,
                                       str(script)]))
    return procs


@pytest.mark.skipif(not shutil.which("taskset"), reason="needs taskset (util-linux)")
def test_hogs_sharing_a_core(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("performance", "3 CPU hogs pinned to core 0 (taskset)", "cores_shared", "L1")
    names = ["hogalpha", "hogbeta", "hoggamma"]
    hogs = _hogs(tmp_path, names, 0)
    try:
        time.sleep(1.0)
        result = diagnose("performance", tmp_path, {})
    finally:
        for p in hogs:
            p.kill()
            p.wait()
    text = result.text("cores_shared")
    assert "CPU0 " in text and "CPU1 " in text, text   # per-core figures
    core0 = text.split("CPU0:", 1)[1]
    for p in hogs:
        assert f"(pid {p.pid})" in core0, text           # each hog named on core 0
    assert "cpu_hog" not in result.findings or all(
        str(p.pid) not in result.text("cpu_hog") for p in hogs)  # each gets ~⅓ of a core
    if result.escalation_to != "L2-hardware":
        assert result.escalation_to == "L1"


def test_zombie_named_and_own_workers_never(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("performance", "a zombie left by a parent that never reaps", "zombies")
    parent = subprocess.Popen([sys.executable, "-c",
                               "import os, time\nif os.fork() == 0: os._exit(0)\n"
                               "time.sleep(60)\n"])
    try:
        time.sleep(0.5)
        runs = [diagnose("performance", tmp_path / f"r{i}", {}) for i in range(2)]
    finally:
        parent.kill()
        parent.wait()
    for result in runs:
        text = result.text("zombies")
        assert f"pid {parent.pid})" in text, text
        # supportkit's own runner and workers are never zombies or hogs
        assert result.steps()["procs"]["outcome"] == "ok"
        own, zombies = _own_and_zombies(Path(result.out["bundle"]))
        assert len(own) >= 2  # the runner and its workers were recognised …
        assert not {z["pid"] for z in zombies} & own  # … and none is listed as a zombie
        assert not {z["ppid"] for z in zombies} & own  # nor as a zombie's parent
        for fid in ("zombies", "cpu_hog", "cores_shared", "memory_hog"):
            if fid in result.findings:  # (another supportkit on this machine may be named)
                text = result.text(fid)
                assert not [p for p in own if f"pid {p}," in text or f"pid {p})" in text], text


def _own_and_zombies(bundle: Path) -> tuple[set[int], list[dict[str, int]]]:
    """From the bundle: the pids the collector took for supportkit's own, and the
    zombies it listed."""
    with zipfile.ZipFile(bundle) as z:
        folder = next(n for n in z.namelist() if n.endswith("system.processes/snapshot.json"))
        snap = json.loads(z.read(folder))
        result = json.loads(z.read(folder.replace("snapshot.json", "result.json")))
    body = result.get("result", result)
    return set(snap["own_pids"]), body["zombies"]


def _busy_pct(seconds: float) -> float:
    def read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]
    t0, i0 = read()
    time.sleep(seconds)
    t1, i1 = read()
    return 100.0 * (1 - (i1 - i0) / max(1, t1 - t0))


@pytest.mark.needs_root
def test_performance_healthy_control(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    """Controlled load: the run sees only its own processes (a PID namespace with its
    own /proc), so no process of the other users of this shared machine can be named.
    The machine-wide CPU figure is still the host's; it may be high only when the host
    really was busy, measured by the test beside the run."""
    scenario("performance", "none (healthy control in a PID namespace)")
    before = _busy_pct(1.0)
    result = diagnose("performance", tmp_path, {}, prefix=["unshare", "-p", "-f",
                                                           "--mount-proc"])
    after = _busy_pct(1.0)
    for fid in ("cpu_hog", "memory_hog", "zombies", "cores_shared", "oom_kills"):
        assert fid not in result.findings, result.findings[fid]
    host_load = {"cpu_saturated"} if max(before, after) >= 60 else set()
    assert set(result.serious()) <= host_load, (result.serious(), before, after)
