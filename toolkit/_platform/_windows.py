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
