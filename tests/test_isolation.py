"""Issue 12, written as the attacks: supportkit runs as root in folders and sessions it
does not own. Workers start isolated (no code from the current folder, an allow-listed
environment, no core dumps); every way a run ends stops all it started and leaves no
unredacted byte behind; command output and saved sources are read within bounds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from conftest import FIXTURES, run_process

from toolkit.collector import Context

PLUGINS = str(Path(__file__).parent / "plugins")
SUPPORTKIT = Path(sys.executable).with_name("supportkit")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A real process's environment: test plugins on, its own TMPDIR to look into."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    return {**os.environ, "SUPPORTKIT_PLUGINS": "sk_testcollectors", "TMPDIR": str(tmpdir),
            "PYTHONPATH": os.pathsep.join(filter(None, [PLUGINS, os.environ.get("PYTHONPATH")])),
            **extra}


def _wait_for(what: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    return what()


def _with_mark(mark: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if p.info["status"] != psutil.STATUS_ZOMBIE and \
                any(mark in part for part in (p.info["cmdline"] or [])):
            found.append(p)
    return found


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # it ended while we looked
        return ""


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _files_holding(root: Path, needle: bytes, skip: tuple[Path, ...] = ()) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and path not in skip and needle in path.read_bytes():
                hits.append(path)
        except OSError:  # removed while we looked (a worker's temporary file)
            continue
    return hits


# --- 1. code planted in the current folder --------------------------------------------

@pytest.mark.parametrize("how", ["supportkit", "python -m toolkit"])
def test_modules_planted_in_the_current_folder_are_never_imported(tmp_path: Path,
                                                                  how: str) -> None:
    planted = tmp_path / "planted"
    (planted / "collectors").mkdir(parents=True)
    for name in ("psutil.py", "json.py", "collectors/__init__.py"):
        marker = planted / f"PWNED-{name.replace('/', '-')}"
        (planted / name).write_text(
            f"import os\nwith open({str(marker)!r}, 'w') as fh:\n    fh.write(str(os.getuid()))\n")
    out = tmp_path / "out"
    argv = [str(SUPPORTKIT)] if how == "supportkit" else [sys.executable, "-m", "toolkit"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([*argv, "run", "general", "--non-interactive", "--json", "--only",
                           "disk", "--out", str(out)], cwd=planted, env=env,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert sorted(p.name for p in planted.glob("PWNED-*")) == []
    assert proc.returncode == 0, proc.stderr
    steps = {s["id"]: s["outcome"] for s in json.loads(proc.stdout)["steps"]}
    assert steps["disk"] == "ok"


# --- 10. the environment, the folder, core dumps ---------------------------------------

def test_worker_environment_is_an_allow_list_without_tokens(tmp_path: Path, cli, plugins,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            _isolated_home: Path) -> None:
    plugins("sk_testcollectors")
    _isolated_home.mkdir(parents=True, exist_ok=True)
    # A connector whose secret lives in a variable the allow-list would otherwise keep.
    (_isolated_home / "config.yaml").write_text(
        "connectors:\n  desk:\n    type: redmine\n    url: https://desk.invalid\n"
        "    token_env: LC_DESK_SECRETLESS_NAME\n", encoding="utf-8")
    for name in ("SUPPORTKIT_X_TOKEN", "SUPPORTKIT_REDMINE_TOKEN", "LC_DESK_SECRETLESS_NAME",
                 "MY_API_KEY", "DB_PASSWORD"):
        monkeypatch.setenv(name, "s3cr3t-value")
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("FAKETIME_SK_PROBE", "1")  # unknown to libfaketime: harmless
    monkeypatch.setenv("LD_PRELOAD", os.environ.get("LD_PRELOAD", ""))
    r = cli("collect", "tests.env", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)["result"]
    keys = set(doc["environ"])
    assert keys.isdisjoint({"SUPPORTKIT_X_TOKEN", "SUPPORTKIT_REDMINE_TOKEN",
                            "LC_DESK_SECRETLESS_NAME", "MY_API_KEY", "DB_PASSWORD",
                            "PYTHONPATH"}), keys
    assert {"PATH", "HOME", "SUPPORTKIT_HOME", "SUPPORTKIT_PLUGINS", "http_proxy",
            "FAKETIME_SK_PROBE", "LD_PRELOAD"} <= keys
    assert doc["isolated"] == 1
    # Under faketime (CI moves the clock) the worker keeps its parent's clock.
    assert abs(doc["now"] - time.time()) < 3600
    assert "" not in doc["sys_path"] and os.getcwd() not in doc["sys_path"]
    assert PLUGINS in doc["sys_path"]  # the folder the parent imported the plugin from
    cwd = Path(doc["cwd"])
    assert cwd.name == "step" and cwd.parent.name.startswith(f"supportkit-collect-{os.getpid()}-")
    assert doc["core"] == [0, 0]


def test_no_core_dump_after_ulimit_unlimited(tmp_path: Path) -> None:
    env = _env(tmp_path, SUPPORTKIT_X_TOKEN="tok-" + uuid.uuid4().hex)

    def under_unlimited(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", "-c", 'ulimit -c unlimited && exec "$@"', "sh",
                               str(SUPPORTKIT), *args], env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)

    proc = under_unlimited("collect", "tests.env", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)["result"]
    assert doc["core"] == [0, 0]  # the worker, and what it runs, cannot dump
    assert doc["parent_core"][0] == 0  # the main process holds tokens too
    crash = tmp_path / "crash"
    crash.mkdir()
    proc = under_unlimited("collect", "tests.segv", "-p", f"dir={crash}", "--json")
    assert json.loads(proc.stdout)["outcome"] == "failed"
    assert list(crash.iterdir()) == []  # core_pattern "core" would have put it here


# --- 3. bounds on command output and saved sources -------------------------------------

def test_command_printing_2gb_keeps_the_worker_small(cli, plugins) -> None:
    plugins("sk_testcollectors")
    r = cli("collect", "tests.flood", "--json", "--timeout", "600")
    assert r.code == 0, r.err
    doc = json.loads(r.out)["result"]
    record = doc["record"]
    assert record["truncated"] is True and record["file"] == "flood.bin"
    assert record["stdout_bytes"] == 2 * 1024 ** 3
    assert 0 < record["stdout_kept"] <= 64 * 1024 * 1024
    assert doc["read_back"] == record["stdout_kept"]  # CommandResult.stdout: bounded too
    assert doc["peak_rss_kb"] < 200 * 1024, f"worker peaked at {doc['peak_rss_kb'] // 1024} MB"


def test_output_over_the_cap_keeps_the_newest_whole_lines(tmp_path: Path) -> None:
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 60, max_output=1000,
                  max_stderr=100)
    code = "import sys\nfor i in range(1, 100001): print(i)\nsys.stderr.write('e' * 5000)\n"
    got = ctx.run([sys.executable, "-c", code], save_as="numbers.txt")
    rec = got.record
    printed = sum(len(f"{i}\n") for i in range(1, 100001))
    assert rec.truncated and rec.stdout_bytes == printed
    assert rec.stdout_kept == len(got.stdout) <= 1000
    numbers = [int(line) for line in got.text.splitlines()]  # whole lines only
    assert numbers == list(range(numbers[0], 100001))
    assert (tmp_path / "numbers.txt").read_bytes() == got.stdout
    assert got.stderr == b"e" * 100 and rec.stderr_bytes == 5000 and rec.stderr_kept == 100
    assert rec.as_dict()["stdout_bytes"] == printed
    small = ctx.run(["echo", "hi"])
    assert small.stdout == b"hi\n" and not small.record.truncated
    ctx.run(["echo", "unread"])
    ctx.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.txt"]


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_source_that_is_not_a_regular_file_is_refused(tmp_path: Path, cli, kind: str) -> None:
    if kind == "device":
        source, why = Path("/dev/zero"), "is a device"
    elif kind == "fifo":
        source, why = tmp_path / "pipe", "is a named pipe"
        os.mkfifo(source)  # nobody writes: opening it for reading would wait forever
    else:
        source, why = tmp_path, "is a folder"
    r = cli("collect", "disk.usage", "-p", f"source={source}", "--json", "--timeout", "20")
    doc = json.loads(r.out)
    assert doc["outcome"] == "failed" and why in doc["reason"], doc["reason"]
    assert "\n" not in doc["reason"]


def test_source_read_is_bounded_whatever_the_size_says(tmp_path: Path) -> None:
    from toolkit.collector import Failed, read_source

    saved = FIXTURES / "disk.usage"
    sample = next(p for p in sorted(saved.iterdir()) if p.is_file())
    size = sample.stat().st_size
    assert read_source(sample, limit=size) == sample.read_bytes()
    with pytest.raises(Failed, match="larger than"):
        read_source(sample, limit=size - 1)
    # procfs says 0 bytes and holds more: only a bounded read notices.
    lying = Path("/proc/self/maps")
    if lying.exists():
        assert lying.stat().st_size == 0
        with pytest.raises(Failed, match="larger than"):
            read_source(lying, limit=16)


# --- 4. every way a run ends -----------------------------------------------------------

SLOW_RUN = """\
id: slow
version: 1
title: Slow
category: general
steps:
  - collect: logs.files
    with: {{paths: ["{log}"]}}
  - collect: tests.daemon
    with: {{mark: "{mark}", seconds: 120}}
  - collect: tests.sleep
    with: {{seconds: 120}}
"""


def _start_slow_run(tmp_path: Path) -> tuple[subprocess.Popen[str], str, bytes, Path]:
    secret = "hunter2-" + uuid.uuid4().hex
    mark = "sk-daemon-" + uuid.uuid4().hex
    log = tmp_path / "app.log"
    log.write_text(f"2026-01-05T10:00:00 app: login as bob password={secret}\n")
    pb = tmp_path / "slow.yaml"
    pb.write_text(SLOW_RUN.format(log=log, mark=mark), encoding="utf-8")
    # --trust: the test's own playbook gathers a log with logs.files (toolkit.playbook.trust).
    proc = subprocess.Popen([str(SUPPORTKIT), "run", str(pb), "--non-interactive", "--trust",
                             "--out", str(tmp_path / "out")], env=_env(tmp_path), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, mark, secret.encode(), log


@pytest.mark.parametrize(("signame", "code"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_signal_mid_run_stops_everything_and_leaves_nothing(tmp_path: Path, signame: str,
                                                            code: int) -> None:
    proc, mark, secret, log = _start_slow_run(tmp_path)
    tmpdir = tmp_path / "tmp"
    try:
        # Mid-run: the daemon runs and the raw log, secret and all, sits in the staging folder.
        assert _wait_for(lambda: _with_mark(mark) and _files_holding(tmpdir, secret))
        started = psutil.Process(proc.pid).children(recursive=True) + _with_mark(mark)
        assert any("toolkit.run._worker" in _cmdline(p) for p in started)
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert f"Stopped by {signame}" in err and "Traceback" not in err
    assert sorted(tmpdir.iterdir()) == []  # no supportkit-run-* folder
    out = tmp_path / "out"
    assert not out.exists() or sorted(out.iterdir()) == []  # no bundle, no .partial
    assert _files_holding(tmp_path, secret, skip=(log,)) == []
    _wait_for(lambda: not _alive(started) and not _with_mark(mark), 10)
    assert _alive(started) == [] and _with_mark(mark) == []


def test_daemon_left_by_a_command_is_stopped_when_the_run_ends(tmp_path: Path, cli,
                                                              plugins) -> None:
    plugins("sk_testcollectors")
    mark = "sk-daemon-" + uuid.uuid4().hex
    r = cli("collect", "tests.daemon", "-p", f"mark={mark}", "--json")
    try:
        assert r.code == 0, r.err
        assert json.loads(r.out)["result"]["returncode"] == 0
        assert _with_mark(mark) == []
    finally:
        for p in _with_mark(mark):
            p.kill()


def test_killed_run_takes_its_worker_down_and_the_next_run_removes_its_folder(
        tmp_path: Path) -> None:
    env = _env(tmp_path)
    tmpdir = Path(env["TMPDIR"])
    pb = tmp_path / "sleepy.yaml"
    pb.write_text("id: sleepy\nversion: 1\ntitle: Sleepy\ncategory: general\nsteps:\n"
                  "  - collect: tests.sleep\n    with: {seconds: 120}\n", encoding="utf-8")
    # Folders the next run must leave alone: a live owner's, and (as root) another user's.
    live = tmpdir / f"supportkit-run-{os.getpid()}-live"
    live.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    foreign = tmpdir / f"supportkit-run-{gone.pid}-foreign"
    if os.geteuid() == 0:
        foreign.mkdir()
        os.chown(foreign, 65534, 65534)
    proc = subprocess.Popen([str(SUPPORTKIT), "run", str(pb), "--non-interactive", "--out",
                             str(tmp_path / "out")], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = _wait_for(lambda: [k for k in psutil.Process(proc.pid).children(recursive=True)
                                     if "toolkit.run._worker" in _cmdline(k)])
        assert workers
        (staging,) = tmpdir.glob(f"supportkit-run-{proc.pid}-*")
    finally:
        proc.kill()  # SIGKILL: nothing can clean up at that moment
        proc.wait()
    assert _wait_for(lambda: not _alive(workers), 10), "the worker outlived its killed parent"
    assert staging.is_dir()  # left behind, as said in docs/security.md
    r = run_process("collect", "tests.echo", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert not staging.exists()
    assert live.is_dir()
    assert foreign.is_dir() or os.geteuid() != 0


def test_plugin_loaded_from_the_current_folder_is_never_passed_to_a_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from toolkit.collector import Collector
    from toolkit.run import isolation

    (tmp_path / "sk_cwdplugin.py").write_text("def gather(ctx, params):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # what '' on sys.path does for the parent
    try:
        module = importlib.import_module("sk_cwdplugin")
        got = isolation.execute(Collector("tests.cwd", "from the cwd", module.gather), {},
                                tmp_path / "w", 30)
    finally:
        sys.modules.pop("sk_cwdplugin", None)
    assert got.outcome == "failed"
    assert "loaded from the current folder" in got.reason and "never import" in got.reason
    assert not (tmp_path / "w" / "_worker.log").exists()  # no worker was started


def test_sigterm_while_the_bundle_is_written_leaves_no_partial_and_no_staging(
        tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    import toolkit.evidence.bundle as bundle

    out = tmp_path / "out"
    seen: list[Path] = []
    real_fill = bundle._fill

    def fill_then_terminated(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = real_fill(*args, **kwargs)
        seen.extend(out.glob(".*.partial"))
        os.kill(os.getpid(), signal.SIGTERM)  # handled at once, in this (main) thread
        time.sleep(5)
        return got

    monkeypatch.setattr(bundle, "_fill", fill_then_terminated)
    r = cli("run", "general", "--non-interactive", "--only", "disk", "--out", str(out))
    assert seen, "the bundle was not being written when the signal came"
    assert r.code == 143 and "Stopped by SIGTERM" in r.err
    assert sorted(out.iterdir()) == []
    assert list(Path(tempfile.gettempdir()).glob(f"supportkit-run-{os.getpid()}-*")) == []


@pytest.mark.needs_root
def test_full_disk_under_a_command_is_recorded_not_a_hang(tmp_path: Path) -> None:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    try:
        ctx = Context(workdir=mnt, deadline=time.monotonic() + 60)
        got = ctx.run(["head", "-c", str(8 * 1024 * 1024), "/dev/zero"], save_as="big.bin",
                      timeout=30)
        assert got.record.returncode == 0 and not got.record.timed_out
        assert "could not be kept: No space left on device" in got.record.error
        assert got.record.stdout_bytes == 8 * 1024 * 1024
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
