"""account-permission on a real auth log (no root needed)."""

from __future__ import annotations

from pathlib import Path

from harness import diagnose


def test_password_guessing_counters_not_zero(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    """Real sshd log (loghub OpenSSH_2k): 379 failures for root, no lockout — the text
    says what is there and leaves out the counter that is zero."""
    scenario("account-permission", "379 failed SSH logins for root in a real auth log",
             "brute_force", "L2-identity")
    log = Path(__file__).parents[1] / "fixtures" / "account.auth_failures" / "OpenSSH_2k.log"
    result = diagnose("account-permission", tmp_path, {"user": "root"},
                      extra=["-p", f"auth.source={log}"])
    text = result.text("login_failures")
    assert text.startswith("379 failed logins for root ("), text
    assert "lockout" not in text  # 0 lockouts is not news
    assert "533 failed logins" in result.text("brute_force")
    assert "183.62.140.253" in result.text("brute_force")
    assert result.escalation_to == "L2-identity" and "533" in result.escalation_reason
