"""Windows facts."""

from __future__ import annotations

import ctypes
import platform
import time
from pathlib import Path
from typing import Any

from toolkit._platform._records import SystemProxy

__all__ = [
    "NAME",
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

NAME = "windows"
PSEUDO_FSTYPES: frozenset[str] = frozenset()


def user_data_dir() -> Path:
    """Per-user application data that does not roam (%LOCALAPPDATA%)."""
    import os
    from pathlib import Path

    return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")


def fsync_dir(folder: object) -> None:
    """Nothing to do: a folder cannot be opened to fsync it on Windows, and NTFS
    journals renames."""


def unsafe_owner(path: object) -> None:
    """Not checked on Windows: who may write a file is an ACL question that this
    check does not answer yet (docs/security.md says so); None means "no objection"."""
    return None


def is_admin() -> bool:
    try:
        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return False


def inode_usage(mountpoint: str) -> None:
    return None  # NTFS has no inode table to run out of


def timezone_name() -> str | None:
    return time.tzname[0] or None


def os_release() -> dict[str, str]:
    release, version, _, _ = platform.win32_ver()
    return {"name": "Windows", "version": version, "pretty_name": f"Windows {release}",
            "id": "windows"}


def cpu_model() -> str | None:
    return platform.processor() or None


def install_hint(package: str) -> str:
    return f"winget install {package}"


# --- ICMP access and probe commands (network.ping, network.traceroute) ---

# Python cannot send raw ICMP on Windows without a capture driver (Npcap), and
# there is no unprivileged ICMP socket: the collectors use ping.exe/tracert.exe.
ICMP_DGRAM_IP_HEADER = True


def raw_socket_fix() -> str:
    return "raw ICMP from Python is not used on Windows; the system ping and tracert are"


def icmp_dgram_fix() -> str:
    return "Windows has no unprivileged ICMP socket; the system ping is used"


def ping_argv(host: str, *, count: int, interval: float, timeout: float, size: int,
              ipv6: bool = False) -> list[str]:
    # ping.exe has no interval option; -w is the per-reply wait in milliseconds.
    return ["ping", "-6" if ipv6 else "-4", "-n", str(count), "-w", str(int(timeout * 1000)),
            "-l", str(size), host]


def traceroute_argv(host: str, *, mode: str, queries: int, max_hops: int, timeout: float,
                    ipv6: bool = False) -> list[str]:
    # tracert only sends ICMP echo, three per hop; mode and queries cannot be changed.
    return ["tracert", "-6" if ipv6 else "-4", "-d", "-h", str(max_hops),
            "-w", str(int(timeout * 1000)), host]


__all__ += ["ICMP_DGRAM_IP_HEADER", "icmp_dgram_fix", "ping_argv", "raw_socket_fix",
            "traceroute_argv"]


# --- accounts: Windows has no POSIX groups; account.* collectors do not run here ---
ADMIN_GROUPS: tuple[str, ...] = ()
AUTH_LOG_FILES: tuple[str, ...] = ()

__all__ += ["ADMIN_GROUPS", "AUTH_LOG_FILES"]


# --- network configuration (network.routes, network.dns) ---
ROUTE_COMMANDS = (("route-print", ["route", "print"]),)
ROUTE_PACKAGE = "route"
# Windows keeps resolvers per adapter; `ipconfig /all` lists them ("DNS Servers").
RESOLVER_FILES: tuple[str, ...] = ()
RESOLVER_COMMAND: list[str] | None = ["ipconfig", "/all"]

__all__ += ["RESOLVER_COMMAND", "RESOLVER_FILES", "ROUTE_COMMANDS", "ROUTE_PACKAGE"]


# --- anonymization (toolkit.redact.anonymize) ---
def host_names() -> tuple[str, ...]:
    import socket

    name = socket.gethostname()
    return tuple(sorted({name, name.split(".")[0]} - {"localhost", ""}))


def people() -> tuple[str, ...]:
    import os

    return tuple(n for n in (os.environ.get("USERNAME", ""),) if n)

__all__ += ["host_names", "people"]


# --- crash evidence, package history, disk I/O (crash.dumps, system.updates, disk.io) ---

from datetime import datetime  # noqa: E402

# A small dump per blue screen, and the full/kernel dump of the last one.
CRASH_PLACES = (r"%SystemRoot%\Minidump", r"%SystemRoot%\MEMORY.DMP")


def crash_log_commands(since: datetime) -> list[tuple[str, list[list[str]]]]:
    """The System log's BugCheck (1001), Kernel-Power (41) and EventLog (6008) events."""
    from datetime import timezone

    window_ms = max(1, int((datetime.now(timezone.utc) - since).total_seconds() * 1000))
    query = ("*[System[(EventID=1001 or EventID=41 or EventID=6008) and "
             f"TimeCreated[timediff(@SystemTime) <= {window_ms}]]]")
    return [("windows-events", [["wevtutil", "qe", "System", f"/q:{query}", "/f:text",
                                 "/rd:true", "/c:200"]])]


PACKAGE_LOGS: tuple[tuple[str, str], ...] = ()  # Windows Update history is not read yet
IO_SKIP_DEVICES = ""  # psutil names whole physical drives (PhysicalDrive0)

__all__ += ["CRASH_PLACES", "IO_SKIP_DEVICES", "PACKAGE_LOGS", "crash_log_commands"]


# --- logs (logs.eventlog) ---
# Event levels in the XPath filter: 1 critical, 2 error, 3 warning,
# 4 information, 5 verbose; 0 ("LogAlways") is informational and only asked
# for with information. https://learn.microsoft.com/windows/win32/wes/consuming-events
def eventlog_argv(channel: str, *, since: float | None, until: float | None, max_level: int,
                  count: int) -> list[str]:
    """wevtutil reading one channel as XML with rendered messages, newest first
    (/rd:true), so /c:N keeps the newest N events of the window."""
    def utc(epoch: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))

    terms = [f"Level<={max(1, min(max_level, 5))}" if max_level >= 4
             else f"Level>0 and Level<={max(1, max_level)}"]
    if since is not None:
        terms.append(f"TimeCreated[@SystemTime>='{utc(since)}']")
    if until is not None:
        terms.append(f"TimeCreated[@SystemTime<='{utc(until)}']")
    xpath = "*[System[" + " and ".join(f"({t})" for t in terms) + "]]"
    return ["wevtutil", "qe", channel, f"/q:{xpath}", "/f:RenderedXml", "/rd:true",
            f"/c:{count}"]


__all__ += ["eventlog_argv"]


# --- device identity (system.info) ---
def device_identity() -> dict[str, str | None]:
    import winreg  # type: ignore[import-not-found, unused-ignore]

    def read(name: str) -> str | None:
        try:
            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,  # type: ignore[attr-defined, unused-ignore]
                                 r"HARDWARE\DESCRIPTION\System\BIOS")
            return str(winreg.QueryValueEx(key, name)[0]) or None  # type: ignore[attr-defined, unused-ignore]
        except OSError:
            return None

    return {"vendor": read("SystemManufacturer"), "model": read("SystemProductName"),
            "version": read("SystemVersion"), "firmware": read("BIOSVersion")}


__all__ += ["device_identity"]


# --- proxy settings (toolkit.proxy: network.http, connectors) ---
_INTERNET_SETTINGS = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"


def system_proxy() -> SystemProxy | None:
    """Internet Options › Connections › LAN settings (what browsers use), as
    urllib.request.getproxies() reads it on Windows when the environment names no proxy.
    The exception list (ProxyOverride) and a PAC address (AutoConfigURL) are read here
    too: toolkit.proxy matches the list without name lookups (the stdlib's
    proxy_bypass_registry resolves the host and asks for its FQDN, which can hang on the
    broken networks this tool is run on), and a PAC script is named, not evaluated."""
    import urllib.request
    import winreg

    proxies = urllib.request.getproxies_registry()  # type: ignore[attr-defined]
    override, pac = "", ""
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER,  # type: ignore[attr-defined]
                            _INTERNET_SETTINGS) as key:
            for name in ("ProxyOverride", "AutoConfigURL"):
                try:
                    value = str(winreg.QueryValueEx(key, name)[0])  # type: ignore[attr-defined]
                except OSError:
                    continue
                override, pac = (value, pac) if name == "ProxyOverride" else (override, value)
    except OSError:
        pass
    if not proxies and not pac:
        return None
    entries = [e.strip() for e in override.split(";") if e.strip()]
    return SystemProxy("windows-registry", dict(proxies),
                       tuple(e for e in entries if e.lower() != "<local>"),
                       any(e.lower() == "<local>" for e in entries), pac or None)


__all__ += ["system_proxy"]


# --- process control (toolkit.run.isolation, toolkit.run.cleanup, toolkit.run._worker) ---
# Windows has no core limit, no parent-death signal and no subreaper. Workers get
# their own process group and are stopped with their process tree (psutil); a
# command that detaches from the tree escapes. A job object with
# KILL_ON_JOB_CLOSE would close both gaps; it is not done yet (docs/security.md).
def protect_process(locked: bool = False) -> None:
    """Nothing to do here: Windows Error Reporting writes dumps only where an
    administrator configured LocalDumps (docs/security.md)."""


def die_with_parent() -> bool:
    return False


def child_subreaper(on: bool) -> bool:
    return False


def own_group_popen_kwargs() -> dict[str, Any]:
    import subprocess

    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def kill_group(pgid: int) -> None:
    """No process groups to signal: the caller stops the process tree."""


def owned_by_me(st: object) -> bool:
    # The temporary folder is the user's own (%LOCALAPPDATA%\Temp): no one else's
    # folders are there to confuse with ours.
    return True


__all__ += ["child_subreaper", "die_with_parent", "kill_group", "own_group_popen_kwargs",
            "owned_by_me", "protect_process"]
