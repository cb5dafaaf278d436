"""account.access — can a user read, write or enter a given path, and if not, why?

Without ``user`` (or with the name of whoever runs it) the kernel is asked
(``access(2)``). With ``user=NAME`` — support usually runs as root, and root
may open everything — the answer for NAME is **computed** the way the kernel
decides it: the owner's, the group's or the others' permission bits (the
first class NAME belongs to: owner by uid, group by primary group or
membership from ``getgrouplist``), a POSIX ACL read with ``getfacl`` where it
is installed (named user and group entries limited by the mask), search
permission on every folder on the way, and root passing every read and write
check. Capabilities, SELinux/AppArmor labels and read-only mounts are not
modelled; the reason says which rule decided.

Output::

    {
      "path": "/srv/share/report.xlsx", "exists": true,
      "type": "file" | "directory" | "link" | "other" | null,
      "owner": "bob", "group": "finance", "mode": "0640",
      "user": "alice",                     # whose access was checked
      "groups": ["alice", "finance"],      # that user's groups
      "computed": true,                    # from modes/ACL, not asked of the kernel
      "me": {"read": false, "write": false, "execute": false},   # that user's access
      "blocked_at": "/srv/share" | null,   # the first folder on the way I may not enter
      "acl": ["user::rw-", "group:finance:r--", …] | null,   # from getfacl where present
      "verdict": "ok" | "no_access" | "missing" | "blocked",
      "reason": "…a sentence a person can act on…"
    }
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, text
from toolkit.schema import BOOL, STR, arr, enum, nullable, obj

OUTPUT = obj(
    path=STR, exists=BOOL, type=nullable(enum("file", "directory", "link", "other")),
    owner=nullable(STR), group=nullable(STR), mode=nullable(STR),
    user=nullable(STR), groups=arr(STR), computed=BOOL,
    me=obj(read=BOOL, write=BOOL, execute=BOOL), blocked_at=nullable(STR),
    acl=nullable(arr(STR)), verdict=enum("ok", "no_access", "missing", "blocked"), reason=STR,
)


def _owner(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


@dataclass(frozen=True)
class Who:
    """A user as the kernel sees them for permission checks."""

    name: str
    uid: int
    gids: frozenset[int]


def who(name: str) -> Who:
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise Failed(f"no user {name!r} on this machine — give a login name "
                     "(getent passwd NAME)") from None
    return Who(name, entry.pw_uid, frozenset(os.getgrouplist(name, entry.pw_gid)))


def _bits(perm: str) -> int:
    return sum(b for ch, b in zip(perm[:3], (4, 2, 1), strict=False) if ch not in "-")


def may(user: Who, st: os.stat_result, acl: list[str] | None) -> tuple[int, str]:
    """Pure: the rwx bits (4/2/1) *user* gets on a file with this stat and ACL, and
    which rule gave them (POSIX.1e: owner, named user, groups ∧ mask, other)."""
    mode = stat.S_IMODE(st.st_mode)
    if user.uid == 0:
        x = 1 if stat.S_ISDIR(st.st_mode) or mode & 0o111 else 0
        return 6 | x, "root passes every read and write check"
    entries = {}
    for line in acl or []:
        parts = line.split("#")[0].strip().split(":")
        if len(parts) >= 3 and parts[0] in ("user", "group", "mask", "other"):
            entries[(parts[0], parts[1])] = _bits(parts[2])
    mask = entries.get(("mask", ""), 7)
    if user.uid == st.st_uid:
        return (mode >> 6) & 7, f"{user.name} owns it: the owner's bits"
    import grp
    import pwd

    for (kind, name), bits in entries.items():
        if kind == "user" and name:
            try:
                if pwd.getpwnam(name).pw_uid == user.uid:
                    return bits & mask, f"the ACL entry user:{name} (mask applied)"
            except KeyError:
                continue
    groups: list[tuple[int, str]] = []
    if st.st_gid in user.gids:
        groups.append(((mode >> 3) & 7 if not entries else entries.get(("group", ""), 0),
                       "the owning group"))
    for (kind, name), bits in entries.items():
        if kind == "group" and name:
            try:
                if grp.getgrnam(name).gr_gid in user.gids:
                    groups.append((bits, f"the ACL entry group:{name}"))
            except KeyError:
                continue
    if groups:
        best = max(groups, key=lambda g: g[0])
        return (best[0] & mask if entries else best[0]), \
            f"{user.name} is in {best[1]}: the group's bits"
    return mode & 7, (f"{user.name} is neither the owner nor in group "
                      f"{_group(st.st_gid)}: the bits for others")


def blocked_at(path: Path, user: Who | None = None) -> str | None:
    """The first ancestor folder the user may not enter (search permission)."""
    for parent in reversed(path.parents):
        if not parent.is_dir():
            continue
        if user is None:
            if not os.access(parent, os.X_OK):
                return str(parent)
        elif not may(user, parent.stat(), None)[0] & 1:
            return str(parent)
    return None


def plan(params: dict[str, Any]) -> Plan:
    path = text(params.get("path"), "PATH")
    return Plan(commands=[["getfacl", "--omit-header", "--absolute-names", path]], files=[path],
                notes=["the path and each folder on the way to it are looked at (stat, "
                       "access); getfacl where it is installed"])


def _acl(ctx: Context, path: Path) -> list[str] | None:
    acl = ctx.run(["getfacl", "--omit-header", "--absolute-names", str(path)], timeout=10)
    return [ln for ln in acl.text.splitlines() if ln.strip()] if acl.ok else None


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("path")
    if not raw:
        raise Failed("no path given — pass the file or folder that cannot be opened as path=")
    path = Path(os.path.expanduser(raw)).absolute()
    name = str(params.get("user") or "").strip()
    import pwd

    runner = pwd.getpwuid(os.geteuid()).pw_name if hasattr(os, "geteuid") else None
    user = who(name) if name and name != runner else None
    subject = user.name if user else (runner or "you")
    gids = user.gids if user else frozenset(os.getgroups())
    result: dict[str, Any] = {"path": str(path), "exists": False, "type": None, "owner": None,
                              "group": None, "mode": None, "user": subject,
                              "groups": sorted(_group(g) for g in gids),
                              "computed": user is not None,
                              "me": {"read": False, "write": False, "execute": False},
                              "blocked_at": blocked_at(path, user), "acl": None}
    try:
        st = path.lstat()
    except PermissionError:
        result.update(verdict="blocked", reason=f"cannot look inside {result['blocked_at']}: "
                                                f"{subject} has no permission to enter that "
                                                "folder")
        return result
    except FileNotFoundError:
        result.update(verdict="missing", reason=f"{path} does not exist (check the name, or "
                                                "whether the share or drive is mounted)")
        return result
    kind = ("link" if stat.S_ISLNK(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode)
            else "file" if stat.S_ISREG(st.st_mode) else "other")
    result.update(exists=True, type=kind, owner=_owner(st.st_uid), group=_group(st.st_gid),
                  mode=f"{stat.S_IMODE(st.st_mode):04o}", acl=_acl(ctx, path))
    rule = ""
    if user is None:
        result["me"] = {"read": os.access(path, os.R_OK), "write": os.access(path, os.W_OK),
                        "execute": os.access(path, os.X_OK)}
    else:
        bits, rule = may(user, path.stat(), result["acl"])
        result["me"] = {"read": bool(bits & 4), "write": bool(bits & 2),
                        "execute": bool(bits & 1)}
    want = params.get("need", "read")
    where = (f"owner {result['owner']}, group {result['group']}, mode {result['mode']}"
             + (", with an ACL" if result["acl"] and len(result["acl"]) > 3 else ""))
    blocked = result["blocked_at"]
    if blocked and user is not None:
        result.update(verdict="blocked",
                      reason=f"{subject} may not enter {blocked} (on the way to {path}): "
                             f"ask its owner or an administrator for search (x) permission "
                             f"on it, or to add {subject} to a group that has it")
    elif result["me"].get(want if want != "enter" else "execute"):
        result.update(verdict="ok", reason=f"{subject} may {want} {path}"
                                           + (f" ({rule})" if rule else ""))
    else:
        result.update(verdict="no_access",
                      reason=f"{subject} may not {want} {path} ({where}"
                             + (f"; {rule}" if rule else "") + "): ask the owner or an "
                             f"administrator for access, or to add {subject} to the group")
    return result


COLLECTOR = Collector(
    name="account.access",
    output=OUTPUT,
    summary="Whether a user (default: the current one) may read, write or enter a path, "
            "and why not",
    gather=gather,
    platforms=("linux", "darwin"),
    params=(Param("path", "str", None, "the file or folder to check"),
            Param("user", "str", None, "whose access to check (default: whoever runs it)"),
            Param("need", "str", "read", "the access that is needed",
                  choices=("read", "write", "execute", "enter"))),
    plan=plan,
    doc=__doc__ or "",
)
