"""account.access — can the current user read, write or enter a given path, and if not, why?

Output::

    {
      "path": "/srv/share/report.xlsx", "exists": true,
      "type": "file" | "directory" | "link" | "other" | null,
      "owner": "bob", "group": "finance", "mode": "0640",
      "me": {"read": false, "write": false, "execute": false},
      "blocked_at": "/srv/share" | null,   # the first folder on the way I may not enter
      "acl": ["user::rw-", "group:finance:r--", …] | null,   # from getfacl where present
      "verdict": "ok" | "no_access" | "missing" | "blocked",
      "reason": "…a sentence a person can act on…"
    }
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, text
from toolkit.schema import BOOL, STR, arr, enum, nullable, obj

OUTPUT = obj(
    path=STR, exists=BOOL, type=nullable(enum("file", "directory", "link", "other")),
    owner=nullable(STR), group=nullable(STR), mode=nullable(STR),
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


def blocked_at(path: Path) -> str | None:
    """The first ancestor folder the current user may not enter (search permission)."""
    for parent in reversed(path.parents):
        if parent.is_dir() and not os.access(parent, os.X_OK):
            return str(parent)
    return None


def plan(params: dict[str, Any]) -> Plan:
    path = text(params.get("path"), "PATH")
    return Plan(commands=[["getfacl", "--omit-header", "--absolute-names", path]], files=[path],
                notes=["the path and each folder on the way to it are looked at (stat, "
                       "access); getfacl where it is installed"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("path")
    if not raw:
        raise Failed("no path given — pass the file or folder that cannot be opened as path=")
    path = Path(os.path.expanduser(raw)).absolute()
    result: dict[str, Any] = {"path": str(path), "exists": False, "type": None, "owner": None,
                              "group": None, "mode": None,
                              "me": {"read": False, "write": False, "execute": False},
                              "blocked_at": blocked_at(path), "acl": None}
    try:
        st = path.lstat()
    except PermissionError:
        result.update(verdict="blocked", reason=f"cannot look inside {result['blocked_at']}: "
                                                "you have no permission to enter that folder")
        return result
    except FileNotFoundError:
        result.update(verdict="missing", reason=f"{path} does not exist (check the name, or "
                                                "whether the share or drive is mounted)")
        return result
    kind = ("link" if stat.S_ISLNK(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode)
            else "file" if stat.S_ISREG(st.st_mode) else "other")
    me = {"read": os.access(path, os.R_OK), "write": os.access(path, os.W_OK),
          "execute": os.access(path, os.X_OK)}
    result.update(exists=True, type=kind, owner=_owner(st.st_uid), group=_group(st.st_gid),
                  mode=f"{stat.S_IMODE(st.st_mode):04o}", me=me)
    acl = ctx.run(["getfacl", "--omit-header", "--absolute-names", str(path)], timeout=10)
    if acl.ok:
        result["acl"] = [ln for ln in acl.text.splitlines() if ln.strip()]
    want = params.get("need", "read")
    if me.get(want if want != "enter" else "execute"):
        result.update(verdict="ok", reason=f"you may {want} {path}")
    else:
        result.update(verdict="no_access",
                      reason=f"you may not {want} {path} (owner {result['owner']}, group "
                             f"{result['group']}, mode {result['mode']}): ask the owner or an "
                             "administrator for access, or to add you to the group")
    return result


COLLECTOR = Collector(
    name="account.access",
    output=OUTPUT,
    summary="Whether the current user may read, write or enter a path, and why not",
    gather=gather,
    platforms=("linux", "darwin"),
    params=(Param("path", "str", None, "the file or folder to check"),
            Param("need", "str", "read", "the access that is needed",
                  choices=("read", "write", "execute", "enter"))),
    plan=plan,
    doc=__doc__ or "",
)
