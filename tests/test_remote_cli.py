"""``supportkit remote`` without root: the command line, what ssh's own words mean,
quoting, and the whole protocol against a stand-in ssh (tests/fake_ssh.py) that runs
the remote side on this machine with the installed supportkit. The real sshd, in
network namespaces, is tests/test_remote.py."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES
from tickets_support import new_ticket, show

from toolkit.errors import EXIT_REMOTE_CONNECT, EXIT_REMOTE_LOST, EXIT_USAGE
from toolkit.remote.ssh import Client, check_host, connect_error

VENV_BIN = str(Path(sys.executable).parent)


@pytest.mark.parametrize("fixture, kind", [
    ("auth-refused.txt", "auth"),
    ("host-key-changed.txt", "host-key"),
    ("host-key-unknown.txt", "host-key"),
    ("unreachable-no-route.txt", "unreachable"),
    ("unreachable-timeout.txt", "unreachable"),
    ("connection-refused.txt", "unreachable"),
    ("name-unknown.txt", "unreachable"),
])
def test_what_ssh_said_is_one_line_with_its_kind(fixture: str, kind: str) -> None:
    said = (FIXTURES / "ssh" / fixture).read_text()  # captured from OpenSSH 9.2 here
    exc = connect_error("pc-0042", said)
    assert exc.kind == kind and exc.exit_code == EXIT_REMOTE_CONNECT
    line = exc.one_line()
    assert "\n" not in line and "@@@" not in line and line.startswith("pc-0042: cannot connect")
    if fixture == "host-key-changed.txt":
        assert "CHANGED" in line and "refused" in line


@pytest.mark.parametrize("host", ["-oProxyCommand=touch /tmp/x", "a b", "h;id", "$(id)",
                                  "user@", "-p22"])
def test_a_host_that_ssh_would_read_as_an_option_or_shell_is_refused(host: str) -> None:
    from toolkit.errors import BadInput

    with pytest.raises(BadInput):
        check_host(host)


def test_every_argument_reaches_the_remote_as_one_word(tmp_path: Path) -> None:
    hostile = ["a b", "x; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "it's", '"q"',
               "new\nline", "*", "--", "-n", ""]
    client = Client("pc", tmp_path)
    argv = client.argv('printf "%s\\0" "$@"', *hostile)
    assert argv[-2] == "pc" and argv[-3] == "--"  # the host is never an option
    # The remote login shell parses the last argument: run it as one would.
    out = subprocess.run(["sh", "-c", argv[-1]], cwd=tmp_path, capture_output=True,
                         check=True).stdout
    assert out.split(b"\0")[:-1] == [h.encode() for h in hostile]
    assert not (tmp_path / "PWNED").exists()
    assert shlex.split(argv[-1])[:2] == ["sh", "-c"]


def test_never_strict_host_key_checking_no(tmp_path: Path) -> None:
    client = Client("pc", tmp_path, options=("User=alice",))
    client.extra = []
    joined = " ".join(client.argv("true"))
    assert "StrictHostKeyChecking" not in joined and "UserKnownHostsFile" not in joined


@pytest.mark.parametrize("args, says", [
    (["pc-0042"], "run PLAYBOOK"),
    (["run", "general"], "no host"),
    (["--bogus", "pc", "run", "general"], "no such option"),
    (["pc", "collect", "disk.usage", "--ticket", "SUP-1"], "--ticket"),
    (["pc", "collect"], "collector NAME"),
    (["-oProxyCommand=x", "run", "general"], "no such option"),
])
def test_bad_command_lines_exit_2_with_one_line(cli, args: list[str], says: str) -> None:
    r = cli("remote", *args)
    assert r.code == EXIT_USAGE, r.err
    assert says in r.err and len(r.err.strip().splitlines()) == 1


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SUPPORTKIT_SSH set to the stand-in; returns its log. The "remote" has the
    installed supportkit on its PATH and its own TMPDIR."""
    wrapper = tmp_path / "ssh"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} "
                       f"{Path(__file__).parent / 'fake_ssh.py'} \"$@\"\n")
    wrapper.chmod(0o755)
    remote_tmp = tmp_path / "remote-tmp"
    remote_tmp.mkdir()
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("SUPPORTKIT_SSH", str(wrapper))
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    monkeypatch.setenv("FAKE_SSH_TMPDIR", str(remote_tmp))
    monkeypatch.setenv("FAKE_SSH_PATH", f"{VENV_BIN}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_SSH_HOME", str(tmp_path / "remote-home"))
    monkeypatch.delenv("SUPPORTKIT_BINARY", raising=False)
    return log


def test_the_protocol_end_to_end_attaches_and_leaves_nothing(cli, fake_ssh: Path,
                                                             tmp_path: Path) -> None:
    ticket = new_ticket(cli)["id"]
    answers = tmp_path / "answers.yaml"
    answers.write_text("guide_1: true\n")
    out = tmp_path / "home-bundles"
    r = cli("remote", "--out", str(out), "pc-a", "pc-b", "--jobs", "2", "run", "general",
            "--only", "disk", "--answers", str(answers), "--ticket", ticket, "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [h["host"] for h in doc["hosts"]] == ["pc-a", "pc-b"]
    for h in doc["hosts"]:
        assert h["supportkit"] == "installed"  # the same version is on its PATH
        assert h["verified"] is True and h["outcome"] == "ok" and h["exit_code"] == 0
        assert h["attached"].startswith("attached to")
        assert Path(h["bundle"]).parent == out and Path(h["bundle"]).is_file()
        assert oct(Path(h["bundle"]).stat().st_mode & 0o777) == "0o600"
        assert h["remote_dir"].startswith(os.environ["FAKE_SSH_TMPDIR"])
    assert list(Path(os.environ["FAKE_SSH_TMPDIR"]).iterdir()) == []  # all removed there
    assert len(show(cli, ticket)["attachments"]) == 2
    # The answers file went with the run; the bundle knows it was answered.
    calls = [json.loads(line) for line in fake_ssh.read_text().splitlines()]
    assert any("./answers.yaml" in c[-1] and "--non-interactive" in c[-1] for c in calls)
    assert not any("StrictHostKeyChecking=no" in " ".join(c) for c in calls)


def test_keep_leaves_the_bundle_there_and_nothing_else(cli, fake_ssh: Path,
                                                       tmp_path: Path) -> None:
    r = cli("remote", "--keep", "--out", str(tmp_path / "b"), "pc", "run", "general",
            "--only", "disk", "--json")
    assert r.code == 0, r.err
    host = json.loads(r.out)["hosts"][0]
    kept = Path(host["kept"])
    assert kept.is_file() and kept.name == Path(host["bundle"]).name
    left = sorted(p.relative_to(host["remote_dir"]).as_posix()
                  for p in Path(host["remote_dir"]).rglob("*"))
    assert left == ["out", f"out/{kept.name}"]


def test_collect_brings_back_the_result(cli, fake_ssh: Path) -> None:
    r = cli("remote", "pc", "collect", "disk.usage", "--json")
    assert r.code == 0, r.err
    host = json.loads(r.out)["hosts"][0]
    assert host["result"]["collector"] == "disk.usage" and host["outcome"] == "ok"
    assert host["bundle"] is None


def test_one_host_down_is_data_the_others_go_on(cli, fake_ssh: Path, tmp_path: Path) -> None:
    r = cli("remote", "--out", str(tmp_path / "b"), "pc", "pc-down", "--jobs", "2", "run",
            "general", "--only", "disk", "--non-interactive")
    assert r.code == EXIT_REMOTE_CONNECT, r.err
    assert "Error: pc-down: cannot connect (ssh: connect to host 192.0.2.1 port 22: " \
           "Connection refused)" in r.err
    rows = {line.split()[0]: line.split()[1] for line in r.out.splitlines()}
    assert rows == {"pc": "ok", "pc-down": "failed"}


def test_connection_lost_mid_run_says_what_was_lost(cli, fake_ssh: Path,
                                                    tmp_path: Path) -> None:
    r = cli("remote", "--out", str(tmp_path / "b"), "pc-dropped", "run", "general",
            "--non-interactive", "--json")
    assert r.code == EXIT_REMOTE_LOST
    host = json.loads(r.out)["hosts"][0]
    assert host["kind"] == "lost" and "retry" in host["error"]
    assert any("not fetched" in item for item in host["lost"])
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())


def test_no_build_and_no_supportkit_there_names_the_fix(cli, fake_ssh: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SSH_PATH", "/usr/bin:/bin")
    r = cli("remote", "pc", "run", "general", "--non-interactive")
    assert r.code == EXIT_USAGE
    assert "no one-file build to copy there" in r.err and "scripts/build-binary" in r.err
    assert list(Path(os.environ["FAKE_SSH_TMPDIR"]).iterdir()) == []


def test_bundles_of_the_same_name_from_two_hosts_are_both_kept(tmp_path: Path) -> None:
    # Cloned machines share a hostname; bundles made in the same second share a name.
    from toolkit.remote.session import claim

    made = []
    for host, body in (("h1", b"one"), ("root@h2", b"two"), ("root@h2", b"three")):
        part = tmp_path / f".part-{len(made)}"
        part.write_bytes(body)
        made.append(claim(part, tmp_path, "SUP-000001_vm_20260101T000000Z.zip", host))
        part.unlink()
    assert [p.name for p in made] == ["SUP-000001_vm_20260101T000000Z.zip",
                                      "SUP-000001_vm_20260101T000000Z_root-h2.zip",
                                      "SUP-000001_vm_20260101T000000Z_root-h2-2.zip"]
    assert [p.read_bytes() for p in made] == [b"one", b"two", b"three"]
    mapping = tmp_path / ".m"
    mapping.write_text("{}")
    assert claim(mapping, tmp_path, "SUP-1_vm_T.mapping.json", "h2").name == \
        "SUP-1_vm_T.mapping.json"
