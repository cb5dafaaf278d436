"""What Linux, macOS and the BSDs share."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from toolkit._platform._records import SystemProxy


def user_data_dir() -> Path:
    """Where an application keeps its data for this user (XDG base directories)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (the folder's entry is on disk)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_admin() -> bool:
    return os.geteuid() == 0


def inode_usage(mountpoint: str) -> dict[str, int | float] | None:
    """Inode totals of a mounted filesystem, or None where it has no inode table."""
    try:
        st = os.statvfs(mountpoint)
    except OSError:
        return None
    if st.f_files == 0:  # btrfs, some network and FUSE filesystems report none
        return None
    used = st.f_files - st.f_ffree
    return {
        "inodes_total": st.f_files,
        "inodes_used": used,
        "inodes_free": st.f_favail,
        "inodes_percent": round(100.0 * used / st.f_files, 1),
    }


def timezone_name() -> str | None:
    tz = os.environ.get("TZ")
    if tz:
        return tz.lstrip(":")
    # /etc/localtime links into the zone database (through more links on some systems).
    try:
        target = str(Path("/etc/localtime").resolve(strict=True))
    except OSError:
        return time.tzname[0] or None
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else time.tzname[0] or None


def unsafe_owner(path: Path) -> str | None:
    """Why others could have written ``path`` (a file this process is about to trust),
    or None. Safe: the file, its folder and, for a symbolic link, the link's folder are
    owned by root or the invoking user (``sudo``'s ``SUDO_UID`` too) and writable by
    nobody else."""
    import stat

    mine = {0, os.geteuid()}
    sudo = os.environ.get("SUDO_UID", "")
    if os.geteuid() == 0 and sudo.isdigit():
        mine.add(int(sudo))
    real = path.resolve()
    places = [real, real.parent] + ([path.absolute().parent] if path.is_symlink() else [])
    for place in places:
        try:
            st = place.stat()
        except OSError as exc:
            return f"cannot check {place}: {exc.strerror or exc}"
        what = "folder" if stat.S_ISDIR(st.st_mode) else "file"
        if st.st_uid not in mine:
            try:
                import pwd

                owner = pwd.getpwuid(st.st_uid).pw_name
            except (KeyError, ImportError):
                owner = f"uid {st.st_uid}"
            return f"the {what} {place} belongs to {owner}"
        if st.st_mode & 0o022:
            who = "everyone" if st.st_mode & 0o002 else "its group"
            return f"the {what} {place} can be written by {who}"
    return None


def install_hint(package: str) -> str:
    return f"install the '{package}' package with your system's package manager"


# Whose names and which host names --anonymize hides.
def host_names() -> tuple[str, ...]:
    import socket

    name = socket.gethostname()  # not getfqdn(): that can ask DNS, and we send nothing
    return tuple(sorted({name, name.split(".")[0]} - {"localhost", ""}))


def people() -> tuple[str, ...]:
    """Login names of people: the current user and accounts with uid 1000-59999."""
    import getpass
    import pwd

    found = {p.pw_name for p in pwd.getpwall() if 1000 <= p.pw_uid < 60000}
    try:
        me = getpass.getuser()
    except (KeyError, OSError):
        me = ""
    found.add(me)
    return tuple(sorted(found - {"", "root", "nobody"}))


# Proxy settings (toolkit.proxy): Linux and the BSDs have no system-wide setting that
# Python reads; the environment (https_proxy, no_proxy, …) is the convention there.
def system_proxy() -> SystemProxy | None:
    return None


# --- process control (toolkit.run.isolation, toolkit.run.cleanup, toolkit.run._worker) ---
def protect_process(locked: bool = False) -> None:
    """No core dump of this process: it holds collected data and maybe connector tokens.

    ``locked`` also lowers the hard limit, so that nothing this process starts can
    raise it again (workers); the main process keeps its hard limit."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0 if locked else hard))
    except (OSError, ValueError):  # a sandbox that forbids it: nothing better to do
        pass


def die_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent dies; False where it cannot."""
    return False


def child_subreaper(on: bool) -> bool:
    """Adopt orphaned descendants (daemons) instead of init; False where it cannot."""
    return False


def own_group_popen_kwargs() -> dict[str, Any]:
    """``Popen`` arguments that start a child in its own session and process group:
    the terminal's signals do not reach it, and one ``kill_group`` stops it and
    whatever it started that stayed in the group."""
    return {"start_new_session": True}


def kill_group(pgid: int) -> None:
    import signal

    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def owned_by_me(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid()
