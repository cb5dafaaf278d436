"""Linux facts: /proc, /etc/os-release, the distribution's package manager."""

from __future__ import annotations

import platform
import shutil

from toolkit._platform._posix import (
    fsync_dir,
    inode_usage,
    is_admin,
    kill_group,
    own_group_popen_kwargs,
    owned_by_me,
    timezone_name,
    unsafe_owner,
    user_data_dir,
)
from toolkit._platform._posix import protect_process as _posix_protect

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


# --- ICMP access and probe commands (network.ping, network.traceroute) ---

# Linux hands an unprivileged ICMP datagram socket the ICMP message without
# the IP header (macOS keeps it); see ip-sysctl "ping_group_range".
ICMP_DGRAM_IP_HEADER = False


def ping_group_range() -> tuple[int, int] | None:
    """The group ids allowed to open ICMP datagram sockets in this network namespace."""
    try:
        with open("/proc/sys/net/ipv4/ping_group_range", encoding="ascii") as fh:
            low, high = fh.read().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def raw_socket_fix() -> str:
    import sys

    return ("run as root, or let this Python open raw sockets: "
            f"sudo setcap cap_net_raw+ep $(readlink -f {sys.executable})")


def icmp_dgram_fix() -> str:
    import os

    current = ping_group_range()
    now = f" (now '{current[0]} {current[1]}')" if current else ""
    return (f"allow your group (gid {os.getgid()}) to send unprivileged pings: "
            f"sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'{now}")


def ping_argv(host: str, *, count: int, interval: float, timeout: float, size: int,
              ipv6: bool = False) -> list[str]:
    # iputils: -W is the per-reply wait in seconds; -n keeps names out of the output.
    return ["ping", "-6" if ipv6 else "-4", "-n", "-c", str(count), "-i", f"{interval:g}",
            "-W", f"{max(timeout, 1.0):g}", "-s", str(size), host]


def traceroute_argv(host: str, *, mode: str, queries: int, max_hops: int, timeout: float,
                    ipv6: bool = False) -> list[str]:
    flag = {"udp": "-U", "icmp": "-I", "tcp": "-T"}[mode]
    return ["traceroute", "-6" if ipv6 else "-4", "-n", flag, "-q", str(queries),
            "-m", str(max_hops), "-w", f"{timeout:g}", host]


__all__ += ["ICMP_DGRAM_IP_HEADER", "icmp_dgram_fix", "ping_argv", "ping_group_range",
            "raw_socket_fix", "traceroute_argv"]


# --- disks and the kernel's record of their errors (disk.health) ---

# journald keeps the kernel log across reboots where dmesg may be restricted;
# containers and minimal systems often have only dmesg.
KERNEL_LOG_COMMANDS = (
    ["journalctl", "-k", "-b", "0", "--no-pager", "-q", "-o", "short-iso"],
    ["dmesg", "-T"],
    ["dmesg"],
)

def block_disks() -> list[dict[str, object]]:
    """Whole disks the kernel knows: ``{name, aliases, hint}`` (no loop, RAM, dm or md)."""
    import os
    import re

    try:
        names = sorted(os.listdir("/sys/block"))
    except OSError:
        return []
    disks: list[dict[str, object]] = []
    for name in names:
        path = os.path.realpath(f"/sys/block/{name}")
        if "/virtual/" in path or name.startswith(("sr", "fd")):
            continue
        hint = None
        if "/virtio" in path or name.startswith(("vd", "xvd")):
            hint = ("virtual disk (virtio/Xen): the hypervisor hides SMART — check the "
                    "host's physical disks")
        disks.append({"name": f"/dev/{name}", "aliases": re.findall(r"/(ata\d+)/", path),
                      "hint": hint})
    return disks


__all__ += ["KERNEL_LOG_COMMANDS", "block_disks"]


# --- accounts (account.identity, account.auth_failures) ---
# Membership of one of these groups is what grants administrator rights here.
ADMIN_GROUPS = ("sudo", "wheel", "admin")
# Where syslog writes authentication messages when journald does not keep them.
AUTH_LOG_FILES = ("/var/log/auth.log", "/var/log/secure")

__all__ += ["ADMIN_GROUPS", "AUTH_LOG_FILES"]


# --- network configuration (network.routes, network.dns) ---
# (format, argv) of each routing-table dump; iproute2 has printed JSON (-j) since 4.14.
ROUTE_COMMANDS = (
    ("ip-json", ["ip", "-j", "-4", "route", "show"]),
    ("ip-json", ["ip", "-j", "-6", "route", "show"]),
)
ROUTE_PACKAGE = "iproute2"
# Where the resolvers are configured. With systemd-resolved, resolv.conf names
# only its local stub (127.0.0.53); the servers it forwards to are in the
# second file (see systemd-resolved.service(8), "/etc/resolv.conf").
RESOLVER_FILES = ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")
RESOLVER_COMMAND: list[str] | None = None

__all__ += ["RESOLVER_COMMAND", "RESOLVER_FILES", "ROUTE_COMMANDS", "ROUTE_PACKAGE"]


# --- anonymization (toolkit.redact.anonymize): shared POSIX facts ---
from toolkit._platform._posix import host_names, people  # noqa: E402

__all__ += ["host_names", "people"]


# --- logs (logs.journal) ---
# Fields kept from each journal entry: enough to read and count it, without
# the environment-like trusted fields (_CMDLINE, _SYSTEMD_CGROUP…) that add
# bulk and personal data. Coredump fields name the crashed program.
JOURNAL_FIELDS = ("MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "_SYSTEMD_UNIT", "_PID", "_COMM",
                  "_EXE", "_HOSTNAME", "MESSAGE_ID", "COREDUMP_EXE", "COREDUMP_PID",
                  "COREDUMP_SIGNAL_NAME", "COREDUMP_UNIT")


def journal_argv(match: dict[str, list[str] | str | None], *, since: float | None,
                 until: float | None, count: int) -> list[str]:
    """journalctl reading JSON, newest first (with --since, ``-n`` alone would
    keep the *oldest* entries). ``match``: units, identifiers, priority, file."""
    import math

    argv = ["journalctl", "--no-pager", "-q", "-o", "json", "--reverse", "-n", str(count),
            "--output-fields=" + ",".join(JOURNAL_FIELDS)]
    if match.get("file"):
        argv += ["--file", str(match["file"])]
    if since is not None:
        argv += ["--since", f"@{math.floor(since)}"]
    if until is not None:
        argv += ["--until", f"@{math.ceil(until)}"]
    for unit in match.get("units") or []:
        argv += ["-u", unit]
    for ident in match.get("identifiers") or []:
        argv += ["-t", ident]
    if match.get("priority"):
        argv += ["-p", str(match["priority"])]
    return argv


__all__ += ["JOURNAL_FIELDS", "journal_argv"]


# --- services, crash evidence, package history, disk I/O (system.services, crash.dumps,
#     system.updates, disk.io) ---

from datetime import datetime  # noqa: E402


def systemd_booted() -> bool:
    """systemd is the running init: the test sd_booted(3) documents."""
    import os

    return os.path.isdir("/run/systemd/system")


def init_process_name() -> str | None:
    try:
        with open("/proc/1/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


# kdump (vmcore, Debian's dump.*), Ubuntu apport (*.crash), and panic records
# the firmware kept (pstore; systemd-pstore moves them to /var/lib).
CRASH_PLACES = ("/var/crash", "/sys/fs/pstore", "/var/lib/systemd/pstore")


def crash_log_commands(since: datetime) -> list[tuple[str, list[list[str]]]]:
    """(kind of evidence, commands to try in order) for crash.dumps since ``since``."""
    # journalctl/coredumpctl read a zone-less --since as local time.
    stamp = since.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return [
        ("coredumps", [["coredumpctl", "list", "--json=short", "--no-pager", "--since", stamp],
                       ["coredumpctl", "list", "--no-pager", "--since", stamp]]),
        # journalctl --since spans earlier boots when the journal is persistent (where a
        # crash before a reboot is); dmesg holds only the current boot.
        ("kernel-log", [["journalctl", "-k", "--since", stamp, "--no-pager", "-q",
                         "-o", "short-iso"], *[list(c) for c in KERNEL_LOG_COMMANDS[1:]]]),
    ]


# dpkg.log: every package change; apt history: who ran apt, how, and errors.
PACKAGE_LOGS = (("dpkg", "/var/log/dpkg.log.1"), ("dpkg", "/var/log/dpkg.log"),
                ("apt-history", "/var/log/apt/history.log.1"),
                ("apt-history", "/var/log/apt/history.log"))

# /proc/diskstats lists partitions beside their disk, and loop, RAM, optical and
# device-mapper devices whose I/O is also counted on a real disk.
IO_SKIP_DEVICES = (r"^(loop\d+|ram\d+|zram\d+|sr\d+|fd\d+|dm-\d+|md\d+"
                   r"|(?:sd|vd|xvd|hd)[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+)$")

__all__ += ["CRASH_PLACES", "IO_SKIP_DEVICES", "PACKAGE_LOGS", "crash_log_commands",
            "init_process_name", "systemd_booted"]


def journal_present() -> bool:
    """Whether journald keeps any journal file (persistent or volatile). Without
    one, journalctl prints nothing and exits 0 — indistinguishable from "no
    entries" — so the collector asks first."""
    import glob

    return any(glob.glob(f"{d}/**/*.journal*", recursive=True)
               for d in ("/var/log/journal", "/run/log/journal"))


__all__ += ["journal_present"]


# --- device identity (system.info): vendor and model, as docs/support-process.md step 1 asks ---
_DMI = "/sys/class/dmi/id"


def device_identity() -> dict[str, str | None]:
    """Vendor, model and firmware from DMI; empty where the machine exposes none
    (many VMs and ARM boards), never guessed."""
    def read(name: str) -> str | None:
        try:
            with open(f"{_DMI}/{name}", encoding="utf-8", errors="replace") as fh:
                value = fh.read().strip()
        except OSError:
            return None
        # Vendors fill unused fields with placeholders; they identify nothing.
        return None if value.lower() in ("", "to be filled by o.e.m.", "default string",
                                         "system product name", "none") else value

    return {"vendor": read("sys_vendor"), "model": read("product_name"),
            "version": read("product_version"), "firmware": read("bios_version")}


__all__ += ["device_identity"]


# --- proxy settings (toolkit.proxy: network.http, connectors) ---
# No system setting beyond the environment: GNOME and KDE keep their own, which only
# the applications of those desktops read; urllib.request.getproxies() reads the
# environment alone here, and so does toolkit.proxy.
from toolkit._platform._posix import system_proxy  # noqa: E402

__all__ += ["system_proxy"]


# --- process control (toolkit.run.isolation, toolkit.run.cleanup, toolkit.run._worker) ---
# prctl(2) options, from <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0),
                              ctypes.c_ulong(0), ctypes.c_ulong(0))) == 0
    except (OSError, AttributeError):  # no prctl symbol (an odd libc): the feature is absent
        return False


def protect_process(locked: bool = False) -> None:
    """No core dump, and not dumpable: other processes of the same user can neither
    ptrace it nor read its /proc memory and environment (connector tokens)."""
    _posix_protect(locked)
    _prctl(_PR_SET_DUMPABLE, 0)


def die_with_parent() -> bool:
    """SIGKILL this process when its parent *thread* ends (prctl PR_SET_PDEATHSIG):
    the worker must be started by a thread that outlives it."""
    import signal

    return _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def child_subreaper(on: bool) -> bool:
    """Orphaned descendants (a command that double-forks and setsid()s, the children
    of a command that ended) are re-parented to this process instead of init, so the
    run can find and stop them (prctl PR_SET_CHILD_SUBREAPER)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0)


__all__ += ["child_subreaper", "die_with_parent", "kill_group", "own_group_popen_kwargs",
            "owned_by_me", "protect_process"]
