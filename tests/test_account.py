"""account.identity, account.access, account.auth_failures."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from collectors.account_auth import parse_line, summarise
from collectors.account_identity import classify_sudo, parse_chage

FIX = Path(__file__).parent / "fixtures"
AUTH = FIX / "account.auth_failures"


def test_openssh_log_counts_each_failed_login_once() -> None:
    # Counted by hand with grep: 518 "Failed password" + 4 "Failed none" lines, two
    # "message repeated 5 times: [ Failed password …]" lines (10 more), and sshd[25544]
    # whose only trace is one PAM "authentication failure" line: 533. The 507 PAM
    # lines of processes that also logged "Failed …" are the same failures again.
    r = summarise((AUTH / "OpenSSH_2k.log").read_text().splitlines(), "root")
    assert r["failures"] == 533
    assert r["by_service"] == {"sshd": 533}
    # root: 368 direct + 10 repeated + 1 PAM-only = 379.
    assert r["by_user"][0] == {"user": "root", "count": 379, "invalid_user": False}
    # admin: 44 "Failed password for invalid user admin" + 1 "Failed none …".
    assert r["by_user"][1] == {"user": "admin", "count": 45, "invalid_user": True}
    # 183.62.140.253: 286 "Failed … from" lines + sshd[25544]'s PAM line.
    assert r["by_remote"][0] == {"host": "183.62.140.253", "count": 287}
    assert (r["first"], r["last"]) == ("Dec 10 06:55:48", "Dec 10 11:04:45")
    assert r["for_user"] == 379 and r["lockouts"] == 0
    assert len(r["recent"]) == 20


def test_old_style_pam_and_kerberos_failures() -> None:
    # grep: 489 "sshd(pam_unix) … authentication failure", 1 gdm(pam_unix), 23 klogind
    # "Authentication failed from"; 351 of the PAM lines name user=root.
    r = summarise((AUTH / "Linux_2k.log").read_text().splitlines(), "root")
    assert r["by_service"] == {"sshd": 489, "klogind": 23, "gdm": 1}
    assert r["failures"] == 513 and r["for_user"] == 351


@pytest.mark.parametrize(("line", "kind", "user", "count"), [
    ("2026-11-25T10:00:01+0000 pc sudo[812]:    alice : 3 incorrect password attempts ; "
     "TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt", "sudo", "alice", 3),
    ("Nov 25 10:00:01 pc su[90]: FAILED SU (to root) alice on pts/1", "su", "alice", 1),
    ("Nov 25 10:00:01 pc sshd[9]: pam_faillock(sshd:auth): Consecutive login failures for "
     "user alice account temporarily locked", "lockout", "alice", 1),
    ("Nov 25 10:00:01 pc sshd[9]: PAM 5 more authentication failures; logname= uid=0 "
     "euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root", None, None, 0),
    ("Nov 25 10:00:01 pc sshd[9]: Accepted password for alice from 10.0.0.8 port 2 ssh2",
     None, None, 0),
])
def test_line_kinds(line: str, kind: str | None, user: str | None, count: int) -> None:
    # Constructed in the documented formats of sudo, su, pam_faillock and sshd.
    event = parse_line(line)
    if kind is None:
        assert event is None
    else:
        assert event is not None and (event.kind, event.user, event.count) == (kind, user, count)


def test_chage_parse_real_output() -> None:
    text = (FIX / "account.identity" / "debian-12-root.chage.txt").read_text()
    r = parse_chage(text, date(2026, 11, 25))
    assert r["last_change"] == "2025-05-20"
    assert r["expires"] is None and r["days_left"] is None and r["expired"] is False
    assert r["max_days"] is None  # 99999 means "no maximum"
    assert r["warn_days"] == 7


def test_chage_expiring_and_expired() -> None:
    # Constructed in chage's LC_ALL=C format.
    text = ("Last password change\t\t\t\t\t: Sep 01, 2026\n"
            "Password expires\t\t\t\t\t: Nov 30, 2026\n"
            "Password inactive\t\t\t\t\t: never\n"
            "Account expires\t\t\t\t\t\t: Nov 01, 2026\n"
            "Minimum number of days between password change\t\t: 1\n"
            "Maximum number of days between password change\t\t: 90\n"
            "Number of days of warning before password expires\t: 7\n")
    r = parse_chage(text, date(2026, 11, 25))
    assert (r["expires"], r["days_left"], r["expired"]) == ("2026-11-30", 5, False)
    assert r["account_expired"] is True and r["max_days"] == 90
    must = parse_chage(text.replace("Sep 01, 2026", "password must be changed"),
                       date(2026, 11, 25))
    assert must["must_change"] is True and must["last_change"] is None
    with pytest.raises(ValueError):
        parse_chage("chage: user 'x' does not exist in /etc/passwd\n", date(2026, 1, 1))


@pytest.mark.parametrize(("rc", "err", "state"), [
    (0, "", "passwordless"),
    (1, "sudo: a password is required\n", "needs_password"),
    (1, "alice is not in the sudoers file.  This incident will be reported.\n", "denied"),
    (1, "Sorry, user alice may not run sudo on pc.\n", "denied"),
    (127, "", "not_installed"),
])
def test_sudo_states(rc: int, err: str, state: str) -> None:
    assert classify_sudo(rc, err)[0] == state


@pytest.mark.live
def test_live_identity(cli) -> None:
    r = cli("collect", "account.identity", "--json")
    assert r.code == 0, r.err
    result = json.loads(r.out)["result"]
    assert result["uid"] == os.getuid()
    assert result["is_admin"] == (os.getuid() == 0)
    if os.getuid() == 0:
        assert result["sudo"]["state"] == "root"


@pytest.mark.live
def test_live_access(cli, tmp_path: Path) -> None:
    private = tmp_path / "private.txt"
    private.write_text("x")
    r = cli("collect", "account.access", "-p", f"path={private}", "--json")
    result = json.loads(r.out)["result"]
    assert result["verdict"] == "ok" and result["me"]["read"] is True
    r = cli("collect", "account.access", "-p", f"path={tmp_path / 'nope'}", "--json")
    assert json.loads(r.out)["result"]["verdict"] == "missing"
    r = cli("collect", "account.access", "--json")
    assert r.code == 3 and "no path given" in json.loads(r.out)["reason"]


def test_blocked_at_names_the_first_folder_i_may_not_enter(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from collectors import account_access

    locked = tmp_path / "share" / "finance"
    (locked / "2026").mkdir(parents=True)
    real = os.access
    monkeypatch.setattr(account_access.os, "access",
                        lambda p, mode: False if Path(p) == locked and mode == os.X_OK
                        else real(p, mode))
    assert account_access.blocked_at(locked / "2026" / "report.xlsx") == str(locked)
    assert account_access.blocked_at(tmp_path / "share" / "x") is None


def test_saved_auth_log_via_cli(cli) -> None:
    r = cli("collect", "account.auth_failures", "-p", f"source={AUTH / 'OpenSSH_2k.log'}",
            "-p", "user=admin", "--json")
    assert r.code == 0, r.err
    result = json.loads(r.out)["result"]
    assert result["for_user"] == 45 and result["failures"] == 533


def test_account_permission_playbook_on_a_saved_auth_log(cli, tmp_path: Path) -> None:
    r = cli("run", "account-permission", "--non-interactive", "--json", "--out",
            str(tmp_path), "-p", f"auth.source={AUTH / 'OpenSSH_2k.log'}")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [f["id"] for f in doc["findings"]] == ["brute_force", "login_failures"]
    assert "most for root and from 183.62.140.253 (287)" in doc["findings"][0]["finding"]
    assert doc["escalation"]["to"] == "L2-identity"
    access = next(s for s in doc["steps"] if s["id"] == "access")
    assert (access["outcome"], access["reason"]) == ("skipped",
                                                     "condition is false: inputs.path")
    check = next(s for s in doc["steps"] if s["id"] == "access_denied")
    assert check["reason"] == ("no data to check: step 'access' skipped "
                               "(condition is false: inputs.path)")


def test_account_permission_playbook_with_a_missing_path(cli, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"path: {tmp_path / 'Q3 report.xlsx'}\n")
    r = cli("run", "account-permission", "--non-interactive", "--json", "--out",
            str(tmp_path / "o"), "--answers", str(answers), "--skip", "auth")
    doc = json.loads(r.out)
    assert [f["id"] for f in doc["findings"]] == ["path_missing"]
    assert doc["escalation"] is None


def test_access_computed_from_acl_for_a_named_user() -> None:
    """POSIX.1e order: owner, named user (∧ mask), groups (∧ mask), other — getfacl's
    --omit-header lines as parsed; root gets every read and write."""
    import grp
    import pwd
    from types import SimpleNamespace

    from collectors.account_access import Who, may

    stranger = Who("nobody-like", 424242, frozenset({424242}))
    st = SimpleNamespace(st_mode=0o40750, st_uid=0, st_gid=0)
    assert may(stranger, st, None)[0] == 0  # other: ---
    nobody = pwd.getpwnam("nobody")
    acl = ["user::rwx", "user:nobody:rwx", "group::r-x", "mask::r-x", "other::---"]
    bits, rule = may(Who("nobody", nobody.pw_uid, frozenset({nobody.pw_gid})), st, acl)
    assert bits == 5 and rule == "the ACL entry user:nobody (mask applied)"  # rwx ∧ r-x
    group = grp.getgrgid(0).gr_name
    member = Who("member", 424244, frozenset({0}))
    assert may(member, st, None) == (5, "member is in the owning group: the group's bits")
    assert may(member, st, [*acl[:2], "group::---", f"group:{group}:r--", "mask::rwx",
                            "other::---"])[0] == 4
    assert may(Who("root", 0, frozenset({0})), SimpleNamespace(st_mode=0o100600, st_uid=5,
                                                               st_gid=5), None)[0] == 6
