"""Windows crash evidence as users attach it: System-log exports in XML
(``wevtutil qe System /f:xml``) and text (``/f:text``), read by boot-failure and
software-crash run unattended on this (Linux) machine with ``-p STEP.source=FILE``."""

from __future__ import annotations

from pathlib import Path

import winevents as we
from harness import diagnose


def _boot(tmp: Path, name: str, data: bytes | str):  # type: ignore[no-untyped-def]
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return diagnose("boot-failure", tmp, {}, extra=["-p", f"crash.source={path}"])


def test_blue_screen_xml_names_stop_code_and_driver(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "blue screen 0xD1 in a wevtutil /f:xml export (1001 + 41 + 6008 "
             "+ WER bucket)", "blue_screen", "L2-development")
    crash = we.ago(90)
    data = we.xml_export(
        we.event("Service Control Manager", 7036, we.ago(300), [("param1", "Windows Update"),
                 ("param2", "running")], level=4, message="The Windows Update service is now "
                 "running."),
        we.bugcheck_1001(crash, 0xD1, (0x28, 0x2, 0x0, 0xFFFFF8056A3B1C2D)),
        we.kernel_power_41(crash - we.timedelta(seconds=20), 209,
                           (0x28, 0x2, 0x0, 0xFFFFF8056A3B1C2D)),
        we.eventlog_6008(crash + we.timedelta(seconds=30), crash - we.timedelta(minutes=2)),
        we.wer_bluescreen(crash + we.timedelta(minutes=2),
                          "AV_nvlddmkm!unknown_function", 0xD1))
    result = _boot(tmp_path, "system.xml", data)
    text = result.text("blue_screen")
    assert text.startswith("1 blue screen(s)"), text  # 1001, 41 and 6008: one crash
    assert "0x000000D1 DRIVER_IRQL_NOT_LESS_OR_EQUAL" in text
    assert "likely caused by the driver nvlddmkm.sys" in text
    assert "unexpected_shutdowns" not in result.findings
    assert "boot_updates" not in result.findings  # this machine's updates are not the PC's
    assert result.escalation_to == "L2-development"
    assert "nvlddmkm.sys" in result.escalation_reason


def test_blue_screen_text_export(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "blue screen 0x9F in a wevtutil /f:text export", "blue_screen",
             "L2-development")
    when = we.ago(60)
    desc = ("The computer has rebooted from a bugcheck.  The bugcheck was: 0x0000009f "
            "(0x0000000000000003, 0xffffc30b1a0e2060, 0xfffff8023c6c7850, 0xffffc30b1f45a8a0)."
            r" A dump was saved in: C:\Windows\Minidump\110324-9843-01.dmp. Report Id: 1.")
    data = we.text_export(
        ("Microsoft-Windows-WER-SystemErrorReporting", 1001, when, "Error", desc),
        ("Microsoft-Windows-Kernel-Power", 41, when - we.timedelta(seconds=9), "Critical",
         "The system has rebooted without cleanly shutting down first."))
    result = _boot(tmp_path, "system.txt", data)
    text = result.text("blue_screen")
    assert "0x0000009F DRIVER_POWER_STATE_FAILURE" in text and "usually a driver fault" in text
    assert r"Minidump\110324-9843-01.dmp" in text
    assert "unexpected_shutdowns" not in result.findings
    assert result.escalation_to == "L2-development"


def test_whea_blue_screen_is_hardware(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "blue screen 0x124 WHEA_UNCORRECTABLE_ERROR (XML)",
             "hardware_errors", "L2-hardware")
    crash = we.ago(30)
    data = we.xml_export(we.bugcheck_1001(crash, 0x124, (0, 0xFFFFC40A3E2D8028, 0xBE000000,
                                                         0x800400)),
                         we.kernel_power_41(crash - we.timedelta(seconds=5), 292))
    result = _boot(tmp_path, "whea.xml", data)
    assert "WHEA_UNCORRECTABLE_ERROR" in result.text("hardware_errors")
    assert "usually hardware" in result.text("hardware_errors")
    assert "blue_screen" not in result.findings  # a part, not a driver
    assert result.escalation_to == "L2-hardware"
    assert "WHEA_UNCORRECTABLE_ERROR" in result.escalation_reason


def test_kernel_power_41_with_bugcheck_code_only(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "Kernel-Power 41 carrying BugcheckCode 126, no 1001 (XML)",
             "blue_screen", "L2-development")
    data = we.xml_export(we.kernel_power_41(we.ago(45), 126, (0xC0000005, 0xFFFFF8012, 0, 0)))
    result = _boot(tmp_path, "kp41.xml", data)
    assert "0x0000007E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED" in result.text("blue_screen")
    assert result.escalation_to == "L2-development"


def test_power_loss_41_and_6008_xml_counted_once(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "Kernel-Power 41 (no stop code) + EventLog 6008 (XML)",
             "unexpected_shutdowns", "L1")
    up = we.ago(20)
    data = we.xml_export(we.kernel_power_41(up), we.eventlog_6008(up + we.timedelta(seconds=8),
                                                                  up - we.timedelta(minutes=7)))
    result = _boot(tmp_path, "power.xml", data)
    text = result.text("unexpected_shutdowns")
    assert text.startswith("1 unexpected shutdown"), text
    assert result.serious() == []
    assert result.escalation_to == "L1"
    assert "power supply" in result.escalation_reason and "1 unexpected" in result.escalation_reason


def test_6008_text_export(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("boot-failure", "EventLog 6008 in a /f:text export", "unexpected_shutdowns", "L1")
    data = we.text_export(("EventLog", 6008, we.ago(10), "Error",
                           "The previous system shutdown at 08:58:03 on 03/11/2026 was "
                           "unexpected."))
    result = _boot(tmp_path, "6008.txt", data)
    assert "EventLog 6008" in result.text("unexpected_shutdowns")
    assert "08:58:03 on 03/11/2026" in result.text("unexpected_shutdowns")
    assert result.escalation_to == "L1"


def test_application_crash_xml(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("software-crash", "Application Error 1000 ×2 in an Application-log XML export",
             "app_crashed", "L2-development")
    path = tmp_path / "application.xml"
    path.write_bytes(we.xml_export(we.app_error_1000(we.ago(50), "acmeedit.exe", "acmecore.dll"),
                                   we.app_error_1000(we.ago(20), "acmeedit.exe", "acmecore.dll")))
    result = diagnose("software-crash", tmp_path, {"program": "acmeedit", "since": "24h"},
                      extra=["-p", f"eventlog.source={path}"])
    text = result.text("app_crashed")
    assert text.startswith("Windows recorded 2 application crashes"), text
    assert "exception 0xc0000005 in acmecore.dll" in text
    assert result.escalation_to == "L2-development"
    assert "acmeedit.exe" in result.escalation_reason


def test_software_crash_healthy_control(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("software-crash", "none (healthy control: an Application export with no crash)")
    path = tmp_path / "application.xml"
    path.write_bytes(we.xml_export(
        we.event("Microsoft-Windows-Security-SPP", 16384, we.ago(40), [], level=4,
                 channel="Application", message="Successfully scheduled Software "
                 "Protection service for re-start."),
        we.event("MsiInstaller", 1033, we.ago(30), [(None, "AcmeEdit"), (None, "4.2.1.0")],
                 level=4, channel="Application", message="Windows Installer installed the "
                 "product. Product Name: AcmeEdit. Product Version: 4.2.1.0.")))
    kernel = Path(__file__).parents[1] / "fixtures" / "crash.dumps" / "loghub-Linux_2k.log"
    result = diagnose("software-crash", tmp_path, {"program": "acmeedit", "since": "24h"},
                      extra=["-p", f"eventlog.source={path}", "-p", f"crashes.source={kernel}"])
    assert result.serious() == [], result.findings
    assert result.escalation_to is None
