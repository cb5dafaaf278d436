"""account.identity — who am I here, what may I do, and is my password still valid?

Output::

    {
      "user": "alice", "uid": 1000, "gid": 1000,
      "home": "/home/alice" | null, "shell": "/bin/bash" | null,   # null: no passwd entry
      "groups": [{"name": "alice", "gid": 1000}, {"name": "sudo", "gid": 27}],
      "is_admin": false,                 # running with administrator rights right now
      "admin_groups": ["sudo"],          # groups that grant administrator rights here
      "sudo": {"state": "passwordless" | "needs_password" | "denied" | "not_installed"
                        | "root" | "unknown",
               "detail": "…"},
      "password": {"last_change": "2026-05-20" | null, "must_change": false,
                   "expires": "2026-08-18" | null, "days_left": 42 | null,
                   "expired": false, "inactive": null, "account_expires": null,
                   "account_expired": false, "max_days": 90 | null,
                   "warn_days": 7 | null} | null      # null where chage is absent
    }

Dates come from ``chage -l`` run with ``LC_ALL=C`` (its date format is
``Mon DD, YYYY``). ``days_left`` counts from the collection day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from toolkit.collector import Collector, Context, Needs
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, STR, arr, enum, nullable, obj

OUTPUT = obj(
    user=STR, uid=INT, gid=INT, home=nullable(STR), shell=nullable(STR),
    groups=arr(obj(name=STR, gid=INT)), is_admin=BOOL, admin_groups=arr(STR),
    sudo=obj(state=enum("passwordless", "needs_password", "denied", "not_installed", "root",
                        "unknown"), detail=STR),
    password=nullable(obj(
        last_change=nullable(STR), must_change=BOOL, expires=nullable(STR),
        days_left=nullable(INT), expired=BOOL, inactive=nullable(STR),
        account_expires=nullable(STR), account_expired=BOOL, max_days=nullable(INT),
        warn_days=nullable(INT))),
)

_NEVER = ("never", "")


def _chage_date(value: str) -> date | None:
    value = value.strip()
    if value.lower() in _NEVER or value.startswith("password must be changed"):
        return None
    return datetime.strptime(value, "%b %d, %Y").date()


def parse_chage(text: str, today: date) -> dict[str, Any]:
    """Pure: ``LC_ALL=C chage -l USER`` output → the ``password`` object."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[" ".join(key.split()).lower()] = value.strip()
    if "password expires" not in fields:
        raise ValueError("not chage -l output: no 'Password expires' line")
    last = fields.get("last password change", "")
    expires = _chage_date(fields["password expires"])
    account = _chage_date(fields.get("account expires", "never"))
    inactive = _chage_date(fields.get("password inactive", "never"))

    def number(key: str) -> int | None:
        raw = fields.get(key, "")
        return int(raw) if raw.lstrip("-").isdigit() else None

    max_days = number("maximum number of days between password change")
    return {
        "last_change": _iso(_chage_date(last)),
        "must_change": last.startswith("password must be changed"),
        "expires": _iso(expires),
        "days_left": (expires - today).days if expires else None,
        "expired": bool(expires and expires < today),
        "inactive": _iso(inactive),
        "account_expires": _iso(account),
        "account_expired": bool(account and account < today),
        "max_days": None if max_days in (None, 99999, -1) else max_days,
        "warn_days": number("number of days of warning before password expires"),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def classify_sudo(returncode: int | None, stderr: str) -> tuple[str, str]:
    """Pure: the result of ``sudo -n true`` → (state, detail)."""
    text = " ".join(stderr.split())
    if returncode == 0:
        return "passwordless", "sudo runs commands without asking for a password"
    if returncode == 127:
        return "not_installed", "sudo is not installed"
    if "password is required" in text:
        return "needs_password", "sudo asks for a password (allowed or not is known only then)"
    if "not in the sudoers" in text or "may not run sudo" in text or "not allowed" in text:
        return "denied", text or "sudo refused"
    return "unknown", text or f"sudo -n true exited {returncode}"


def plan(params: dict[str, Any]) -> Plan:
    return Plan(commands=[["sudo", "-n", "true"], ["chage", "-l", "USER"]],
                notes=["USER: the account supportkit runs as, its groups read from the user "
                       "database; 'sudo -n true' (never a password prompt) only when not root"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    import grp
    import os
    import pwd

    from toolkit import _platform

    uid, gid = os.getuid(), os.getgid()
    try:
        entry = pwd.getpwuid(uid)
        user, home, shell = entry.pw_name, entry.pw_dir, entry.pw_shell
    except KeyError:  # a uid without a passwd entry (containers, broken NSS)
        user, home, shell = str(uid), None, None
    groups = []
    for g in sorted(set(os.getgroups()) | {gid}):
        try:
            groups.append({"name": grp.getgrgid(g).gr_name, "gid": g})
        except KeyError:
            groups.append({"name": str(g), "gid": g})
    names = {g["name"] for g in groups}
    result: dict[str, Any] = {
        "user": user, "uid": uid, "gid": gid, "home": home, "shell": shell, "groups": groups,
        "is_admin": _platform.is_admin(),
        "admin_groups": [g for g in _platform.ADMIN_GROUPS if g in names],
    }
    if uid == 0:
        result["sudo"] = {"state": "root", "detail": "running as root: sudo is not needed"}
    else:
        got = ctx.run(["sudo", "-n", "true"], timeout=10, env={"LC_ALL": "C"})
        state, detail = classify_sudo(got.record.returncode,
                                      got.stderr.decode("utf-8", errors="replace"))
        result["sudo"] = {"state": state, "detail": detail}
    chage = ctx.run(["chage", "-l", user], timeout=10, env={"LC_ALL": "C"},
                    save_as="chage.txt")
    try:
        result["password"] = parse_chage(chage.text, date.today()) if chage.ok else None
    except ValueError:
        result["password"] = None
    return result


COLLECTOR = Collector(
    name="account.identity",
    output=OUTPUT,
    summary="Current user, groups, administrator and sudo rights, password and account expiry",
    gather=gather,
    platforms=("linux", "darwin"),
    needs=Needs(commands=("sudo", "chage")),
    plan=plan,
    doc=__doc__ or "",
)
