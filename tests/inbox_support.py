"""The real inbox for the tests: ``python -m toolkit serve`` on 127.0.0.1, a free port,
the test's own SUPPORTKIT_HOME; stopped (and reaped) however the test ends."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self, log: Path, *extra: str, cafile: Path | None = None) -> None:
        self.port = free_port()
        self.cafile = cafile  # the server's certificate: it serves HTTPS
        self.url = f"{'https' if cafile else 'http'}://127.0.0.1:{self.port}"
        self.log = log
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "toolkit", "serve", "--port", str(self.port),
                 *self.extra], stdout=subprocess.DEVNULL, stderr=err,
                stdin=subprocess.DEVNULL, env=dict(os.environ))
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.errors()}")
            try:
                ctx = ssl.create_default_context(cafile=str(self.cafile)) if self.cafile \
                    else None
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=2,
                                            context=ctx) as r:
                    if json.loads(r.read())["status"] == "ok":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()  # a server that never answered must not outlive the test
                raise AssertionError(f"serve did not answer: {self.errors()}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def errors(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def link(cli: Any, ticket: str, inbox: Inbox, *extra: str) -> str:
    r = cli("ticket", "upload-link", ticket, "--url", inbox.url, *extra)
    assert r.code == 0, r.err
    return str(r.out.strip())


def ticket(cli: Any, title: str = "Laptop disk is full") -> str:
    r = cli("ticket", "new", "--title", title, "--no-collect", "--json")
    assert r.code == 0, r.err
    return str(json.loads(r.out)["id"])


def put(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """A raw request, for what the client would never send."""
    req = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
