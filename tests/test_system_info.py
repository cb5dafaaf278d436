"""system.info: the pure parse on a recorded snapshot, and the live collector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors.system_info import parse

FIX = Path(__file__).parent / "fixtures" / "system.info"


def test_parse_recorded_snapshot() -> None:
    raw = json.loads((FIX / "debian-12-vm.snapshot.json").read_text())
    r = parse(raw)
    assert r["os"]["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"
    assert r["kernel"] == "6.18.44-fc-v669" and r["os"]["machine"] == "x86_64"
    assert r["uptime_s"] == int(raw["now"] - raw["boot_time"]) == 923
    assert r["boot_time"] == "2026-11-25T13:00:40+00:00"
    assert r["cpu"]["logical"] == 2 and r["cpu"]["model"] == "AMD EPYC"
    assert r["cpu"]["load_avg"] == [0.14, 0.09, 0.02]
    assert r["cpu"]["load_per_cpu"] == 0.07
    # used = total - available (what a person means by "used"), not psutil's "used".
    assert r["memory"]["used_bytes"] == 25276502016 - 24931659776
    assert r["swap"] == {"total_bytes": 0, "used_bytes": 0, "percent": 0.0}
    assert r["timezone"] == {"name": "Etc/UTC", "utc_offset": "+00:00"}


def test_parse_without_load_average_or_os_release() -> None:
    raw = json.loads((FIX / "debian-12-vm.snapshot.json").read_text())
    raw.update(load_avg=None, os_release={}, utc_offset_s=-(5 * 3600 + 30 * 60))
    r = parse(raw)
    assert r["cpu"]["load_avg"] is None and r["cpu"]["load_per_cpu"] is None
    assert r["os"]["name"] == "Linux" and r["os"]["pretty_name"] == "Linux 6.18.44-fc-v669"
    assert r["timezone"]["utc_offset"] == "-05:30"


@pytest.mark.live
def test_live_system_info(cli) -> None:
    import socket

    r = cli("collect", "system.info", "--json", "-p", "sample_s=0.1")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert set(doc) == {"collector", "outcome", "reason", "duration_s", "result"}
    assert doc["outcome"] == "ok" and doc["collector"] == "system.info"
    result = doc["result"]
    assert result["hostname"] == socket.gethostname()
    assert result["memory"]["total_bytes"] > 0 and result["cpu"]["logical"] >= 1
    assert result["uptime_s"] > 0


@pytest.mark.skipif(__import__("sys").platform != "linux", reason="DMI is Linux's")
def test_device_identity_from_dmi_without_placeholders(tmp_path, monkeypatch) -> None:
    from toolkit._platform import _linux

    for name, value in (("sys_vendor", "LENOVO\n"), ("product_name", "20XW0026GE\n"),
                        ("product_version", "ThinkPad X1 Carbon Gen 9\n"),
                        ("bios_version", "To be filled by O.E.M.\n")):
        (tmp_path / name).write_text(value)
    monkeypatch.setattr(_linux, "_DMI", str(tmp_path))
    assert _linux.device_identity() == {"vendor": "LENOVO", "model": "20XW0026GE",
                                        "version": "ThinkPad X1 Carbon Gen 9",
                                        "firmware": None}
    monkeypatch.setattr(_linux, "_DMI", str(tmp_path / "absent"))
    assert set(_linux.device_identity().values()) == {None}


def test_parse_carries_the_device() -> None:
    raw = json.loads((FIX / "debian-12-vm.snapshot.json").read_text())
    assert parse(raw)["device"] == dict.fromkeys(("vendor", "model", "version", "firmware"))
    raw["device"] = {"vendor": "Dell Inc.", "model": "Latitude 7420", "version": None,
                     "firmware": "1.21.0"}
    assert parse(raw)["device"]["model"] == "Latitude 7420"
