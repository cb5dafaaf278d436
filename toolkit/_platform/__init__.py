"""Platform facts, chosen once at import (the psutil way), behind one contract.

This module names every attribute a platform back-end (``_linux``, ``_darwin``,
``_windows``; ``_posix`` holds what the POSIX ones share) provides, with its type.
Collectors and the runner never test ``sys.platform``; they use what is named here.
A feature a platform lacks is ``None`` — decided here, once — never faked: callers
test ``if _platform.journal_argv is None``. ``tests/test_platform_contract.py``
pins which platform provides what, reading the Windows and macOS back-ends' own
declarations too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit._platform._records import SystemProxy

if sys.platform.startswith("linux"):
    from toolkit._platform import _linux as _impl
elif sys.platform == "darwin":
    from toolkit._platform import _darwin as _impl
elif sys.platform == "win32":
    from toolkit._platform import _windows as _impl
else:  # other POSIX systems (the BSDs): only the shared POSIX layer, the rest absent
    from toolkit._platform import _posix as _impl

NAME: str = getattr(_impl, "NAME", sys.platform)

# --- every platform ------------------------------------------------------------------
# Who and where
is_admin: Callable[[], bool] = _impl.is_admin
user_data_dir: Callable[[], Path] = _impl.user_data_dir
timezone_name: Callable[[], str | None] = _impl.timezone_name
host_names: Callable[[], tuple[str, ...]] = _impl.host_names
people: Callable[[], tuple[str, ...]] = _impl.people
install_hint: Callable[[str], str] = _impl.install_hint
unsafe_owner: Callable[[Path], str | None] = _impl.unsafe_owner
fsync_dir: Callable[[Path], None] = _impl.fsync_dir
os_release: Callable[[], dict[str, str]] = _impl.os_release
cpu_model: Callable[[], str | None] = _impl.cpu_model
device_identity: Callable[[], dict[str, str | None]] = _impl.device_identity
system_proxy: Callable[[], SystemProxy | None] = _impl.system_proxy
# Disks and filesystems
PSEUDO_FSTYPES: frozenset[str] = _impl.PSEUDO_FSTYPES
inode_usage: Callable[[str], dict[str, int | float] | None] = _impl.inode_usage
IO_SKIP_DEVICES: str = _impl.IO_SKIP_DEVICES
# Network
ICMP_DGRAM_IP_HEADER: bool = _impl.ICMP_DGRAM_IP_HEADER
icmp_dgram_fix: Callable[[], str] = _impl.icmp_dgram_fix
raw_socket_fix: Callable[[], str] = _impl.raw_socket_fix
ping_argv: Callable[..., list[str]] = _impl.ping_argv
traceroute_argv: Callable[..., list[str]] = _impl.traceroute_argv
RESOLVER_COMMAND: list[str] | None = _impl.RESOLVER_COMMAND
RESOLVER_FILES: tuple[str, ...] = _impl.RESOLVER_FILES
ROUTE_COMMANDS: tuple[tuple[str, list[str]], ...] = _impl.ROUTE_COMMANDS  # (format, argv)
ROUTE_PACKAGE: str = _impl.ROUTE_PACKAGE
# Accounts and logs
ADMIN_GROUPS: tuple[str, ...] = _impl.ADMIN_GROUPS
AUTH_LOG_FILES: tuple[str, ...] = _impl.AUTH_LOG_FILES
CRASH_PLACES: tuple[str, ...] = _impl.CRASH_PLACES
PACKAGE_LOGS: tuple[tuple[str, str], ...] = _impl.PACKAGE_LOGS  # (format, path)
crash_log_commands: Callable[[datetime], list[tuple[str, list[list[str]]]]] = \
    _impl.crash_log_commands
# Processes (toolkit.run: isolation and clean-up)
protect_process: Callable[..., None] = _impl.protect_process
die_with_parent: Callable[[], bool] = _impl.die_with_parent
child_subreaper: Callable[[bool], bool] = _impl.child_subreaper
own_group_popen_kwargs: Callable[[], dict[str, Any]] = _impl.own_group_popen_kwargs
kill_group: Callable[[int], None] = _impl.kill_group
owned_by_me: Callable[[Any], bool] = _impl.owned_by_me

# --- where the platform has it; None elsewhere ----------------------------------------
# Linux: systemd, its journal, the kernel's disks and ICMP socket permission.
systemd_booted: Callable[[], bool] | None = getattr(_impl, "systemd_booted", None)
init_process_name: Callable[[], str | None] | None = getattr(_impl, "init_process_name", None)
journal_argv: Callable[..., list[str]] | None = getattr(_impl, "journal_argv", None)
journal_present: Callable[[], bool] | None = getattr(_impl, "journal_present", None)
JOURNAL_FIELDS: tuple[str, ...] | None = getattr(_impl, "JOURNAL_FIELDS", None)
KERNEL_LOG_COMMANDS: tuple[tuple[str, ...], ...] | None = getattr(
    _impl, "KERNEL_LOG_COMMANDS", None)
block_disks: Callable[[], list[dict[str, Any]]] | None = getattr(_impl, "block_disks", None)
ping_group_range: Callable[[], tuple[int, int] | None] | None = getattr(
    _impl, "ping_group_range", None)
# Windows: the event log.
eventlog_argv: Callable[..., list[str]] | None = getattr(_impl, "eventlog_argv", None)
# macOS: the unified log.
unified_log_argv: Callable[..., list[str]] | None = getattr(_impl, "unified_log_argv", None)

REQUIRED = ("NAME", "is_admin", "user_data_dir", "timezone_name", "host_names", "people",
            "install_hint", "unsafe_owner", "fsync_dir", "os_release", "cpu_model",
            "device_identity", "system_proxy", "PSEUDO_FSTYPES", "inode_usage", "IO_SKIP_DEVICES",
            "ICMP_DGRAM_IP_HEADER", "icmp_dgram_fix", "raw_socket_fix", "ping_argv",
            "traceroute_argv", "RESOLVER_COMMAND", "RESOLVER_FILES", "ROUTE_COMMANDS",
            "ROUTE_PACKAGE", "ADMIN_GROUPS", "AUTH_LOG_FILES", "CRASH_PLACES", "PACKAGE_LOGS",
            "crash_log_commands", "protect_process", "die_with_parent", "child_subreaper",
            "own_group_popen_kwargs", "kill_group", "owned_by_me")
OPTIONAL = ("systemd_booted", "init_process_name", "journal_argv", "journal_present",
            "JOURNAL_FIELDS", "KERNEL_LOG_COMMANDS", "block_disks", "ping_group_range",
            "eventlog_argv", "unified_log_argv")
__all__ = [*REQUIRED, *OPTIONAL]
