"""The playbook JSON Schema (printed by ``supportkit playbook schema``).

Written as Python data so that shared pieces (text, expressions) are one
object each; the printed schema inlines them so editors need no resolver.
"""

from __future__ import annotations

from typing import Any

CATEGORIES = ["hardware", "software", "account", "network", "howto", "data", "general"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]  # least to most severe


def severity_rank(severity: object) -> int:
    """Sort key: most severe first (0 for critical), an unknown severity last."""
    return len(SEVERITIES) - 1 - SEVERITIES.index(severity) \
        if severity in SEVERITIES else len(SEVERITIES)
STEP_KINDS = ("guide", "ask", "collect", "check")

TEXT: dict[str, Any] = {
    "$comment": "text",
    "description": "A string, or a map of language code to string ({en: …, zh: …})",
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "additionalProperties": False,
         "properties": {"en": {"type": "string"}, "zh": {"type": "string"}}},
    ],
}
EXPR: dict[str, Any] = {"type": "string", "minLength": 1,
                        "description": "A jinja2 expression (sandboxed)"}
STEP_ID: dict[str, Any] = {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$",
                           "description": "Name used in expressions: steps.<id>"}
KB_ID: dict[str, Any] = {"type": "string", "pattern": "^KB-[A-Z0-9-]+$"}
COMMON: dict[str, Any] = {"id": STEP_ID, "when": EXPR, "title": TEXT}
ANSWER_TYPES = ["string", "integer", "number", "boolean"]


def _step(kind: str, required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "title": f"{kind} step", "required": [kind, *required],
            "additionalProperties": False, "properties": {**COMMON, **props}}


GUIDE = _step("guide", [], {
    "guide": TEXT,
    "resolves": {"type": "boolean", "description": "ask 'Did this fix it?'; yes ends the run"},
    "default": {"type": "boolean", "description": "answer when nobody is at the keyboard "
                                                  "(default: false, not fixed)"},
    "kb": KB_ID,
})
ASK = _step("ask", ["id"], {
    "ask": TEXT,
    "type": {"enum": ANSWER_TYPES},
    "default": {},
    "choices": {"type": "array", "minItems": 1},
})
COLLECT = _step("collect", [], {
    "collect": {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$"},
    "with": {"type": "object"},
    "timeout": {"type": "number", "exclusiveMinimum": 0},
})
CHECK = _step("check", ["severity", "finding"], {
    "check": EXPR,
    "severity": {"enum": SEVERITIES},
    "finding": TEXT,
    "recommend": TEXT,
    "kb": KB_ID,
    "next": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$",
             "description": "the playbook to run next when this finding appears"},
    "escalate": {"type": "string", "minLength": 1,
                 "description": "who acts when this finding is the most severe one of an "
                                "escalated run (instead of escalate.to): a team (L2-network), "
                                "'service owner', or 'L1' for a fix first line makes; the "
                                "escalation's reason is then this finding's text. A template "
                                "(sees value): empty means escalate.to"},
})
STEP_SCHEMAS = {"guide": GUIDE, "ask": ASK, "collect": COLLECT, "check": CHECK}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://supportkit.dev/schemas/playbook.schema.json",
    "title": "supportkit playbook",
    "type": "object",
    "required": ["id", "version", "title", "category", "steps"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "version": {"type": "integer", "minimum": 1},
        "title": TEXT,
        "description": TEXT,
        "category": {"enum": CATEGORIES},
        "subcategories": {"type": "array", "items": {"type": "string"}},
        "keywords": {"type": "array", "items": {"type": "string"},
                     "description": "words and phrases (any language) that point to this playbook"},
        "timeout": {"type": "number", "exclusiveMinimum": 0,
                    "description": "default seconds per collect step (60)"},
        "inputs": {
            "type": "object",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["prompt"],
                "properties": {"prompt": TEXT, "default": {}, "type": {"enum": ANSWER_TYPES},
                               "choices": {"type": "array", "minItems": 1}},
            },
        },
        "steps": {"type": "array", "minItems": 1,
                  "items": {"oneOf": [GUIDE, ASK, COLLECT, CHECK]}},
        "escalate": {
            "type": "object", "required": ["when", "to"], "additionalProperties": False,
            "properties": {"when": EXPR, "to": {"type": "string", "minLength": 1},
                           "resources": {"type": "array", "items": {"type": "string"}},
                           "reason": TEXT},
        },
    },
}
