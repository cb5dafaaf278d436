"""account.auth_failures — recent failed logins, sudo and su attempts, and lockouts.

Reads journald's auth and authpriv facilities (``journalctl``), else the
syslog file (``/var/log/auth.log``, ``/var/log/secure``: its last
``max_bytes``), or with ``source=FILE`` a saved auth log. One failed SSH login
appears in the log twice (sshd's "Failed password" and PAM's "authentication
failure"): it is counted once; PAM's "N more authentication failures"
summaries repeat earlier lines and are not counted again.

Output::

    {
      "source": "journal" | "/var/log/auth.log" | "<saved file>",
      "window": "last 24 h" | "last 8388608 bytes of the file",
      "user": "alice",                          # whose failures "for_user" counts
      "failures": 533, "for_user": 3, "lockouts": 0,
      "by_service": {"sshd": 533},
      "by_user": [{"user": "root", "count": 379, "invalid_user": false}, …],   # top 10
      "by_remote": [{"host": "183.62.140.253", "count": 240}, …],             # top 10
      "first": "Dec 10 06:55:48", "last": "Dec 10 11:04:45",
      "recent": [{"time": "…", "service": "sshd", "user": "root",
                  "remote": "…", "text": "…"}, …]        # the last 20, newest last
    }
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from toolkit.collector import Collector, Context, Param, Skipped
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, STR, arr, mapping, nullable, obj
from toolkit.sources import SavedOutput, Source

OUTPUT = obj(
    source=STR, window=STR, user=STR, failures=INT, for_user=INT, lockouts=INT,
    by_service=mapping(INT),  # by the program that logged the failure
    by_user=arr(obj(user=STR, count=INT, invalid_user=BOOL)),
    by_remote=arr(obj(host=STR, count=INT)),
    first=nullable(STR), last=nullable(STR),
    recent=arr(obj(time=STR, service=STR, user=nullable(STR), remote=nullable(STR),
                   text=STR)),
)

_LINE = re.compile(
    r"^(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*)\s+"
    r"(?P<host>\S+)\s+(?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?:\s*(?P<msg>.*)$")
_SSHD_FAILED = re.compile(r"Failed (?P<method>[\w/-]+) for (?P<invalid>invalid user )?"
                          r"(?P<user>\S+) from (?P<remote>\S+)")
_REPEATED = re.compile(r"message repeated (?P<n>\d+) times: \[ ?(?P<msg>.*?)\]?$")
_PAM_FAILURE = re.compile(r"(?<!more )authentication failure;(?P<fields>.*)$")
_SU_FAILED = re.compile(r"FAILED SU \(to (?P<target>\S+)\) (?P<user>\S+)")
_SUDO_FAILED = re.compile(r"^\s*(?P<user>\S+) : (?:(?P<n>\d+) )?incorrect password attempts?")
_KRB_FAILED = re.compile(r"Authentication failed from (?P<remote>\S+)")
_LOCKOUT = re.compile(r"(?i)account (?:temporarily )?locked|consecutive login failures|"
                      r"user \S+ .*locked|tally.*deny")


@dataclass
class Event:
    time: str
    service: str
    pid: str
    user: str | None
    remote: str | None
    count: int
    kind: str  # sshd | pam | su | sudo | kerberos | lockout
    invalid_user: bool
    text: str


def _pam_fields(text: str) -> dict[str, str]:
    return {k: v for k, _, v in (part.partition("=") for part in text.split()) if _}


def parse_line(line: str) -> Event | None:
    """Pure: one syslog/journal line → an authentication failure event, or None."""
    m = _LINE.match(line.rstrip("\n"))
    if not m:
        return None
    msg, service, pid = m["msg"], m["prog"].split("(")[0], m["pid"] or ""
    count = 1
    rep = _REPEATED.match(msg)
    if rep:
        msg, count = rep["msg"], int(rep["n"])

    def event(kind: str, user: str | None, remote: str | None = None, n: int = count,
              invalid: bool = False) -> Event:
        return Event(m["time"], service, pid, user or None, remote or None, n, kind, invalid,
                     msg.strip()[:300])

    if (f := _SSHD_FAILED.search(msg)) is not None:
        return event("sshd", f["user"], f["remote"], invalid=bool(f["invalid"]))
    if (f := _PAM_FAILURE.search(msg)) is not None:
        fields = _pam_fields(f["fields"])
        return event("pam", fields.get("user"), fields.get("rhost"))
    if (f := _SU_FAILED.search(msg)) is not None:
        return event("su", f["user"])
    if (f := _SUDO_FAILED.search(msg)) is not None:
        return event("sudo", f["user"], n=int(f["n"] or 1))
    if (f := _KRB_FAILED.search(msg)) is not None:
        return event("kerberos", None, f["remote"])
    if _LOCKOUT.search(msg):
        user = re.search(r"user[= ](\S+)", msg)
        return event("lockout", user.group(1) if user else None)
    return None


def summarise(lines: Iterable[str], user: str) -> dict[str, Any]:
    """Pure: log lines → the result (without ``source``/``window``)."""
    events = [e for e in map(parse_line, lines) if e is not None]
    # sshd logs its own "Failed …" line for each PAM failure: count that one only.
    sshd_pids = {e.pid for e in events if e.kind == "sshd"}
    counted = [e for e in events if e.kind != "lockout"
               and not (e.kind == "pam" and e.service == "sshd" and e.pid in sshd_pids)]
    by_user: Counter[str] = Counter()
    invalid: set[str] = set()
    by_remote: Counter[str] = Counter()
    by_service: Counter[str] = Counter()
    for e in counted:
        by_service[e.service] += e.count
        if e.user:
            by_user[e.user] += e.count
            if e.invalid_user:
                invalid.add(e.user)
        if e.remote:
            by_remote[e.remote] += e.count
    return {
        "user": user,
        "failures": sum(e.count for e in counted),
        "for_user": by_user.get(user, 0),
        "lockouts": sum(1 for e in events if e.kind == "lockout"),
        "by_service": dict(by_service.most_common()),
        "by_user": [{"user": u, "count": n, "invalid_user": u in invalid}
                    for u, n in by_user.most_common(10)],
        "by_remote": [{"host": h, "count": n} for h, n in by_remote.most_common(10)],
        "first": counted[0].time if counted else None,
        "last": counted[-1].time if counted else None,
        "recent": [{"time": e.time, "service": e.service, "user": e.user, "remote": e.remote,
                    "text": e.text} for e in (counted + [e for e in events
                                                         if e.kind == "lockout"])[-20:]],
    }


def _tail(path: str, max_bytes: int) -> list[str]:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - max_bytes))
        data = fh.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if size > max_bytes else lines  # the first line is cut


def _user(params: Mapping[str, Any]) -> str:
    import getpass

    return str(params.get("user") or getpass.getuser())


def _journal_argv(hours: Any) -> list[str]:
    return ["journalctl", "--no-pager", "-q", "-o", "short-iso", f"--since=-{hours}h",
            "SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10"]  # auth and authpriv


def from_auth_log(saved: SavedOutput) -> dict[str, Any]:
    """A saved auth log, judged for ``user`` (default: whoever runs this)."""
    return {"source": saved.path, "window": "the whole file",
            **summarise(saved.text.splitlines(), _user(saved.params))}


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    return Plan(commands=[_journal_argv(params.get("hours"))],
                files=list(_platform.AUTH_LOG_FILES),
                notes=["the files only when the journal has no auth entries: the last "
                       "max_bytes of the first that exists"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    import os

    from toolkit import _platform

    user = _user(params)
    hours = params["hours"]
    got = ctx.run(_journal_argv(hours), timeout=30, env={"LC_ALL": "C"})
    if got.ok and got.stdout.strip():
        ctx.save("journal-auth.txt", got.stdout)
        return {"source": "journal", "window": f"last {hours:g} h",
                **summarise(got.text.splitlines(), user)}
    tried = []
    for path in _platform.AUTH_LOG_FILES:
        if not os.path.exists(path):
            continue
        try:
            lines = _tail(path, params["max_bytes"])
        except PermissionError:
            tried.append(path)
            continue
        ctx.save(os.path.basename(path) + ".tail", "\n".join(lines) + "\n")
        return {"source": path, "window": f"last {params['max_bytes']} bytes of the file",
                **summarise(lines, user)}
    if tried:
        raise Skipped(f"cannot read {', '.join(tried)}: permission denied — run as root or "
                      "from an account in the 'adm' group")
    if got.record.returncode == 127:
        where = "journalctl is not installed"
    else:
        where = "journald returned no auth entries"
    files = ", ".join(_platform.AUTH_LOG_FILES) or "no auth log files on this OS"
    raise Skipped(f"no authentication log to read here: {where} and none of {files} exists")


COLLECTOR = Collector(
    name="account.auth_failures",
    output=OUTPUT,
    summary="Failed logins, sudo and su attempts and account lockouts from the auth log",
    gather=gather,
    platforms=("linux", "darwin"),
    params=(Param("hours", "float", 24.0, "how far back to look in the journal", min=0.1),
            Param("user", "str", None, "whose failures 'for_user' counts (default: me)"),
            Param("max_bytes", "int", 8 * 1024 * 1024, "how much of an auth log file to read",
                  min=1),
            Param("source", "str", None, "analyse a saved auth log instead")),
    sources=(Source("auth-log", from_auth_log, "a saved syslog auth log (auth.log, secure)"),),
    plan=plan,
    doc=__doc__ or "",
)


