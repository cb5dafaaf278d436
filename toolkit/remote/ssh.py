"""The system OpenSSH client, driven as the engineer has it set up.

Everything goes through ``ssh`` itself — never a Python SSH library — so that
``~/.ssh/config`` (aliases, ``ProxyJump``, ``IdentityFile``), the agent, known_hosts and
the engineer's own ``ControlMaster`` settings apply exactly as they do for ``ssh HOST``.
What supportkit adds, and why:

- its own connection sharing (``ControlMaster=auto``, a private ``ControlPath``,
  ``ControlPersist`` of 30 s): a remote run is several commands (look, copy, run,
  fetch, clean), and the engineer authenticates once per host, not five times;
- ``ServerAliveInterval`` only when their configuration has none (``ssh -G`` tells),
  so a dropped connection is noticed within a minute instead of hanging for hours;
- ``BatchMode=yes`` only when nobody is at the keyboard to answer a prompt.

Never ``StrictHostKeyChecking=no`` nor another known_hosts file: an unknown or changed
host key is refused as ssh refuses it, and said so in one line.

Remote commands are one string the remote login shell parses: each is built here as
``sh -c SCRIPT sh ARG…`` with ``shlex.quote`` on every piece, so a host, a path or a
parameter given by the user is always one word there, never code.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import BadInput, RemoteConnectFailed

# A host as ssh takes it: [user@]name, an alias of ~/.ssh/config, an address. Never
# something ssh would read as an option (-oProxyCommand=…), never spaces or quotes.
_HOST = re.compile(r"^(?:[A-Za-z0-9._%+-]+@)?(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.%]+\])$")


def check_host(host: str) -> str:
    if host.startswith("-") or not _HOST.match(host):
        raise BadInput(f"{host!r} is not a host", "give [USER@]HOST as for ssh "
                       "(a name, an address or an alias of your ~/.ssh/config)")
    return host


@dataclass
class Client:
    """How to call ``ssh`` for one host: the engineer's options, and the shared
    connection this process keeps to it (``control_dir`` is private, 0700)."""

    host: str
    control_dir: Path
    config: Path | None = None  # ssh -F
    options: tuple[str, ...] = ()  # ssh -o, as given
    batch: bool = False
    ssh: str = "ssh"
    extra: list[str] = field(default_factory=list)  # decided once by prepare()

    def prepare(self) -> None:
        """Read the effective configuration once (``ssh -G`` connects to nothing)."""
        self.extra = ["-o", "ControlMaster=auto",
                      "-o", f"ControlPath={self.control_dir}/%C",
                      "-o", "ControlPersist=30"]
        if self.batch:
            self.extra += ["-o", "BatchMode=yes"]
        effective = self.effective()
        if effective.get("serveraliveinterval", "0") == "0":
            self.extra += ["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"]

    def base(self) -> list[str]:
        argv = [self.ssh]
        if self.config is not None:
            argv += ["-F", str(self.config)]
        for opt in self.options:
            argv += ["-o", opt]
        return argv

    def effective(self) -> dict[str, str]:
        try:
            proc = subprocess.run([*self.base(), "-G", "--", self.host], capture_output=True,
                                  text=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as exc:
            raise RemoteConnectFailed(f"cannot run {self.ssh}: {exc}",
                                      "install the OpenSSH client (apt install "
                                      "openssh-client)", kind="connect") from None
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["ssh -G failed"])[-1]
            raise BadInput(f"ssh cannot use this configuration for {self.host}: {last}",
                           "fix the ssh options or the config file given")
        out: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            key, _, value = line.partition(" ")
            out.setdefault(key.lower(), value)
        return out

    def argv(self, script: str, *args: str, tty: bool = False) -> list[str]:
        """``ssh … HOST sh -c SCRIPT sh ARGS…``, every piece quoted for the remote shell."""
        remote = " ".join(shlex.quote(p) for p in ("sh", "-c", script, "sh", *args))
        return [*self.base(), *self.extra, "-tt" if tty else "-T", "--", self.host, remote]

    def close(self) -> None:
        """End the shared connection now rather than in 30 s."""
        try:
            subprocess.run([*self.base(), *self.extra, "-O", "exit", "--", self.host],
                           capture_output=True, timeout=15, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass


def find_ssh() -> str:
    """The ssh client: ``SUPPORTKIT_SSH`` when set (a wrapper, another build), else
    the ``ssh`` on ``PATH``."""
    chosen = os.environ.get("SUPPORTKIT_SSH") or shutil.which("ssh")
    if not chosen:
        raise RemoteConnectFailed("no ssh client found", "install the OpenSSH client "
                                  "(apt install openssh-client)", kind="connect")
    return chosen


# ssh's own words (OpenSSH 7–9), first match wins: what failed, and what to do.
_CONNECT = [
    (re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed"),
     "host-key", "its host key has CHANGED since it was recorded in known_hosts (a "
     "reinstalled machine, or someone in between) — refused; check the new key's "
     "fingerprint with the machine's owner, then 'ssh-keygen -R HOST'"),
    (re.compile(r"No \S+ host key is known|Host key verification failed"), "host-key",
     "its host key is not in known_hosts and nobody could confirm it — refused; connect "
     "once with 'ssh HOST' and check the fingerprint"),
    (re.compile(r"Permission denied|Too many authentication failures|"
                r"No more authentication methods"), "auth",
     "authentication was refused — check the user, the key (ssh-add -l) or the "
     "password with 'ssh HOST'"),
    (re.compile(r"Could not resolve hostname|Name or service not known"), "unreachable",
     "the name does not resolve — check the spelling or your ~/.ssh/config"),
    (re.compile(r"Connection refused|Connection timed out|No route to host|"
                r"Network is unreachable|Operation timed out|kex_exchange_identification|"
                r"Connection closed by|Connection reset|timed out"), "unreachable",
     "it cannot be reached — check that it is up, the address and port, and the way "
     "there (VPN, ProxyJump)"),
]


def connect_error(host: str, stderr: str) -> RemoteConnectFailed:
    """The one-line error for an ``ssh`` that ended 255 before running anything."""
    for pattern, kind, fix in _CONNECT:
        if pattern.search(stderr):
            said = _said(stderr, pattern)
            return RemoteConnectFailed(f"{host}: cannot connect ({said})",
                                       fix.replace("HOST", host), kind=kind)
    return RemoteConnectFailed(f"{host}: cannot connect ({_said(stderr, None)})",
                               f"try 'ssh {host}' to see why", kind="connect")


def _said(stderr: str, pattern: re.Pattern[str] | None) -> str:
    """The line of ssh's output that says it, without the banner of @ signs."""
    lines = [ln.strip(" @\r") for ln in stderr.splitlines() if ln.strip(" @\r")]
    for ln in lines:
        if pattern is None or pattern.search(ln):
            return ln[:200]
    return (lines[-1] if lines else "ssh exited 255 and said nothing")[:200]
