"""``supportkit remote`` against real sshds (Debian's openssh-server), each in a network
namespace the test makes (tests/remote_support.py: no route out), reached with the real
ssh client from another namespace. The one-file build is copied to each host; h4 is an
older Debian (bullseye, sshd's ChrootDirectory) the build cannot run on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_support import Hosts, debian_root, one_file_build

from toolkit.errors import EXIT_REMOTE_CONNECT, EXIT_REMOTE_LOST, EXIT_REMOTE_UNSUITABLE

pytestmark = [pytest.mark.needs_root, pytest.mark.netns, pytest.mark.build]
SUPPORTKIT = str(Path(sys.executable).with_name("supportkit"))


@pytest.fixture(scope="module")
def build() -> Path:
    return one_file_build()


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    if not (shutil.which("sshd") or Path("/usr/sbin/sshd").exists()):
        pytest.fail("openssh-server is not installed (scripts/system-packages.txt)")
    base = Path(f"/tmp/sk-remote-{os.getpid()}")  # others may traverse it: the test user
    h = Hosts(base, chroot=debian_root("bullseye"))
    try:
        h.up()
        yield h
    finally:
        h.down()
        shutil.rmtree(base, ignore_errors=True)


def remote(hosts: Hosts, build: Path, home: Path, *args: str,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    argv = hosts.in_client(SUPPORTKIT, "remote", "--ssh-config", str(hosts.ssh_config),
                           "--binary", str(build), *args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL,
                          env={**os.environ, "SUPPORTKIT_HOME": str(home)})


def _left_on(hosts: Hosts, n: int) -> list[str]:
    return sorted(p.name for p in hosts.tmpdir(n).iterdir()
                  if p.name.startswith("supportkit-remote."))


def test_three_hosts_unattended_bundles_attached_and_verified(hosts: Hosts, build: Path,
                                                              tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "SUPPORTKIT_HOME": str(home)}
    made = subprocess.run([SUPPORTKIT, "ticket", "new", "--title", "three servers slow",
                           "--no-collect", "--json"], capture_output=True, text=True,
                          env=env, check=True, timeout=60)
    ticket = json.loads(made.stdout)["id"]
    answers = tmp_path / "answers.yaml"
    answers.write_text("guide_1: true\n")
    proc = remote(hosts, build, home, "h1", "h2", "h3", "--jobs", "3", "run", "general",
                  "--non-interactive", "--answers", str(answers), "--ticket", ticket, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    bundles = []
    for n, h in enumerate(doc["hosts"], 1):
        assert h["host"] == f"h{n}" and h["supportkit"] == "copied", h
        # copied into that host's own TMPDIR, nowhere else
        assert Path(h["remote_dir"]).parent == hosts.tmpdir(n)
        assert h["verified"] is True and h["attached"] == f"attached to {ticket}"
        bundles.append(h["bundle"])
        assert _left_on(hosts, n) == []  # the build, the answers, the bundle: all removed
    assert len(set(bundles)) == 3
    for b in bundles:
        v = subprocess.run([SUPPORTKIT, "bundle", "verify", b, "--json"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert v.returncode == 0 and json.loads(v.stdout)["intact"] is True
        shown = json.loads(subprocess.run([SUPPORTKIT, "bundle", "show", b, "--json"], env=env,
                                          capture_output=True, text=True, check=True,
                                          timeout=60).stdout)
        assert shown["ticket"] == ticket
        collect = [s for s in shown["steps"] if s["kind"] == "collect"]
        assert collect and all(s["outcome"] in ("ok", "skipped") for s in collect), collect
    t = json.loads(subprocess.run([SUPPORTKIT, "ticket", "show", ticket, "--json"], env=env,
                                  capture_output=True, text=True, check=True,
                                  timeout=60).stdout)
    assert len(t["attachments"]) == 3
    # the progress of each host, prefixed, escaped; no colour codes
    assert "[h2] " in proc.stderr and "\x1b" not in proc.stderr


def test_interactive_run_answered_through_the_pty(hosts: Hosts, build: Path,
                                                  tmp_path: Path) -> None:
    import pexpect

    home = tmp_path / "home"
    child = pexpect.spawn(hosts.in_client(SUPPORTKIT)[0], hosts.in_client(
        SUPPORTKIT, "remote", "--ssh-config", str(hosts.ssh_config), "--binary", str(build),
        "--json", "h2", "run", "general")[1:], timeout=120, encoding="utf-8",
        env={**os.environ, "SUPPORTKIT_HOME": str(home)}, dimensions=(50, 200))
    child.expect("Save your work")
    child.expect("Press Enter when done")
    assert _left_on(hosts, 2) != []  # it is there while the run waits for us
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    out = child.before
    doc = json.loads(out[out.index('{\r\n  "hosts"'):].replace("\r\n", "\n"))
    bundle = Path(doc["hosts"][0]["bundle"])
    shown = json.loads(subprocess.run([SUPPORTKIT, "bundle", "show", str(bundle), "--json"],
                                      capture_output=True, text=True, check=True, timeout=60,
                                      env={**os.environ, "SUPPORTKIT_HOME": str(home)}).stdout)
    guide = next(s for s in shown["steps"] if s["kind"] == "guide")
    assert guide["done"] is True  # answered by a person, on this side of the pty
    assert _left_on(hosts, 2) == []


def test_wrong_key_is_refused_with_exit_5(hosts: Hosts, build: Path, tmp_path: Path) -> None:
    proc = remote(hosts, build, tmp_path, "wrongkey", "run", "general", "--non-interactive")
    assert proc.returncode == EXIT_REMOTE_CONNECT
    assert "Error: wrongkey: cannot connect (sk-remote-test@10.201.1.2: Permission denied " \
           "(publickey).) — authentication was refused" in proc.stderr


def test_changed_host_key_is_refused_never_accepted(hosts: Hosts, build: Path,
                                                    tmp_path: Path) -> None:
    known = hosts.base / "known_hosts_changed"
    before = known.read_bytes()
    proc = remote(hosts, build, tmp_path, "changedkey", "run", "general", "--non-interactive",
                  "--json")
    assert proc.returncode == EXIT_REMOTE_CONNECT
    h = json.loads(proc.stdout)["hosts"][0]
    assert h["kind"] == "host-key" and "CHANGED" in h["error"] and h["remote_dir"] == ""
    assert known.read_bytes() == before  # nothing learned, nothing replaced


def test_unreachable_host(hosts: Hosts, build: Path, tmp_path: Path) -> None:
    proc = remote(hosts, build, tmp_path, "nowhere", "h1", "--jobs", "2", "run", "general",
                  "--non-interactive", "--json")
    assert proc.returncode == EXIT_REMOTE_CONNECT
    down, up = json.loads(proc.stdout)["hosts"]
    assert down["kind"] == "unreachable" and "Network is unreachable" in down["error"]
    assert up["exit_code"] == 0 and up["verified"] is True


def test_without_json_a_summary_table_and_one_error_line(hosts: Hosts, build: Path,
                                                        tmp_path: Path) -> None:
    proc = remote(hosts, build, tmp_path, "h1", "nowhere", "--jobs", "2", "collect",
                  "disk.usage")
    assert proc.returncode == EXIT_REMOTE_CONNECT
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith("Error: nowhere: cannot connect")
    assert "Traceback" not in proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[0].split()[:3] == ["h1", "ok", "copied"], rows
    assert rows[1].split()[:4] == ["nowhere", "failed", "-", "unreachable"], rows
    assert rows[2] == "# h1" and json.loads("\n".join(rows[3:]))["outcome"] == "ok"


def test_full_tmpfs_on_the_remote_is_no_space(hosts: Hosts, build: Path,
                                              tmp_path: Path) -> None:
    full = hosts.small_disk(3)
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={full}/filler", "bs=1M", "count=16"],
                       capture_output=True)  # until the disk is full: it fails, on purpose
        proc = remote(hosts, build, tmp_path, "--remote-dir", str(full), "h3", "run",
                      "general", "--non-interactive", "--json")
        assert proc.returncode == EXIT_REMOTE_UNSUITABLE, proc.stderr
        h = json.loads(proc.stdout)["hosts"][0]
        assert h["kind"] == "no-space" and "no space" in h["error"], h
        assert sorted(p.name for p in full.iterdir()) == ["filler"]  # its folder removed
    finally:
        (full / "filler").unlink(missing_ok=True)


def test_older_debian_than_the_build_is_refused_before_a_run(hosts: Hosts, build: Path,
                                                             tmp_path: Path) -> None:
    proc = remote(hosts, build, tmp_path, "h4", "run", "general", "--non-interactive",
                  "--json")
    assert proc.returncode == EXIT_REMOTE_UNSUITABLE, proc.stderr
    h = json.loads(proc.stdout)["hosts"][0]
    assert h["kind"] == "os" and "GLIBC_" in h["error"], h
    assert h["supportkit"] == "" and _left_on(hosts, 4) == []


def test_installed_supportkit_of_the_same_version_is_used(hosts: Hosts, build: Path,
                                                          tmp_path: Path) -> None:
    there = hosts.base / "h3" / "bin" / "supportkit"
    shutil.copy(build, there)
    there.chmod(0o755)
    try:
        proc = remote(hosts, build, tmp_path, "h3", "collect", "disk.usage", "--json")
    finally:
        there.unlink()
    assert proc.returncode == 0, proc.stderr
    h = json.loads(proc.stdout)["hosts"][0]
    assert h["supportkit"] == "installed" and h["result"]["outcome"] == "ok"


def test_sudo_without_a_password_rule_is_refused_with_exit_6(hosts: Hosts, build: Path,
                                                             tmp_path: Path) -> None:
    if not shutil.which("sudo"):
        pytest.fail("sudo is not installed (scripts/system-packages.txt)")
    hosts.allow_sudo(False)
    proc = remote(hosts, build, tmp_path, "h2", "--sudo", "run", "general",
                  "--non-interactive", "--json")
    assert proc.returncode == EXIT_REMOTE_UNSUITABLE, proc.stderr
    h = json.loads(proc.stdout)["hosts"][0]
    assert h["kind"] == "sudo" and "password is required" in h["error"], h
    assert _left_on(hosts, 2) == []


def test_sudo_runs_as_root_there_and_what_root_wrote_comes_home(hosts: Hosts, build: Path,
                                                                tmp_path: Path) -> None:
    hosts.allow_sudo(True)
    try:
        info = remote(hosts, build, tmp_path, "h2", "--sudo", "collect", "system.info",
                      "--json")
        run = remote(hosts, build, tmp_path, "h2", "--sudo", "run", "general",
                     "--non-interactive", "--json")
    finally:
        hosts.allow_sudo(False)
    assert info.returncode == 0, info.stderr
    result = json.loads(info.stdout)["hosts"][0]["result"]["result"]
    assert result["user"] == "root" and result["is_admin"] is True
    assert run.returncode == 0, run.stderr
    h = json.loads(run.stdout)["hosts"][0]
    assert h["verified"] is True and Path(h["bundle"]).is_file()
    # root's files in the folder were given back: the user fetched and removed them all
    assert _left_on(hosts, 2) == []


def test_link_down_mid_run_local_says_what_was_lost_remote_cleans_up(
        hosts: Hosts, build: Path, tmp_path: Path) -> None:
    import pexpect

    child = pexpect.spawn(hosts.in_client(SUPPORTKIT)[0], hosts.in_client(
        SUPPORTKIT, "remote", "--ssh-config", str(hosts.ssh_config), "--binary", str(build),
        "h1", "run", "general")[1:], timeout=120, encoding="utf-8",
        env={**os.environ, "SUPPORTKIT_HOME": str(tmp_path)})
    try:
        child.expect("Press Enter when done")  # the run waits on the remote
        folder = _left_on(hosts, 1)
        assert len(folder) == 1
        hosts.link_down(1)
        child.expect(pexpect.EOF)
        child.close()
    finally:
        subprocess.run(hosts.in_client("ip", "link", "set", "vh1", "up"), check=True)
    assert child.exitstatus == EXIT_REMOTE_LOST
    said = " ".join(child.before.split())
    assert "Error: h1: the connection was lost during the run" in said
    assert "nothing was fetched" in said and "retry when h1 answers again" in said
    assert "lost: the run on h1 and its bundle (not fetched)" in said
    # The remote side: sshd notices the client is gone, the run hangs up (SIGHUP),
    # stops, and the folder with the copied build goes.
    deadline = time.monotonic() + 60
    while _left_on(hosts, 1) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _left_on(hosts, 1) == []
    import psutil

    assert not [p.pid for p in psutil.process_iter(["username", "cmdline"])
                if p.info["username"] == "sk-remote-test"
                and folder[0] in " ".join(p.info["cmdline"] or [])]
