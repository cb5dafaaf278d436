"""Run a collector in its own process, under a timeout, killable with its children.

A hung collector (or a hung command it started) is stopped at its deadline
and recorded ``timed_out``; a crash is recorded ``failed`` with the traceback
kept for the bundle's ``errors/`` folder. Nothing a collector does can stop
the run.

How a worker starts (isolated from the caller's folder and environment) is in
``toolkit.run._spawn``; ``scope`` makes sure that, however a run ends, nothing it
started survives it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit import _platform, sources
from toolkit.collector import Collector
from toolkit.run import _spawn

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
# Set by kill_all(): a worker that starts after it (a race with the thread pool) is
# stopped at once instead of running to its timeout.
_STOPPING = threading.Event()
_GROUPS: set[int] = set()  # process groups of the workers started in this scope
RESPONSE = "_response.json"
WORKER_LOG = "_worker.log"


@dataclass
class StepOutcome:
    outcome: str
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    started: str = ""
    duration_s: float = 0.0
    traceback: str | None = None


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker, the commands it runs and anything else still in its process group."""
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.Error:
        family = []
    _platform.kill_group(proc.pid)  # the worker leads its own group (see execute)
    for p in family:
        try:
            p.kill()
        except psutil.Error:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def kill_all() -> None:
    """Stop every worker still running (Ctrl-C, SIGTERM, SIGHUP, an exception), and
    any that is about to start."""
    _STOPPING.set()
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _kill_tree(proc)


def _failed(started: str, t0: float, reason: str) -> StepOutcome:
    return StepOutcome("failed", started=started, duration_s=time.monotonic() - t0,
                       reason=reason)


def _log_tail(path: Path, size: int = 4000) -> str:
    """The end of a worker's log, read within a bound whatever the worker printed."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - size))
            return fh.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


# Parameters that name files: a relative value means the caller's folder, not the
# worker's private one (``collect disk.usage -p source=df.txt``, ``-p path=.``).
_PATH_PARAMS = ("source", "file", "paths", "path", "ca_file")


def _absolute(params: dict[str, Any]) -> dict[str, Any]:
    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not value.startswith("~") \
                and not os.path.isabs(value):
            return os.path.abspath(value)
        return value

    out = dict(params)
    for name in _PATH_PARAMS:
        value = out.get(name)
        out[name] = [fix(v) for v in value] if isinstance(value, list) else fix(value)
    return {k: v for k, v in out.items() if k in params}


def execute(collector: Collector, params: dict[str, Any], workdir: Path,
            timeout: float) -> StepOutcome:
    """Run ``collector`` in a new worker process, isolated (``toolkit.run._spawn``), in
    ``workdir``, and stop it with everything it started at ``timeout``."""
    workdir.mkdir(parents=True, exist_ok=True)
    response = workdir / RESPONSE
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    t0 = time.monotonic()
    try:
        own = _spawn.import_folders(["toolkit"])
        wanted = [collector.target.partition(":")[0], *sources.modules(collector.sources)]
        extra = [f for f in _spawn.import_folders(wanted) if f not in own]
    except _spawn.NotImportable as exc:
        return _failed(started, t0, f"{collector.name} cannot run in a worker: {exc}")
    # The saved-output formats go with the request: with source= set, the worker reads
    # and parses the file itself and gather never runs (toolkit.sources).
    request = {"target": collector.target, "params": _absolute(params), "workdir": str(workdir),
               "timeout": timeout, "response": str(response), "path": extra,
               "parent": os.getpid(), "sources": sources.to_request(collector.sources)}
    if _STOPPING.is_set():
        return _failed(started, t0, "not started: the run is stopping")
    with open(workdir / WORKER_LOG, "wb") as log:
        try:
            # Started from the thread that waits for it: on Linux the worker dies with
            # that thread (PR_SET_PDEATHSIG), so the thread must outlive the worker.
            proc = subprocess.Popen(_spawn.worker_command(own), stdin=subprocess.PIPE,
                                    stdout=log, stderr=log, env=_spawn.worker_env(),
                                    cwd=workdir, **_platform.own_group_popen_kwargs())
        except OSError as exc:
            return _failed(started, t0,
                           f"could not start a worker process for {collector.name}: "
                           f"{exc.strerror or exc} ({sys.executable})")
        with _LIVE_LOCK:
            _LIVE.add(proc)
            _GROUPS.add(proc.pid)
        try:
            if _STOPPING.is_set():  # kill_all() ran while this one was starting
                _kill_tree(proc)
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(request).encode())
                proc.stdin.close()
            except OSError:
                pass  # it died at once; its log says why
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            timed_out = True
        except BaseException:
            _kill_tree(proc)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    duration = time.monotonic() - t0
    if timed_out:
        return StepOutcome(
            "timed_out", started=started, duration_s=duration,
            reason=f"{collector.name} did not finish within {timeout:g}s and was stopped — "
                   "raise the limit with --timeout or the step's timeout:")
    try:
        payload = json.loads(response.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = _log_tail(workdir / WORKER_LOG)
        return StepOutcome(
            "failed", started=started, duration_s=duration, traceback=tail or None,
            reason=f"{collector.name} worker exited with code {proc.returncode} "
                   "without a result (details under errors/ in the bundle)")
    finally:
        response.unlink(missing_ok=True)
    log_file = workdir / WORKER_LOG
    if log_file.exists() and log_file.stat().st_size == 0:
        log_file.unlink()
    return StepOutcome(payload["outcome"], payload.get("reason", ""), payload.get("result", {}),
                       payload.get("commands", []), started, duration, payload.get("traceback"))


def _sweep(before: set[int]) -> None:
    """Kill and reap whatever still descends from this process and was not there when
    the scope began: leftover workers, commands, and the daemons the subreaper adopted.
    Reaps only those pids, never ``waitpid(-1)``: subprocess keeps its own statuses."""
    import psutil

    with _LIVE_LOCK:
        groups, owned = set(_GROUPS), {p.pid for p in _LIVE}
    try:
        me = psutil.Process()
    except psutil.Error:
        return
    for _ in range(10):  # a dying parent hands its children to us: look again
        for pgid in groups:
            _platform.kill_group(pgid)
        try:
            kids = [k for k in me.children() if k.pid not in before and k.pid not in owned]
        except psutil.Error:
            kids = []
        family: list[psutil.Process] = []
        for kid in kids:
            try:
                family += kid.children(recursive=True)
            except psutil.Error:
                pass
            family.append(kid)
        if not family:
            return
        for p in family:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(kids, timeout=0.5)  # reaps our own children, one pid at a time


class scope:  # a context manager, named like one
    """One run's workers. While it lasts, on Linux this process is a child subreaper:
    commands that daemonise (double fork + setsid), and children of commands that
    ended, are re-parented here instead of to init. When it ends — normally, on
    Ctrl-C, SIGTERM, SIGHUP or an exception — every worker and everything still
    descending from them is killed and reaped, before the staging folder goes."""

    def __enter__(self) -> scope:
        import psutil

        _STOPPING.clear()
        with _LIVE_LOCK:
            _GROUPS.clear()
        try:
            self.before = {p.pid for p in psutil.Process().children()}
        except psutil.Error:
            self.before = set()
        self.reaper = _platform.child_subreaper(True)
        return self

    def __exit__(self, *exc: object) -> None:
        from toolkit.run.cleanup import shielded

        with shielded():
            try:
                kill_all()
                _sweep(self.before)
            finally:
                if self.reaper:
                    _platform.child_subreaper(False)
                reset()


def reset() -> None:
    """Forget a finished scope's stop request and process groups."""
    _STOPPING.clear()
    with _LIVE_LOCK:
        _GROUPS.clear()
