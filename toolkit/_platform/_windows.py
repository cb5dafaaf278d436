"""Windows facts."""

from __future__ import annotations

import ctypes
import platform
import time

__all__ = [
    "NAME",
    "PSEUDO_FSTYPES",
    "cpu_model",
    "inode_usage",
    "install_hint",
    "is_admin",
    "os_release",
    "timezone_name",
]

NAME = "windows"
PSEUDO_FSTYPES: frozenset[str] = frozenset()


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
