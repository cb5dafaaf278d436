"""The shape of a bundle's manifest and findings, checked before anything reads them.

A bundle comes from someone else's machine: ``steps: "x"``, ``host: 5`` or a
list nested ten thousand deep must end in one line naming the field, not in
a TypeError or a RecursionError deep inside ``bundle show``. The shapes say
the type of every field that ``verify``, ``show``, ``report`` and ``ticket
attach`` look at; other fields may hold anything (older and newer bundles
differ there). Fields are optional unless required: old bundles lack some.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 64  # a supportkit document nests about 8 deep


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "a value")


class Shape:
    def problem(self, value: Any, where: str) -> str | None:
        raise NotImplementedError


class T(Shape):
    """One of these JSON types (``None`` for null)."""

    def __init__(self, *types: type | None, name: str = "") -> None:
        self.types = tuple(type(None) if t is None else t for t in types)
        self.name = name or " or ".join(dict.fromkeys(
            "a whole number" if t is int else kind_of(t()) if t is not type(None) else "null"
            for t in self.types))

    def problem(self, value: Any, where: str) -> str | None:
        if isinstance(value, self.types):
            return None
        return f"{where} is {kind_of(value)}, not {self.name}"


class ListOf(Shape):
    def __init__(self, item: Shape, nullable: bool = False) -> None:
        self.item, self.nullable = item, nullable

    def problem(self, value: Any, where: str) -> str | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, list):
            return f"{where} is {kind_of(value)}, not a list"
        for i, item in enumerate(value):
            why = self.item.problem(item, f"{where}[{i}]")
            if why:
                return why
        return None


class Obj(Shape):
    def __init__(self, fields: Mapping[str, Shape], required: tuple[str, ...] = (),
                 nullable: bool = False) -> None:
        self.fields, self.required, self.nullable = fields, required, nullable

    def problem(self, value: Any, where: str) -> str | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, dict):
            return f"{where or 'the document'} is {kind_of(value)}, not an object"
        for key in self.required:
            if key not in value:
                return f"{where}.{key} is missing" if where else f"{key} is missing"
        for key, shape in self.fields.items():
            if key in value:
                why = shape.problem(value[key], f"{where}.{key}" if where else key)
                if why:
                    return why
        return None


TEXT = T(str, None)
NUMBER = T(int, float, name="a number")
FLAG = T(bool, None)
ESCALATION = Obj({"needed": FLAG, "to": TEXT, "reason": TEXT, "error": TEXT,
                  "finding": TEXT,
                  "resources": ListOf(T(str), nullable=True)}, nullable=True)
FINDING = Obj({"id": TEXT, "step": T(int, None), "severity": T(str), "finding": T(str),
               "recommend": TEXT, "kb": TEXT, "next": TEXT,
               "escalate": TEXT}, required=("severity", "finding"))
STEP = Obj({"index": T(int), "id": T(str), "kind": T(str), "outcome": T(str),
            "collector": TEXT, "reason": TEXT, "started": TEXT,
            "duration_s": T(int, float, None), "fired": FLAG, "done": FLAG,
            "answer_source": TEXT, "files": ListOf(T(str), nullable=True),
            "params": T(dict, None), "commands": T(list, None), "expression": TEXT},
           required=("index", "id", "kind", "outcome"))
MANIFEST = Obj({
    "schema_version": T(int), "bundle_id": TEXT, "run_id": TEXT, "created": TEXT,
    "started": TEXT, "finished": TEXT, "ticket": TEXT, "symptom": TEXT, "lang": TEXT,
    "outcome": TEXT, "resolved_by": TEXT,
    "tool": Obj({"name": TEXT, "version": TEXT}, nullable=True),
    "command_line": ListOf(T(str), nullable=True),
    "host": Obj({k: TEXT for k in ("hostname", "platform", "system", "release", "machine",
                                   "python")}, nullable=True),
    "playbook": Obj({"id": TEXT, "version": T(int, str, None), "sha256": TEXT, "title": TEXT,
                     "category": TEXT}, nullable=True),
    "ticket_info": Obj({k: TEXT for k in ("id", "title", "description", "error_message",
                                          "occurred_at", "reported_at", "priority", "status",
                                          "level", "category")} |
                       {"sla": T(dict, None), "category_title": T(dict, None)},
                       nullable=True),
    "chosen_by": Obj({"symptom": TEXT}, nullable=True),
    "inputs": T(dict, None), "input_sources": T(dict, None), "input_prompts": T(dict, None),
    "tried": ListOf(Obj({"step": T(str), "instruction": TEXT, "done": FLAG, "fixed": FLAG}),
                    nullable=True),
    "escalation": ESCALATION,
    "steps": ListOf(STEP, nullable=True),
    "attachments": ListOf(Obj({"path": T(str), "original_name": T(str)},
                              required=("path", "original_name")), nullable=True),
    "errors": ListOf(T(str), nullable=True),
    "redaction": Obj({"enabled": FLAG, "rules": T(dict, None)}, nullable=True),
    "files": ListOf(Obj({"path": T(str), "size": T(int), "sha256": T(str)},
                        required=("path", "size", "sha256"))),
}, required=("files",))
FINDINGS = Obj({"outcome": TEXT, "findings": ListOf(FINDING, nullable=True),
                "escalation": ESCALATION})


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Nested deeper than ``limit``? (Iterative: a deep document cannot overflow this.)"""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def manifest_problem(doc: Any) -> str | None:
    return MANIFEST.problem(doc, "")


def findings_problem(doc: Any) -> str | None:
    return FINDINGS.problem(doc, "")
