"""disk.usage: the df parser on real outputs, the live collector on this machine.

Expected values below were read off the df outputs by hand (sizes × block size).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors.disk_usage import parse_df, summarise

FIX = Path(__file__).parent / "fixtures" / "disk.usage"


def _rows(name: str) -> dict[str, dict]:
    return {r["mountpoint"]: r for r in parse_df((FIX / name).read_text())}


def test_centos_df_1k_blocks() -> None:
    rows = _rows("centos-7.7-df.out")
    assert len(rows) == 7
    root = rows["/"]
    assert root["device"] == "/dev/mapper/centos-root"
    assert root["total_bytes"] == 17811456 * 1024
    assert root["used_bytes"] == 1805580 * 1024
    assert root["free_bytes"] == 16005876 * 1024
    assert root["percent"] == 11.0
    assert root["approximate"] is False and root["pseudo"] is False
    assert root["inodes_total"] is None  # plain df has no inode columns


def test_centos_df_h_is_approximate() -> None:
    rows = _rows("centos-7.7-df-h.out")
    assert rows["/run"]["used_bytes"] == 12 * 1024**2
    assert rows["/"]["total_bytes"] == int(17.0 * 1024**3)
    assert all(r["approximate"] for r in rows.values())


def test_ubuntu_snaps_are_pseudo_not_full_disks() -> None:
    rows = _rows("ubuntu-18.04-df.out")
    snaps = [r for m, r in rows.items() if m.startswith("/snap/")]
    assert len(snaps) == 11 and all(r["pseudo"] and r["percent"] == 100.0 for r in snaps)
    assert rows["/"]["pseudo"] is False and rows["/"]["percent"] == 30.0
    summary = summarise(list(rows.values()), "x")
    assert summary["fullest"] == {"mountpoint": "/", "percent": 30.0}


def test_macos_df_with_inodes_and_spaces_in_names() -> None:
    rows = _rows("osx-10.14.6-df.out")
    root = rows["/"]
    assert root["total_bytes"] == 976490576 * 512
    assert root["percent"] == 32.0
    assert root["inodes_used"] == 1507695
    assert root["inodes_total"] == 1507695 + 9223372036853268112
    net = rows["/net"]
    assert net["device"] == "map -hosts" and net["pseudo"] is True
    assert rows["/dev"]["device"] == "devfs" and rows["/dev"]["pseudo"] is True


def test_macos_df_h_units_and_spaced_device() -> None:
    rows = _rows("osx-10.14.6-df-hh.out")
    assert rows["/System/Volumes/Data/home"]["device"] == "map auto_home"
    assert rows["/System/Volumes/VM"]["used_bytes"] == 20 * 1024
    assert rows["/System/Volumes/Data"]["percent"] == 20.0
    assert rows["/System/Volumes/Data"]["inodes_used"] == 724666


@pytest.mark.parametrize("name", sorted(p.name for p in FIX.glob("*.out")))
def test_every_fixture_parses_to_consistent_rows(name: str) -> None:
    rows = parse_df((FIX / name).read_text())
    assert rows
    for r in rows:
        assert r["mountpoint"].startswith("/")
        assert 0 <= r["percent"] <= 100
        assert r["used_bytes"] <= r["total_bytes"] or r["approximate"]


def test_not_df_output_is_refused() -> None:
    with pytest.raises(ValueError, match="not df output"):
        parse_df("PING localhost (127.0.0.1) 56(84) bytes of data.\n")


def test_collect_saved_df_via_cli(cli) -> None:
    r = cli("collect", "disk.usage", "-p", f"source={FIX / 'centos-7.7-df.out'}", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["outcome"] == "ok"
    assert doc["result"]["fullest"] == {"mountpoint": "/boot", "percent": 23.0}


def test_collect_saved_output_that_is_not_df(cli, tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("hello\n")
    r = cli("collect", "disk.usage", "-p", f"source={bad}", "--json")
    assert r.code == 3
    doc = json.loads(r.out)
    assert doc["outcome"] == "failed" and "not df output" in doc["reason"]
    r = cli("collect", "disk.usage", "-p", f"source={tmp_path / 'missing.txt'}", "--json")
    assert json.loads(r.out)["reason"].endswith("check the path given as source=")


@pytest.mark.live
def test_live_disk_usage_sees_the_root_filesystem(cli) -> None:
    r = cli("collect", "disk.usage", "--json")
    assert r.code == 0, r.err
    result = json.loads(r.out)["result"]
    root = next(f for f in result["filesystems"] if f["mountpoint"] == "/")
    assert root["total_bytes"] > 0 and root["free_bytes"] > 0
    assert root["total_bytes"] >= root["used_bytes"] + root["free_bytes"]
