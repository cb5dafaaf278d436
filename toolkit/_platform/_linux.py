"""Linux facts: /proc, /etc/os-release, the distribution's package manager."""

from __future__ import annotations

import platform
import shutil

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

NAME = "linux"

# Filesystems that hold no user data; a "disk full" there means nothing.
PSEUDO_FSTYPES = frozenset(
    {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "pstore",
     "debugfs", "tracefs", "configfs", "fusectl", "mqueue", "hugetlbfs", "bpf", "autofs",
     "binfmt_misc", "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "squashfs"}
)


def os_release() -> dict[str, str]:
    try:
        info = platform.freedesktop_os_release()
    except OSError:
        return {}
    return {
        "name": info.get("NAME", ""),
        "version": info.get("VERSION_ID", ""),
        "pretty_name": info.get("PRETTY_NAME", ""),
        "id": info.get("ID", ""),
    }


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "cpu model"):
                    return value.strip()
    except OSError:
        return None
    return None


def install_hint(package: str) -> str:
    # Debian/Ubuntu names first: that is where most support desks live.
    for tool, cmd in (("apt-get", "apt install"), ("dnf", "dnf install"),
                      ("yum", "yum install"), ("zypper", "zypper install"),
                      ("pacman", "pacman -S"), ("apk", "apk add")):
        if shutil.which(tool):
            return f"{cmd} {package}"
    return f"install the '{package}' package with your distribution's package manager"
