"""Untrusted playbooks and privileged reads, written as the attacks they stop
(docs/security.md › Trust): an override others could write, a plain playbook that
runs any command or reads any file, a log folder with a link to /etc/shadow."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from conftest import run_process

OVERRIDE = """\
id: general
version: 99
title: Planted general
category: general
steps:
  - guide: "planted"
"""

RUN_ANY = """\
id: plain
version: 1
title: A plain playbook
category: general
steps:
  - collect: tests.run_any
    id: cmd
    with: {argv: [touch, "MARKER"]}
"""

SAVED = """\
id: saved
version: 1
title: Reads a saved output
category: general
steps:
  - collect: disk.usage
    id: disk
    with: {source: "SOURCE"}
"""


def _home(tmp_path: Path) -> Path:
    return Path(os.environ["SUPPORTKIT_HOME"])


def _playbook_dir(tmp_path: Path, mode: int = 0o755) -> Path:
    folder = _home(tmp_path) / "playbooks"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(mode)
    _home(tmp_path).chmod(0o700)
    return folder


def _steps(stdout: str) -> dict[str, dict]:
    return {s["id"]: s for s in json.loads(stdout)["steps"]}


def test_a_world_writable_override_of_a_shipped_playbook_is_refused(tmp_path: Path,
                                                                     cli) -> None:
    folder = _playbook_dir(tmp_path, 0o777)
    (folder / "general.yaml").write_text(OVERRIDE)
    proc = run_process("run", "general", "--non-interactive", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"Error: playbook {folder / 'general.yaml'} is not safe to run:")
    assert "can be written by everyone" in proc.stderr and "chmod go-w" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()
    listing = cli("playbook", "list")
    line = next(ln for ln in listing.out.splitlines() if ln.startswith("general "))
    assert "replaces the shipped one" in line and "[refused:" in line
    doc = json.loads(cli("playbook", "list", "--json").out)
    row = next(r for r in doc["playbooks"] if r["id"] == "general")
    assert row["origin"] == "user" and row["overrides"] is True and row["refused"]


def test_a_safe_override_runs_and_is_marked(tmp_path: Path, cli) -> None:
    folder = _playbook_dir(tmp_path)
    (folder / "general.yaml").write_text(OVERRIDE)
    (folder / "general.yaml").chmod(0o644)
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path / "o"))
    assert r.code == 0, r.err
    line = next(ln for ln in cli("playbook", "list").out.splitlines()
                if ln.startswith("general "))
    assert "[yours:" in line and "replaces the shipped one" in line and "refused" not in line


@pytest.mark.needs_root
def test_a_playbook_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    import pwd

    folder = _playbook_dir(tmp_path)
    pb = folder / "mine.yaml"
    pb.write_text(OVERRIDE.replace("id: general", "id: mine"))
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(pb, nobody, -1)
    proc = run_process("run", "mine", "--non-interactive", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "belongs to nobody" in proc.stderr


def test_a_plain_playbook_may_not_run_any_command(tmp_path: Path, plugins) -> None:
    plugins("sk_testcollectors")
    marker = tmp_path / "pwned"
    pb = tmp_path / "plain.yaml"
    pb.write_text(RUN_ANY.replace("MARKER", str(marker)))
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    step = _steps(proc.stdout)["cmd"]
    assert step["outcome"] == "skipped" and not marker.exists()
    assert "tests.run_any can run any command" in step["reason"]
    assert "--trust" in step["reason"] and "trust.playbooks" in step["reason"]
    plan = run_process("run", str(pb), "--plan")
    assert "needs --trust" in plan.stdout
    # Trusted on the command line, or by the local configuration: it runs.
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--trust",
                       "--out", str(tmp_path))
    assert _steps(proc.stdout)["cmd"]["outcome"] == "ok" and marker.exists()
    marker.unlink()
    config = _home(tmp_path) / "config.yaml"
    _home(tmp_path).mkdir(parents=True, exist_ok=True)
    _home(tmp_path).chmod(0o700)
    config.write_text("trust:\n  playbooks: [plain]\n")
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path))
    assert _steps(proc.stdout)["cmd"]["outcome"] == "ok" and marker.exists()
    # ... but not when others could have written that configuration.
    config.chmod(0o666)
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path))
    assert proc.returncode == 2 and "config.yaml is not safe to use" in proc.stderr


def test_a_plain_playbook_may_not_read_a_saved_file(tmp_path: Path) -> None:
    secret = tmp_path / "private.txt"
    secret.write_text("Filesystem 1K-blocks Used Available Use% Mounted on\n"
                      "/dev/sda1 100 50 50 50% /\n")
    pb = tmp_path / "saved.yaml"
    pb.write_text(SAVED.replace("SOURCE", str(secret)))
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path))
    step = _steps(proc.stdout)["disk"]
    assert step["outcome"] == "skipped" and "can read any file" in step["reason"]
    # The same file named by the person at the keyboard is theirs to read.
    proc = run_process("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path),
                       "-p", f"disk.source={secret}")
    assert _steps(proc.stdout)["disk"]["outcome"] == "skipped"  # the playbook still asked
    proc = run_process("collect", "disk.usage", "-p", f"source={secret}", "--json")
    assert json.loads(proc.stdout)["outcome"] == "ok"


def test_shipped_playbooks_keep_their_powers(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2020-01-01T00:00:00Z ERROR boom\n")
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps({"log_paths": str(log), "since": "100000d"}))
    proc = run_process("run", "software-crash", "--non-interactive", "--json", "--answers",
                       str(answers), "--out", str(tmp_path / "o"))
    logs = next(s for s in json.loads(proc.stdout)["steps"] if s["id"] == "applogs")
    assert logs["outcome"] == "ok", logs


SHADOW = ("root:$6$rounds=5000$Zk3nQ1x9$Xy7q0PpWmN2.kLr8sT4vU6wY1zA3bC5dE7fG9hJ0kL2mN4pQ6rS8tU"
          "0vW2xY4zA6bC8dE0fG2hJ4kL6m:19700:0:99999:7:::\n"
          "alice:$y$j9T$F5Jx5fExrKuJdUyb1x8Yp.$hK3jN1xQ9wE2rT5yU8iO0pA3sD6fG9hJ2kL5zX8cV1b:"
          "19700:0:99999:7:::\n")


def test_a_link_out_of_the_log_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "shadow").write_text(SHADOW)
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o777)  # a log folder any user can write
    (logs / "app.log").write_text("2020-01-01T00:00:00Z ERROR real line\n")
    (logs / "evil.log").symlink_to(outside / "shadow")
    (logs / "inside.log").symlink_to(logs / "app.log")  # a link that stays inside: fine
    proc = run_process("collect", "logs.files", "-p", f"paths={logs}/*.log", "--json")
    res = json.loads(proc.stdout)["result"]
    by_name = {Path(f["path"]).name: f for f in res["files"]}
    assert "outside" in by_name["evil.log"]["skipped"]
    assert str(outside / "shadow") in by_name["evil.log"]["skipped"]
    assert "follow_symlinks=true" in by_name["evil.log"]["skipped"]
    assert by_name["app.log"]["saved"] or by_name.get("inside.log", {}).get("saved")
    # Asked for explicitly, the link is followed — and the hashes are still redacted.
    pb = tmp_path / "follow.yaml"
    pb.write_text(f"""\
id: follow
version: 1
title: Follow
category: general
steps:
  - collect: logs.files
    id: logs
    with: {{paths: ["{logs}/evil.log"], follow_symlinks: true, rotated: false}}
""")
    proc = run_process("run", str(pb), "--non-interactive", "--trust", "--json",
                       "--out", str(tmp_path / "o"))
    assert _steps(proc.stdout)["logs"]["outcome"] == "ok", proc.stdout
    bundle = json.loads(proc.stdout)["bundle"]
    with zipfile.ZipFile(bundle) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert b"root:[REDACTED:password_hash]" in blob
    for part in ("Zk3nQ1x9", "Xy7q0PpWmN2", "F5Jx5fExrKuJdUyb1x8Yp", "hK3jN1xQ9wE2"):
        assert part.encode() not in blob


@pytest.mark.parametrize("line", [
    SHADOW.splitlines()[0], SHADOW.splitlines()[1],
    "admin:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
    "bob:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    "carol:$5$saltsalt$Gbx5cLy6ufSBqE.kO7PSg7F7XlDZc3QT3xqLwzsEi7A:19000::::::",
    "dave:$1$abcdefgh$Zg3KfFzHx8nM9l0pQrStU.:19000::::::",
])
def test_password_hashes_are_redacted(line: str) -> None:
    from toolkit.redact import Redactor

    out = Redactor().text(line)
    assert "[REDACTED:password_hash]" in out
    assert out.split(":")[0] == line.split(":")[0]  # the account name stays
    assert line.split("$")[-1][:12] not in out


@pytest.mark.parametrize("text", ["price $5 and $10", "costs $1 each", "echo $y is unset",
                                  "PS1='$ '", "awk '{print $2$3}'"])
def test_dollar_signs_that_are_no_hash_stay(text: str) -> None:
    from toolkit.redact import Redactor

    assert Redactor().text(text) == text


def test_a_connector_configuration_others_can_write_is_refused(tmp_path: Path) -> None:
    # connectors: says where the tracker's secret is sent; a world-writable config.yaml
    # would let anyone point it at their own server.
    home = _home(tmp_path)
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    config = home / "config.yaml"
    config.write_text("connectors:\n  redmine:\n    url: https://redmine.example.test\n"
                      "    project: it\n")
    config.chmod(0o600)
    assert run_process("connectors", "--json").returncode == 0
    config.chmod(0o666)
    proc = run_process("connectors", "--json")
    assert proc.returncode == 2 and "config.yaml is not safe to use" in proc.stdout + proc.stderr
