"""Finding playbooks (yours first, then the shipped ones) and loading one:
``load(path)`` returns a ``Playbook`` or raises ``PlaybookInvalid`` with every
problem located."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.errors import BadInput, PlaybookInvalid, did_you_mean
from toolkit.playbook.lint import _read, _step_id, _validate
from toolkit.playbook.model import DEFAULT_TIMEOUT, Escalation, Input, Playbook, Step, Text
from toolkit.playbook.schema import STEP_KINDS


def shipped() -> list[Path]:
    from toolkit.paths import shipped_playbooks_dir

    return sorted(shipped_playbooks_dir().glob("*.yaml"))


def user_dir() -> Path:
    from toolkit.paths import home

    return home() / "playbooks"


def find(ref: str) -> Path:
    """A playbook by id (the user's folder first, then shipped) or by file path."""
    candidate = Path(ref).expanduser()
    if candidate.suffix in (".yaml", ".yml") or "/" in ref or "\\" in ref:
        if not candidate.is_file():
            raise BadInput(f"playbook file {ref} not found", "check the path")
        return candidate
    for folder in (user_dir(), shipped()[0].parent if shipped() else None):
        if folder is not None and (folder / f"{ref}.yaml").is_file():
            return folder / f"{ref}.yaml"
    known = sorted({p.stem for p in shipped()} | {p.stem for p in user_dir().glob("*.yaml")})
    raise BadInput(f"no playbook '{ref}'{did_you_mean(ref, known)}",
                   "'supportkit playbook list' shows them")


def _build_step(raw: dict[str, Any], index: int, line: int) -> Step:
    kind = next(k for k in STEP_KINDS if k in raw)
    common: dict[str, Any] = {"index": index, "kind": kind, "id": _step_id(raw, index),
                              "line": line, "when": raw.get("when"),
                              "why": Text.of(raw.get("why")),
                              "title": Text.of(raw.get("title")), "kb": raw.get("kb")}
    if kind == "guide":
        return Step(**common, text=Text.of(raw["guide"]), resolves=bool(raw.get("resolves")),
                    default=bool(raw.get("default", False)))
    if kind == "ask":
        return Step(**common, text=Text.of(raw["ask"]), default=raw.get("default"),
                    answer_type=raw.get("type", "string"),
                    choices=tuple(raw.get("choices", ())), required=bool(raw.get("required")))
    if kind == "collect":
        return Step(**common, collector=raw["collect"],
                    params=MappingProxyType(dict(raw.get("with") or {})),
                    timeout=raw.get("timeout"))
    return Step(**common, expression=raw["check"], severity=raw["severity"],
                text=Text.of(raw["finding"]), recommend=Text.of(raw.get("recommend")),
                next=raw.get("next"), escalate=raw.get("escalate"))


def load(path: Path) -> Playbook:
    text = _read(path)
    loc, found = _validate(text)
    if found:
        raise PlaybookInvalid([f"{path}:{line}:{col}: {msg}" for line, col, msg in found])
    data = loc.data
    rules = tuple(_escalation(r) for r in _rules(data.get("escalate")))
    title = Text.of(data["title"])
    assert title is not None
    return Playbook(
        id=data["id"], version=data["version"], title=title, category=data["category"],
        steps=tuple(_build_step(raw, i + 1, loc.where(("steps", i))[0])
                    for i, raw in enumerate(data["steps"])),
        path=path, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=Text.of(data.get("description")),
        subcategories=tuple(data.get("subcategories", ())),
        keywords=tuple(data.get("keywords", ())),
        inputs=tuple(Input(name, Text.of(spec["prompt"]) or Text((("en", name),)),
                           spec.get("default"), spec.get("type", "string"),
                           tuple(spec.get("choices", ())), bool(spec.get("required")),
                           spec.get("from_ticket"))
                     for name, spec in (data.get("inputs") or {}).items()),
        timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
        escalate=rules[0] if rules else None, escalations=rules,
    )


def _rules(esc: Any) -> list[dict[str, Any]]:
    """``escalate:`` is one rule (a mapping) or a list of them, tried in order."""
    if not esc:
        return []
    return list(esc) if isinstance(esc, list) else [esc]


def _escalation(rule: dict[str, Any]) -> Escalation:
    ids = tuple(rule.get("findings", ()))
    when = rule.get("when") or f"findings | selectattr('id', 'in', {list(ids)!r}) | list"
    return Escalation(when, rule["to"], tuple(rule.get("resources", ())),
                      Text.of(rule.get("reason")), ids)
