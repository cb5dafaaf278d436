"""Filesystems in trouble, for real: small ext4 images loop-mounted under the test's
folder — filled with data, filled with inodes, remounted read-only — and disk-full
and general run unattended against the live machine. Root only (mount)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import diagnose

pytestmark = [pytest.mark.needs_root,
              pytest.mark.skipif(not shutil.which("mkfs.ext4"), reason="needs e2fsprogs")]


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB ext4 filesystem with 256 inodes, mounted at tmp_path/mnt."""
    image, mnt = tmp_path / "fs.img", tmp_path / "mnt"
    with open(image, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "256", "-m", "0", str(image)], check=True)
    mnt.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _l1(result, finding: str) -> None:  # type: ignore[no-untyped-def]
    """L1 fixes it, with the finding that fired as the reason — unless a failing disk
    of this machine (L2-hardware) or an expired account (general) outranks it."""
    if not {"disk_failing", "account_expired"} & set(result.findings):
        assert result.escalation_to == "L1", result.out.get("escalation")
        assert result.out["escalation"]["finding"] in (finding, *result.serious())
        assert result.escalation_reason


def _fill_data(mnt: Path) -> None:
    chunk = b"\0" * (1 << 20)
    with open(mnt / "backup.tar", "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:  # ENOSPC: full
            pass
    os.sync()


def test_disk_full_of_data(ext4: Path, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("disk-full", "loop ext4 image filled with data (ENOSPC)", "disk_critical", "L1")
    _fill_data(ext4)
    result = diagnose("disk-full", tmp_path / "run", {})
    text = result.text("disk_critical")
    m = re.search(re.escape(str(ext4)) + r" is ([\d.]+)% full \(([\d.]+ [kMG]?B) free\)", text)
    assert m and float(m.group(1)) >= 95, text  # the percentage and what is left
    _l1(result, "disk_critical")


def test_disk_out_of_inodes(ext4: Path, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("disk-full", "loop ext4 image out of inodes (256 empty files)", "inodes_high",
             "L1")
    for i in range(400):
        try:
            (ext4 / f"session-{i}").touch()
        except OSError:
            break
    result = diagnose("disk-full", tmp_path / "run", {})
    text = result.text("inodes_high")
    assert f"{ext4} has used 100.0% of its inodes" in text, text
    mine = [f for f in (result.findings.get("disk_critical") or {}).get("finding", "").split("; ")
            if str(ext4) in f]
    assert mine == []  # space is not the problem
    _l1(result, "inodes_high")


def test_remounted_read_only(ext4: Path, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("disk-full", "loop ext4 remounted read-only (mount -o remount,ro)", "read_only",
             "L1")
    (ext4 / "report.odt").write_text("draft")
    subprocess.run(["mount", "-o", "remount,ro", str(ext4)], check=True)
    result = diagnose("disk-full", tmp_path / "run", {})
    text = result.text("read_only")
    assert f"{ext4} (/dev/loop" in text and "ext4) is mounted read-only" in text, text
    assert "free" in text
    _l1(result, "read_only")


def test_general_sees_read_only(ext4: Path, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("general", "loop ext4 remounted read-only", "read_only", "L1")
    subprocess.run(["mount", "-o", "remount,ro", str(ext4)], check=True)
    result = diagnose("general", tmp_path / "run", {})
    assert str(ext4) in result.text("read_only")
    assert result.finding("read_only")["next"] == "disk-full"
    _l1(result, "read_only")


def test_general_sees_full_disk(ext4: Path, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("general", "loop ext4 image filled with data", "disk_critical", "L1")
    _fill_data(ext4)
    result = diagnose("general", tmp_path / "run", {})
    assert str(ext4) in result.text("disk_critical")
    _l1(result, "disk_critical")
