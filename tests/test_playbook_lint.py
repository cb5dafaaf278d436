"""Every kind of invalid playbook is refused with exit 2 and a located message."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import SHIPPED, run_process

VALID = """\
id: t
version: 1
title: Test
category: general
steps:
  - collect: system.info
    id: sys
  - check: "steps.sys.memory.percent > 101"
    severity: low
    finding: "memory {{ steps.sys.memory.percent }}"
"""

# (case id, playbook text, expected line, expected column or None, expected message part)
CASES = [
    ("yaml-syntax", VALID.replace("  - collect: system.info", "  - collect: [system.info"),
     7, None, "YAML syntax error"),
    ("duplicate-key", VALID.replace("title: Test\n", "title: Test\ntitle: Again\n"),
     4, 1, "duplicate key 'title' (first defined at line 3)"),
    ("tab", VALID.replace("    id: sys", "\tid: sys"), 7, 1, "tab character in indentation"),
    ("unknown-key-top", VALID.replace("category:", "categroy:"),
     4, 1, "unknown key 'categroy' (did you mean 'category'?)"),
    ("unknown-key-step", VALID.replace("    severity: low", "    severity: low\n    sevrity: x"),
     10, 5, "unknown key 'sevrity' (did you mean 'severity'?)"),
    ("missing-required", VALID.replace("title: Test\n", ""),
     1, 1, "playbook is missing the required field 'title'"),
    ("missing-required-step", VALID.replace("    severity: low\n", ""),
     8, 5, "step 2 is missing the required field 'severity'"),
    ("wrong-type", VALID.replace("version: 1", "version: three"),
     2, 10, "'version' must be an integer, not str 'three'"),
    ("wrong-type-text", VALID.replace("title: Test", "title: [a, b]"),
     3, 8, "'title' must be text"),
    ("bad-enum", VALID.replace("severity: low", "severity: hgh"),
     9, 15, "'severity' must be one of info, low, medium, high, critical, not 'hgh' "
            "(did you mean 'high'?)"),
    ("unknown-collector", VALID.replace("collect: system.info", "collect: sytem.info"),
     6, 14, "unknown collector 'sytem.info' (did you mean 'system.info'?)"),
    ("unknown-param", VALID.replace("    id: sys", "    id: sys\n    with: {smaple_s: 1}"),
     8, 12, "collector system.info has no parameter 'smaple_s' (did you mean 'sample_s'?)"),
    ("bad-param-type", VALID.replace("    id: sys", "    id: sys\n    with: {sample_s: lots}"),
     8, 22, "'sample_s' expects float, not 'lots'"),
    ("expression-syntax", VALID.replace('"steps.sys.memory.percent > 101"',
                                        '"steps.sys.memory.percent >"'),
     8, 12, "expression does not parse"),
    ("template-syntax", VALID.replace('"memory {{ steps.sys.memory.percent }}"',
                                      '"memory {{ steps.sys.memory.percent"'),
     10, 14, "template does not parse"),
    ("unknown-step-ref", VALID.replace("steps.sys.memory.percent > 101",
                                       "steps.sy.memory.percent > 101"),
     8, 12, "expression refers to unknown step 'sy' (did you mean 'sys'?)"),
    ("duplicate-step-id", VALID.replace("  - check:", "  - collect: disk.usage\n    id: sys\n"
                                                      "  - check:"),
     9, 5, "duplicate step id 'sys' (first used by step 1)"),
    ("duplicate-implicit-id", VALID.replace("    id: sys\n", "  - collect: system.info\n")
     .replace("steps.sys.", "steps.system_info."),
     7, 5, "duplicate step id 'system_info' (first used by step 1) — give one of them an id:"),
    ("two-kinds", VALID.replace("  - collect: system.info", "  - collect: system.info\n"
                                                           "    guide: do it"),
     6, 5, "step 1 needs exactly one of guide, ask, collect, check (found guide, collect)"),
    ("not-a-mapping", "- just\n- a list\n", 1, 1, "a playbook is a YAML mapping"),
    ("empty", "", 1, 1, "the file is empty"),
    ("two-documents", VALID + "---\nid: other\n", 11, 1, "more than one YAML document"),
    ("recursive-alias", "id: &a [*a]\n", 1, 1, "recursive YAML alias"),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_base_playbook_is_clean(tmp_path: Path, cli) -> None:
    r = cli("playbook", "lint", str(_write(tmp_path, "ok", VALID)))
    assert r.code == 0, r.out + r.err
    assert r.out == ""


@pytest.mark.parametrize(("case", "text", "line", "col", "message"), CASES,
                         ids=[c[0] for c in CASES])
def test_invalid_playbook_is_located(tmp_path: Path, cli, case: str, text: str, line: int,
                                     col: int | None, message: str) -> None:
    path = _write(tmp_path, case, text)
    r = cli("playbook", "lint", str(path))
    assert r.code == 2
    lines = r.out.splitlines()
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+):(\d+): (.*)$")
    parsed = [pattern.match(x) for x in lines]
    assert all(parsed), lines
    hits = [m for m in parsed if m and message in m.group(3)]
    assert hits, f"no line with {message!r} in {lines}"
    assert int(hits[0].group(1)) == line, lines
    if col is not None:
        assert int(hits[0].group(2)) == col, lines
    assert "Traceback" not in r.out + r.err


def test_run_refuses_invalid_playbook_with_one_line(tmp_path: Path, cli) -> None:
    path = _write(tmp_path, "bad", VALID.replace("version: 1", "version: three"))
    r = cli("run", str(path), "--non-interactive")
    assert r.code == 2
    assert r.err.count("\n") == 1 and r.err.startswith("Error: ")
    assert f"{path}:2:10:" in r.err


def test_alias_bomb_is_refused_without_expanding(tmp_path: Path) -> None:
    # Nine levels of nine: 9**9 (387 million) strings if expanded.
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = _write(tmp_path, "bomb", "\n".join(rows) + "\n")
    # Expanding it would take minutes and gigabytes; refusing it takes milliseconds.
    proc = run_process("playbook", "lint", str(path), timeout=30)
    assert proc.returncode == 2
    assert "aliases expand to more than" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_non_utf8_file(tmp_path: Path, cli) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    r = cli("playbook", "lint", str(path))
    assert r.code == 2
    assert "not UTF-8 text" in r.out


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path, cli) -> None:
    text = VALID.replace("version: 1", "version: x").replace("collect: system.info",
                                                             "collect: nope.nope")
    r = cli("playbook", "lint", "--json", str(_write(tmp_path, "many", text)))
    assert r.code == 2
    doc = json.loads(r.out)
    messages = [p["message"] for p in doc["problems"]]
    assert any("'version' must be an integer" in m for m in messages)
    assert any("unknown collector 'nope.nope'" in m for m in messages)


def test_shipped_playbooks_lint_clean(cli) -> None:
    r = cli("playbook", "lint")
    assert r.code == 0, r.out
    assert list((SHIPPED).glob("*.yaml")), "no shipped playbooks found"


def test_schema_is_json_and_accepts_shipped_playbooks(cli) -> None:
    from jsonschema import Draft202012Validator

    r = cli("playbook", "schema")
    assert r.code == 0
    schema = json.loads(r.out)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for path in (SHIPPED).glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(data)), path
    bad = yaml.safe_load(textwrap.dedent(VALID).replace("version: 1", "version: x"))
    assert list(validator.iter_errors(bad))


def test_loaded_playbook_is_immutable(tmp_path: Path) -> None:
    from dataclasses import FrozenInstanceError

    from toolkit import playbook

    pb = playbook.load(_write(tmp_path, "ok", VALID))
    with pytest.raises(FrozenInstanceError):
        pb.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pb.steps[0].params["x"] = 1  # type: ignore[index]
    assert [s.id for s in pb.steps] == ["sys", "check_2"]


RULES = VALID.replace('  - check: "steps.sys.memory.percent > 101"',
                      '  - check: "steps.sys.memory.percent >= 0"\n    id: mem') + """\
  - check: "steps.sys.cpu.logical < 1"
    id: nothing_fired
    severity: critical
    finding: "never"
  - check: "steps.sys.cpu.logical >= 1"
    id: cores
    severity: high
    finding: "{{ steps.sys.cpu.logical }} cores"
escalate:
  - findings: [nothing_fired]
    to: L2-never
  - findings: [cores, mem]
    to: L1
  - when: "true"
    to: L2-after
"""


def test_escalation_rules_in_order_with_the_finding_as_reason(tmp_path: Path, cli) -> None:
    path = _write(tmp_path, "rules", RULES)
    assert cli("playbook", "lint", str(path)).code == 0
    r = cli("run", str(path), "--non-interactive", "--json", "--out", str(tmp_path))
    esc = json.loads(r.out)["escalation"]
    # the first rule that is due decides; the most severe of its findings is the reason
    assert (esc["to"], esc["finding"]) == ("L1", "cores")
    assert esc["reason"].endswith(" cores") and esc["reason"][0].isdigit()


def test_escalation_naming_an_unknown_check_is_located(tmp_path: Path, cli) -> None:
    path = _write(tmp_path, "badrule", RULES.replace("[cores, mem]", "[cores, memm]"))
    r = cli("playbook", "lint", str(path))
    assert r.code == 2
    assert "escalate names no check 'memm' (did you mean 'mem'?)" in r.out
