"""``supportkit remote``: a playbook or a collector run on other machines over SSH, and
the evidence brought home.

``ssh`` (the system OpenSSH client, driven as the engineer has it), ``scripts`` (what
runs on the remote: POSIX sh, no Python needed), ``build`` (the one-file build that is
copied), ``session`` (one host: probe, copy, run, fetch, verify, attach, clean up).
``run_hosts`` runs several hosts side by side, one bundle each.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from toolkit.remote.session import LIVE, HostResult, Job, Session, stderr_say
from toolkit.remote.ssh import Client, check_host, find_ssh

__all__ = ["HostResult", "Job", "SshSetup", "run_hosts", "stop_all"]


@dataclass(frozen=True)
class SshSetup:
    """The engineer's ssh: ``-F`` and ``-o`` as given, and whether a prompt can be
    answered (``BatchMode`` otherwise)."""

    config: Path | None = None
    options: tuple[str, ...] = ()
    batch: bool = False


def run_hosts(hosts: list[str], job: Job, setup: SshSetup, jobs: int = 1) -> list[HostResult]:
    """Run ``job`` on every host, ``jobs`` at a time; results in the order of ``hosts``."""
    for host in hosts:
        check_host(host)
    ssh = find_ssh()
    control = Path(tempfile.mkdtemp(prefix="sk-ssh-"))  # 0700: the shared connections
    prefix = len(hosts) > 1 or not job.interactive

    def one(host: str) -> HostResult:
        client = Client(host, control, setup.config, setup.options, setup.batch, ssh)
        return Session(client, job, stderr_say(f"[{host}] " if prefix else "")).go()

    try:
        if jobs <= 1 or len(hosts) == 1:
            return [one(h) for h in hosts]
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="remote") as pool:
            return list(pool.map(one, hosts))
    finally:
        stop_all()
        shutil.rmtree(control, ignore_errors=True)


def stop_all() -> None:
    """End every ssh client still running a remote command (this process is stopping)."""
    for proc in list(LIVE):
        try:
            proc.terminate()
        except OSError:
            pass
