"""The rule catalogue, rule by rule: each rule removes its true positive (fresh random
values every run) and leaves its near miss alone, with the automaton scan and with the
regex scan that stands in where the automaton package is missing; and no rule touches
the 20,000 clean lines of the real logs in ../shared/realdata/logs."""

from __future__ import annotations

import re

import pytest
from conftest import REALDATA
from redact_cases import cases

from toolkit.redact import Redactor
from toolkit.redact.rules import catalogue

CASES = cases()
SCANS = ["automaton", "regex"]


def _redactor(scan: str) -> Redactor:
    red = Redactor(force_regex=scan == "regex")
    if scan == "automaton":
        assert red._scan.automaton, "ahocorasick_rs is a dependency: it must be installed"
    return red


def _parts(line: str, secrets: tuple[str, ...]) -> list[str]:
    if secrets:
        return list(secrets)
    # the secret is the last run of token characters on each line
    runs = [(re.findall(r"[A-Za-z0-9+/_%~.!#-]{8,}", one) or [""])[-1]
            for one in line.splitlines()]
    return [r for r in runs if r]


def test_every_rule_has_a_true_positive_and_a_near_miss() -> None:
    names = [item["rule"] for item in catalogue()]
    missing = [n for n in names if n not in CASES]
    assert not missing, f"rules without test cases: {missing}"
    assert not [n for n in CASES if n not in names], "cases for rules that do not exist"
    assert all(item["source"] for item in catalogue()), "every rule names its source"
    assert len(names) >= 100


POSITIVES = [(rule, i) for rule, items in CASES.items() for i in range(len(items))]


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize(("rule", "i"), POSITIVES)
def test_true_positive_is_redacted_by_its_rule(rule: str, i: int, scan: str) -> None:
    line, secrets, _ = CASES[rule][i]
    red = _redactor(scan)
    out = "".join(red.lines(line.splitlines(keepends=True)))
    for part in _parts(line, secrets):
        assert part not in out, f"{rule}: {part!r} survives in {out!r}"
    assert f"[REDACTED:{rule}]" in out, out
    assert red.counts[rule] >= 1


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize(("rule", "i"), POSITIVES)
def test_near_miss_is_left_alone(rule: str, i: int, scan: str) -> None:
    near = CASES[rule][i][2]
    red = _redactor(scan)
    assert "".join(red.lines(near.splitlines(keepends=True))) == near
    assert not red.counts


def test_both_scans_agree_on_real_logs_with_every_case_planted() -> None:
    text = "".join(p.read_text(encoding="utf-8", errors="surrogateescape")
                   for p in sorted((REALDATA / "logs").glob("*.log")))
    planted = "\n".join(line for items in CASES.values() for line, _, _ in items)
    lines = (text[:200_000] + planted + "\n" + text[200_000:400_000]).splitlines(keepends=True)
    fast, slow = _redactor("automaton"), _redactor("regex")
    assert "".join(fast.lines(lines)) == "".join(slow.lines(lines))
    assert fast.counts == slow.counts and sum(fast.counts.values()) >= len(POSITIVES)


def test_real_logs_come_through_unchanged() -> None:
    red = Redactor()
    total = 0
    files = sorted((REALDATA / "logs").glob("*.log"))
    assert len(files) >= 10
    for path in files:
        raw = path.read_bytes()
        assert b"".join(red.chunks([raw])) == raw, path.name
        text = raw.decode("utf-8", "surrogateescape")
        assert "".join(red.lines(text.splitlines(keepends=True))) == text, path.name
        total += raw.count(b"\n")
    assert total >= 19_990
    assert not red.counts, red.counts  # no false positive in 20,000 real lines


@pytest.mark.parametrize("name", ["redis.conf", "nginx.conf", "sshd_config", "laravel.env",
                                  "Web.config", "wpa_supplicant.conf", "kubeconfig"])
def test_real_config_files_without_secrets_come_through_unchanged(name: str) -> None:
    # Their comments talk about passwords ("# requirepass foobared", "This file may
    # contain password information", PasswordAuthentication, PublicKeyToken=…,
    # DB_PASSWORD= left empty): none of that is a secret.
    from conftest import FIXTURES

    text = (FIXTURES / "redact" / name).read_text(encoding="utf-8")
    red = Redactor()
    assert "".join(red.lines(text.splitlines(keepends=True))) == text
    assert not red.counts
