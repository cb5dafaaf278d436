"""Run a collector in its own process, under a timeout, killable with its children.

A hung collector (or a hung command it started) is stopped at its deadline
and recorded ``timed_out``; a crash is recorded ``failed`` with the traceback
kept for the bundle's ``errors/`` folder. Nothing a collector does can stop
the run.
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

from toolkit.collector import Collector

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
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
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.Error:
        family = []
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
    """Stop every worker still running (Ctrl-C)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _kill_tree(proc)


def _env() -> dict[str, str]:
    # The worker must import the same toolkit as this process, installed or not.
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def execute(collector: Collector, params: dict[str, Any], workdir: Path,
            timeout: float) -> StepOutcome:
    workdir.mkdir(parents=True, exist_ok=True)
    response = workdir / RESPONSE
    request = {"target": collector.target, "params": params, "workdir": str(workdir),
               "timeout": timeout, "response": str(response)}
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    t0 = time.monotonic()
    with open(workdir / WORKER_LOG, "wb") as log:
        try:
            proc = subprocess.Popen([sys.executable, "-m", "toolkit._worker"],
                                    stdin=subprocess.PIPE, stdout=log, stderr=log, env=_env())
        except OSError as exc:
            return StepOutcome("failed", started=started, duration_s=time.monotonic() - t0,
                               reason=f"could not start a worker process for {collector.name}: "
                                      f"{exc.strerror or exc} ({sys.executable})")
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request).encode())
            proc.stdin.close()
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
        tail = (workdir / WORKER_LOG).read_text(encoding="utf-8", errors="replace")[-4000:]
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
