"""macOS facts."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from toolkit._platform._posix import (
    child_subreaper,
    die_with_parent,
    fsync_dir,
    inode_usage,
    is_admin,
    kill_group,
    own_group_popen_kwargs,
    owned_by_me,
    protect_process,
    timezone_name,
    unsafe_owner,
)
from toolkit._platform._records import SystemProxy

__all__ = [
    "NAME",
    # process control: macOS has no parent-death signal and no subreaper; the worker
    # watches its parent instead, and daemons that leave the process group escape.
    "child_subreaper",
    "die_with_parent",
    "kill_group",
    "own_group_popen_kwargs",
    "owned_by_me",
    "protect_process",
    "PSEUDO_FSTYPES",
    "cpu_model",
    "inode_usage",
    "install_hint",
    "is_admin",
    "os_release",
    "timezone_name",
    "unsafe_owner",
    "user_data_dir",
    "fsync_dir",
]

NAME = "darwin"
PSEUDO_FSTYPES = frozenset({"devfs", "autofs", "nullfs"})


def os_release() -> dict[str, str]:
    version = platform.mac_ver()[0]
    return {"name": "macOS", "version": version, "pretty_name": f"macOS {version}", "id": "macos"}


def cpu_model() -> str | None:
    try:
        out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def install_hint(package: str) -> str:
    return f"brew install {package}"


# --- ICMP access and probe commands (network.ping, network.traceroute) ---

# macOS lets every user open an ICMP datagram socket and delivers replies to it
# with the IP header in front (unlike Linux).
ICMP_DGRAM_IP_HEADER = True


def raw_socket_fix() -> str:
    return "run with sudo: raw sockets need root on macOS"


def icmp_dgram_fix() -> str:
    return "macOS normally allows unprivileged ICMP sockets; run with sudo"


def ping_argv(host: str, *, count: int, interval: float, timeout: float, size: int,
              ipv6: bool = False) -> list[str]:
    # macOS ping: -W is the per-reply wait in milliseconds; IPv6 is ping6.
    if ipv6:
        return ["ping6", "-n", "-c", str(count), "-i", f"{interval:g}", "-s", str(size), host]
    return ["ping", "-n", "-c", str(count), "-i", f"{interval:g}",
            "-W", str(int(timeout * 1000)), "-s", str(size), host]


def traceroute_argv(host: str, *, mode: str, queries: int, max_hops: int, timeout: float,
                    ipv6: bool = False) -> list[str]:
    flags = {"udp": [], "icmp": ["-I"], "tcp": ["-P", "tcp"]}[mode]
    return ["traceroute6" if ipv6 else "traceroute", "-n", *flags, "-q", str(queries),
            "-m", str(max_hops), "-w", str(max(1, round(timeout))), host]


__all__ += ["ICMP_DGRAM_IP_HEADER", "icmp_dgram_fix", "ping_argv", "raw_socket_fix",
            "traceroute_argv"]


# --- accounts (account.identity, account.auth_failures) ---
ADMIN_GROUPS = ("admin", "wheel")
AUTH_LOG_FILES: tuple[str, ...] = ()  # macOS keeps them in the unified log, not in files

__all__ += ["ADMIN_GROUPS", "AUTH_LOG_FILES"]


# --- network configuration (network.routes, network.dns) ---
ROUTE_COMMANDS = (("netstat", ["netstat", "-rn"]),)
ROUTE_PACKAGE = "netstat"
# macOS writes resolv.conf for compatibility; `scutil --dns` is the full picture
# (per-domain resolvers), which the collector does not read yet.
RESOLVER_FILES = ("/etc/resolv.conf",)
RESOLVER_COMMAND: list[str] | None = None

__all__ += ["RESOLVER_COMMAND", "RESOLVER_FILES", "ROUTE_COMMANDS", "ROUTE_PACKAGE"]


# --- anonymization (toolkit.redact.anonymize): shared POSIX facts ---
from toolkit._platform._posix import host_names, people  # noqa: E402

__all__ += ["host_names", "people"]


# --- crash evidence, package history, disk I/O (crash.dumps, system.updates, disk.io) ---

from datetime import datetime  # noqa: E402

# Kernel panics (*.panic, panic-full-*.ips), app crashes and hangs, system-wide and per user.
CRASH_PLACES = ("/Library/Logs/DiagnosticReports", "~/Library/Logs/DiagnosticReports")


def crash_log_commands(since: datetime) -> list[tuple[str, list[list[str]]]]:
    return []  # the reports are files; the unified log is not read yet


PACKAGE_LOGS: tuple[tuple[str, str], ...] = ()
IO_SKIP_DEVICES = ""

__all__ += ["CRASH_PLACES", "IO_SKIP_DEVICES", "PACKAGE_LOGS", "crash_log_commands"]


# --- logs (logs.macos) ---
def unified_log_argv(*, since: float, until: float | None, process: str | None,
                     level: str) -> list[str]:
    """``log show`` of the unified log as NDJSON. --start/--end take local wall
    time; ``level`` adds Info (``info``) or Info and Debug (``debug``) messages
    to the Default, Error and Fault ones shown by default."""
    def local(epoch: float) -> str:
        import time

        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))

    argv = ["log", "show", "--style", "ndjson", "--start", local(since)]
    if until is not None:
        argv += ["--end", local(until)]
    if process:
        quoted = process.replace("\\", "\\\\").replace('"', '\\"')
        argv += ["--predicate", f'process == "{quoted}"']
    if level in ("info", "debug"):
        argv.append("--info")
    if level == "debug":
        argv.append("--debug")
    return argv


__all__ += ["unified_log_argv"]


# --- device identity (system.info) ---
def device_identity() -> dict[str, str | None]:
    import subprocess

    try:
        out = subprocess.run(["sysctl", "-n", "hw.model"], capture_output=True, text=True,
                             timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    return {"vendor": "Apple", "model": out or None, "version": None, "firmware": None}


__all__ += ["device_identity"]


# --- proxy settings (toolkit.proxy: network.http, connectors) ---
def system_proxy() -> SystemProxy | None:
    """System Settings › Network › Proxies, as urllib.request.getproxies() reads it on
    macOS when the environment names no proxy. The exception list is returned as written
    and matched by toolkit.proxy without name lookups (the stdlib's own
    proxy_bypass_macosx_sysconf resolves every host to test address ranges)."""
    import urllib.request

    proxies = urllib.request.getproxies_macosx_sysconf()  # type: ignore[attr-defined]
    if not proxies:
        return None
    try:
        from _scproxy import _get_proxy_settings  # type: ignore[import-not-found]

        settings = _get_proxy_settings()
    except (ImportError, OSError):
        settings = {}
    return SystemProxy("macos-system", dict(proxies),
                       tuple(str(e) for e in settings.get("exceptions") or () if e),
                       bool(settings.get("exclude_simple")))


__all__ += ["system_proxy"]


def user_data_dir() -> Path:
    """Where macOS applications keep their data for this user."""
    return Path.home() / "Library" / "Application Support"
