"""Playbook expressions run in the main process as root: each is bounded in time and
size, and a bomb ends as a failed check with the reason, never as a hung or
swapping machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.playbook import expr

BOMBS = {
    "string": "'a' * 10**9",
    "list": "[1] * 10**9",
    "power": "10 ** (10 ** 8)",
    "format": "'%0999999999d' % 1",
    "center": "'x' | center(10**9)",
    "format_method": "'{:>999999999}'.format(1)",
    "range": "range(10**9) | list",
    "join_doubling": "((['ab'] * 1000) | join) * 100000",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_each_bomb_is_refused_before_it_is_built(name: str) -> None:
    with pytest.raises(expr.ExprLimit):
        expr.evaluate(BOMBS[name], {})


def test_a_loop_that_calls_nothing_is_stopped_at_the_deadline(monkeypatch) -> None:
    monkeypatch.setattr(expr, "MAX_SECONDS", 0.5)
    loops = ("{% set x = [1] * 100000 %}{% for a in x %}{% for b in x %}{% endfor %}"
             "{% endfor %}done")
    with pytest.raises(expr.ExprLimit, match="longer than 0.5 s"):
        expr.render(loops, {})


def test_a_string_doubled_in_a_loop_stops_at_the_limit() -> None:
    doubling = ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
                "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}")
    with pytest.raises(expr.ExprLimit):
        expr.render(doubling, {})


def test_ordinary_expressions_are_untouched() -> None:
    ctx = {"steps": {"ping": {"loss_pct": 25.0, "hops": [{"ttl": 1}, {"ttl": 2}]}}}
    assert expr.evaluate("steps.ping.loss_pct > 20", ctx) is True
    assert expr.evaluate("steps.ping.hops | map(attribute='ttl') | list", ctx) == [1, 2]
    assert expr.evaluate("2 ** 10 * 'ab' | length", {}) == 2048
    assert expr.render("{{ '%.1f' % 3.14159 }} / {{ range(3) | join(',') }}", {}) == "3.1 / 0,1,2"
    assert expr.render("{{ 'x' ~ 1 ~ 'y' }}", {}) == "x1y"


PLAYBOOK = """\
id: bombs
version: 1
title: Bombs
category: general
steps:
{steps}
"""


def test_a_playbook_full_of_bombs_ends_with_failed_checks_and_little_memory(
        tmp_path: Path) -> None:
    steps = "".join(f"  - check: \"{src}\"\n    id: {name}\n    severity: high\n"
                    f"    finding: boom\n" for name, src in sorted(BOMBS.items()))
    pb = tmp_path / "bombs.yaml"
    pb.write_text(PLAYBOOK.format(steps=steps))
    # Peak memory of the supportkit process tree, measured from a parent of its own.
    probe = ("import json, resource, subprocess, sys; "
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr, "
             "'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    proc = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "toolkit", "run",
                           str(pb), "--non-interactive", "--json", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    got = json.loads(proc.stdout)
    assert got["rc"] == 3, got["err"]  # the run ends; failed checks make it incomplete
    steps_out = {s["id"]: s for s in json.loads(got["out"])["steps"]}
    for name in BOMBS:
        assert steps_out[name]["outcome"] == "failed", steps_out[name]
        assert "check could not be evaluated" in steps_out[name]["reason"]
    assert got["maxrss_kb"] < 400 * 1024, f"peak RSS {got['maxrss_kb']} kB"
