"""macOS facts."""

from __future__ import annotations

import platform
import subprocess

from toolkit._platform._posix import inode_usage, is_admin, timezone_name

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
