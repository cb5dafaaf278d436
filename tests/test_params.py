"""Collector parameters with nonsense values are refused before anything runs: negative
hours, zero counts, a NaN timeout. ``min``/``max`` are declared and shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# Numeric parameters for which a negative (and mostly a zero) value means nothing.
BOUNDED = ("hours", "days", "count", "timeout", "device_timeout", "max_bytes",
           "max_total_bytes", "max_entries", "max_packets", "max_seconds", "interval",
           "sample_s", "limit", "top", "depth", "port", "size", "snaplen", "duration",
           "max_hops", "queries", "max_redirects")


def _one_line(r) -> None:
    assert r.code == 2, (r.out, r.err)
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1 and "internal" not in r.err


@pytest.mark.parametrize("value", ["-5", "0", "nan", "-inf"])
def test_collect_refuses_hours_out_of_range(cli, value: str) -> None:
    r = cli("collect", "account.auth_failures", "-p", f"hours={value}")
    _one_line(r)
    assert "'hours' must be at least 0.1" in r.err or "'hours' expects a finite" in r.err


def test_run_refuses_an_override_out_of_range_before_running(cli, tmp_path: Path) -> None:
    pb = tmp_path / "auth.yaml"
    pb.write_text("id: auth\nversion: 1\ntitle: Auth\ncategory: account\nsteps:\n"
                  "  - collect: account.auth_failures\n    id: auth\n", encoding="utf-8")
    out = tmp_path / "out"
    r = cli("run", str(pb), "--non-interactive", "--out", str(out), "-p", "auth.hours=-5")
    _one_line(r)
    assert "'hours' must be at least 0.1, not '-5'" in r.err
    assert not out.exists()


def test_a_playbook_with_a_value_out_of_range_fails_lint(cli, tmp_path: Path) -> None:
    pb = tmp_path / "bad.yaml"
    pb.write_text("id: bad\nversion: 1\ntitle: Bad\ncategory: network\nsteps:\n"
                  "  - collect: network.tcp\n    with: {host: example.com, port: 70000}\n",
                  encoding="utf-8")
    r = cli("playbook", "lint", str(pb))
    assert r.code == 2 and "'port' must be at most 65535" in r.out + r.err


def test_collectors_json_shows_the_bounds(cli) -> None:
    doc = json.loads(cli("collectors", "--json").out)
    hours = next(p for c in doc["collectors"] if c["name"] == "account.auth_failures"
                 for p in c["params"] if p["name"] == "hours")
    assert hours["min"] == 0.1 and "max" not in hours


def test_every_numeric_parameter_that_needs_a_bound_declares_one() -> None:
    from toolkit.plugins import load

    registry = load()
    missing = [f"{c.name}.{p.name}" for c in registry.collectors.values() for p in c.params
               if p.type in ("int", "float") and p.name in BOUNDED and p.min is None]
    assert missing == []
    checked = [p for c in registry.collectors.values() for p in c.params if p.name in BOUNDED]
    assert len(checked) > 30  # the names above are the real ones
