"""account-permission for another named user: support runs as root, for which every
folder opens, yet the question is whether alice can open it. Users, groups and
folders are made for the test (useradd/groupadd) and removed after it. Root only."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import diagnose

pytestmark = [pytest.mark.needs_root,
              pytest.mark.skipif(not shutil.which("useradd"), reason="needs useradd")]


@pytest.fixture
def people() -> Iterator[tuple[str, str, str]]:
    """(a user in the group, a user outside it, the group)."""
    tag = uuid.uuid4().hex[:6]
    group, inside, outside = f"skfin{tag}", f"skin{tag}", f"skout{tag}"
    subprocess.run(["groupadd", group], check=True)
    subprocess.run(["useradd", "-M", "-N", "-G", group, inside], check=True)
    subprocess.run(["useradd", "-M", "-N", outside], check=True)
    try:
        yield inside, outside, group
    finally:
        for user in (inside, outside):
            subprocess.run(["userdel", user], check=False)
        subprocess.run(["groupdel", group], check=False)


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder everybody may enter (pytest's own tmp root is 0700, which would rightly
    block every other user on the way)."""
    path = Path(tempfile.mkdtemp(prefix="sk-access-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _share(tmp: Path, group: str, mode: int) -> Path:
    share = tmp / "finance"
    share.mkdir()
    (share / "q3.xlsx").write_text("figures")
    shutil.chown(share, "root", group)
    share.chmod(mode)
    return share


def test_root_only_folder_for_named_user(tmp_path: Path, base: Path, people, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("account-permission", "root-only folder (0700) checked as root for user X",
             "access_denied", "L1")
    inside, _, group = people
    share = _share(base, group, 0o700)
    result = diagnose("account-permission", tmp_path / "run", {"path": str(share),
                                                               "user": inside})
    text = result.text("access_denied")
    assert text.startswith(f"{inside} may not read {share}"), text
    assert "owner root" in text and "mode 0700" in text and "the bits for others" not in text
    assert "the group's bits" in text  # X is in the owning group, which has no bits here
    assert result.escalation_to == "L1" and inside in result.escalation_reason


def test_group_membership_grants_access(tmp_path: Path, base: Path, people, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("account-permission", "folder 0750 of a group the user is in (control)")
    inside, _, group = people
    share = _share(base, group, 0o750)
    result = diagnose("account-permission", tmp_path / "run", {"path": str(share),
                                                               "user": inside})
    assert "access_denied" not in result.findings, result.findings
    assert result.steps()["access"]["outcome"] == "ok"


def test_user_outside_the_group(tmp_path: Path, base: Path, people, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("account-permission", "folder 0750 of a group the user is not in",
             "access_denied", "L1")
    _, outside, group = people
    share = _share(base, group, 0o750)
    result = diagnose("account-permission", tmp_path / "run", {"path": str(share),
                                                               "user": outside})
    text = result.text("access_denied")
    assert f"{outside} is neither the owner nor in group {group}" in text, text
    assert result.escalation_to == "L1"


def test_folder_on_the_way_blocks(tmp_path: Path, base: Path, people, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario("account-permission", "readable file inside a folder the user may not enter",
             "access_denied", "L1")
    _, outside, group = people
    share = _share(base, group, 0o750)
    target = share / "q3.xlsx"
    target.chmod(0o644)
    result = diagnose("account-permission", tmp_path / "run", {"path": str(target),
                                                               "user": outside})
    text = result.text("access_denied")
    assert f"{outside} may not enter {share}" in text, text
    assert result.escalation_to == "L1"
    assert os.access(target, os.R_OK)  # root may: the answer is the named user's

