"""``playbook lint`` checks every ``steps.<id>.<field>`` a playbook reads against the
output schema of the collector that step runs (toolkit/playbook/refs.py).

A misspelt field is a check that can never fire: the lookup is undefined, the runner
records the check as skipped for want of data, and the run ends "ok". These tests pin
that lint names it, where it is, and the field that was meant — and that what is
right, or what lint cannot know, stays clean.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SHIPPED, run_process

from toolkit.playbook import located_problems

HEAD = """\
id: t
version: 1
title: T
category: network
steps:
  - collect: network.ping
    id: ping
  - collect: network.traceroute
    id: trace
  - collect: network.interfaces
    id: link
  - collect: network.routes
    id: routes
  - collect: network.http
    id: api
  - collect: logs.files
    id: logs
  - collect: disk.health
    id: smart
"""


def _check(expression: str, finding: str = "x") -> str:
    return f'  - check: "{expression}"\n    severity: low\n    finding: "{finding}"\n'


def _lint(tmp_path: Path, body: str, tail: str = "") -> list[str]:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body + tail, encoding="utf-8")
    return [msg for _, _, msg in located_problems(path)]


def test_misspelt_field_in_a_shipped_playbook_is_named_by_the_real_cli(tmp_path: Path) -> None:
    source = SHIPPED / "network-connectivity.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    ping = next(s["id"] for s in data["steps"] if s.get("collect") == "network.ping")
    text = source.read_text(encoding="utf-8")
    good = f'check: "0 < steps.{ping}.loss_pct < 100"'
    assert text.count(good) == 1, "the playbook changed: pick another check to misspell"
    copy = tmp_path / "network-connectivity.yaml"
    copy.write_text(text.replace(good, good.replace("loss_pct", "loss_percent")),
                    encoding="utf-8")
    line_no, line = next((n, ln) for n, ln in enumerate(text.splitlines(), 1) if good in ln)
    col = line.index('"') + 1  # the check's own location, as for other expression problems

    proc = run_process("playbook", "lint", str(copy))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == (
        f"{copy}:{line_no}:{col}: steps.{ping} has no field 'loss_percent' — "
        "did you mean 'loss_pct'?")
    assert "1 problem" in proc.stderr + proc.stdout
    shutil.copy(source, copy)  # and the playbook as shipped is clean
    assert run_process("playbook", "lint", str(copy)).returncode == 0


WRONG = [
    # plain chains, through nested and nullable objects
    ("top", _check("steps.ping.loss_percent > 20"),
     "steps.ping has no field 'loss_percent' — did you mean 'loss_pct'?"),
    ("nested-nullable", _check("steps.api.tls.certificate.expires_in_day < 14"),
     "steps.api.tls.certificate has no field 'expires_in_day' — did you mean "
     "'expires_in_days'?"),
    ("item-string", _check("steps.api['timing_ms']['totl'] > 1000"),
     "steps.api['timing_ms'] has no field 'totl' — did you mean 'total'?"),
    ("get", _check("steps.api.timing_ms.get('tsl', 0) > 100"),
     "steps.api.timing_ms has no field 'tsl' — did you mean 'tls'?"),
    ("closed-optional-keys", _check("steps.logs.summary.severity.eror > 0"),
     "steps.logs.summary.severity has no field 'eror' — did you mean 'error'?"),
    ("no-close-match", _check("steps.routes.zzz"),
     "steps.routes has no field 'zzz' — it has: source, format, routes, default_gateways, "
     "default_gateway"),
    ("test", _check("steps.trace.loss_start_at is defined"),
     "steps.trace has no field 'loss_start_at' — did you mean 'loss_starts_at'?"),
    # arrays: an index, a slice, a filter that keeps or picks items
    ("index", _check("steps.trace.hops[0].adress"),
     "steps.trace.hops[0] has no field 'adress' — did you mean 'address'?"),
    ("negative-index", _check("steps.trace.hops[-1].tll > 3"),
     "steps.trace.hops[-1] has no field 'tll' — did you mean 'ttl'?"),
    ("slice", _check("steps.trace.hops[1:][0].rtt_ms"),
     "steps.trace.hops[…][0] has no field 'rtt_ms' — did you mean 'rtts_ms'?"),
    ("first", _check("(steps.trace.hops | first).adress"),
     "steps.trace.hops | first has no field 'adress' — did you mean 'address'?"),
    ("array-in-array", _check("steps.smart.devices[0].reasons[0].verdikt"),
     "steps.smart.devices[0].reasons[0] has no field 'verdikt' — did you mean 'verdict'?"),
    # attribute names given to filters, checked against the items
    ("selectattr", _check("steps.trace.hops | selectattr('tll', 'equalto', 2) | list"),
     "each item of steps.trace.hops has no field 'tll' — did you mean 'ttl'?"),
    ("rejectattr", _check("steps.link.interfaces | rejectattr('loopbak') | list"),
     "each item of steps.link.interfaces has no field 'loopbak' — did you mean 'loopback'?"),
    ("map", _check("steps.trace.hops | map(attribute='adress') | list"),
     "each item of steps.trace.hops has no field 'adress' — did you mean 'address'?"),
    ("sum", _check("steps.trace.hops | sum(attribute='sen') > 3"),
     "each item of steps.trace.hops has no field 'sen' — did you mean 'sent'?"),
    ("sort", _check("steps.trace.hops | sort(attribute='loss') | last"),
     "each item of steps.trace.hops has no field 'loss' — did you mean 'loss_pct'?"),
    ("dotted-attribute", _check("steps.smart.devices | selectattr('smartctl_exit.stat') | list"),
     "steps.smart.devices[…].smartctl_exit has no field 'stat' — did you mean 'status'?"),
    ("after-filters", _check("steps.trace.hops | selectattr('ttl', 'gt', 1) | "
                             "map(attribute='addres') | first"),
     "each item of steps.trace.hops has no field 'addres' — did you mean 'address'?"),
    # templates: loop variables, set, the check's own value
    ("loop", _check("steps.trace.hops", "{% for h in steps.trace.hops %}{{ h.adress }}"
                                        "{% endfor %}"),
     "h has no field 'adress' — did you mean 'address'?"),
    ("loop-filter", _check("steps.trace.hops", "{% for h in steps.trace.hops if h.tll > 1 %}"
                                               "{{ h.ttl }}{% endfor %}"),
     "h has no field 'tll' — did you mean 'ttl'?"),
    ("set", _check("steps.trace.hops", "{% set last = steps.trace.hops[-1] %}{{ last.adres }}"),
     "last has no field 'adres' — did you mean 'address'?"),
    ("value", _check("steps.link.with_errors", "{% for i in value %}{{ i.nme }}{% endfor %}"),
     "i has no field 'nme' — did you mean 'name'?"),
    ("value-guarded", _check("steps.trace.hops if steps.trace.reached else []",
                             "{{ value[0].adress }}"),
     "value[0] has no field 'adress' — did you mean 'address'?"),
]


@pytest.mark.parametrize("case,body,message", WRONG, ids=[c[0] for c in WRONG])
def test_a_field_that_does_not_exist_is_named(tmp_path: Path, case: str, body: str,
                                              message: str) -> None:
    assert _lint(tmp_path, body) == [message]


def test_located_at_the_expression_like_other_expression_problems(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + _check("steps.ping.loss_pct > 1", "{{ steps.ping.rcvd }}"),
                    encoding="utf-8")
    line = len(HEAD.splitlines()) + 3  # the finding: line of the check step + 2
    assert located_problems(path) == [
        (line, 14, "steps.ping has no field 'rcvd' — did you mean 'received'?")]


ELSEWHERE = [
    ("when", "  - collect: network.tcp\n    when: \"steps.routes.default_gatway\"\n"),
    ("with", "  - collect: network.tcp\n    with: {host: \"{{ steps.routes.default_gatway }}\", "
             "port: 443}\n"),
    ("guide", "  - guide: \"Ask the owner of {{ steps.routes.default_gatway }}\"\n"),
    ("ask", "  - ask: \"Is {{ steps.routes.default_gatway }} your router?\"\n    id: q\n"),
    ("recommend", _check("steps.ping.loss_pct > 1") +
     "    recommend: \"Check {{ steps.routes.default_gatway }}\"\n"),
]


@pytest.mark.parametrize("case,body", ELSEWHERE, ids=[c[0] for c in ELSEWHERE])
def test_every_place_a_playbook_reads_results_is_checked(tmp_path: Path, case: str,
                                                         body: str) -> None:
    assert _lint(tmp_path, body) == [
        "steps.routes has no field 'default_gatway' — did you mean 'default_gateway'?"]


@pytest.mark.parametrize("where", ["when", "reason"])
def test_escalation_is_checked(tmp_path: Path, where: str) -> None:
    tail = ("escalate:\n  to: L2\n"
            + ("  when: \"steps.ping.loss_pc > 1\"\n" if where == "when" else
               "  when: \"findings\"\n  reason: \"{{ steps.ping.loss_pc }}% loss\"\n"))
    assert _lint(tmp_path, _check("steps.ping.loss_pct > 1"), tail) == [
        "steps.ping has no field 'loss_pc' — did you mean 'loss_pct'?"]


CLEAN = [
    ("right", _check("steps.ping.loss_pct > 20 and steps.ping.rtt_avg_ms",
                     "{{ steps.ping.loss_pct }}% ({{ steps.ping.rtt_avg_ms | round1 }} ms)")),
    # near misses: a field that is there, optional, or under free keys
    ("optional", _check("steps.ping.complete is defined and steps.ping.unparsed")),
    ("free-keys", _check("steps.smart.devices[0].counters.Reallocated_Sector_Ct > 0")),
    ("closed-optional", _check("steps.logs.summary.severity.critical > 0")),
    ("union", _check("steps.api.tls.certificate.error or steps.api.tls.certificate.san")),
    # methods, not fields: jinja2 finds them first
    ("dict-methods", _check("steps.api.timing_ms.get('tls', 0) > 1 or "
                            "steps.api.headers.items() | list")),
    ("str-methods", _check("steps.ping.source.startswith('/')")),
    ("filters", _check("steps.trace.hops | map('string') | list | length > 0 and "
                       "steps.trace.hops | selectattr('ttl') | map(attribute='ttl') | sum")),
    ("loop-var", _check("steps.trace.hops", "{% for h in value %}{{ loop.index }}: "
                                            "{{ h.address or '*' }}{% endfor %}")),
    ("tuple-loop", _check("steps.api.headers", "{% for k, v in value.items() %}{{ k }} "
                                               "{{ v.whatever }}{% endfor %}")),
    # what lint cannot know: the value of a comparison, other names, other steps
    ("value-unknown", _check("steps.ping.loss_pct > 5", "{{ value.whatever }}")),
    ("other-names", _check("outcomes.ping == 'ok' and inputs.x and findings",
                           "{{ lang }} {{ answers.q }}")),
    ("defined", _check("steps.trace is defined and steps.trace.hops")),
]


@pytest.mark.parametrize("case,body", CLEAN, ids=[c[0] for c in CLEAN])
def test_what_is_right_or_unknowable_stays_clean(tmp_path: Path, case: str, body: str) -> None:
    assert _lint(tmp_path, body) == []


def test_steps_of_plugins_without_an_output_schema_are_not_checked(tmp_path: Path,
                                                                  plugins: Any) -> None:
    plugins("sk_testcollectors")
    body = "  - collect: tests.echo\n    id: e\n" + _check("steps.e.anything.at_all")
    assert _lint(tmp_path, body) == []
