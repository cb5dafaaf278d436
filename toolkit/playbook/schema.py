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
WHY: dict[str, Any] = {**TEXT, "description": "What `when:` means, in words a user "
                       "understands: the step is shown as 'skipped: only runs when <why>'"}
COMMON: dict[str, Any] = {"id": STEP_ID, "when": EXPR, "why": WHY, "title": TEXT}
# time: a moment as people say it ("yesterday", "2h", "今天上午"), stored as ISO 8601.
ANSWER_TYPES = ["string", "integer", "number", "boolean", "time"]
FROM_TICKET = {"enum": ["host", "url", "text"],
               "description": "fill the input from the ticket's title, description or error "
                              "message when they name one (run --ticket), else from the "
                              "problem as described (run --symptom); text: the description "
                              "itself"}


ESCALATION: dict[str, Any] = {
    "type": "object", "required": ["to"], "additionalProperties": False,
    "anyOf": [{"required": ["when"]}, {"required": ["findings"]}],
    "properties": {
        "when": EXPR,
        "findings": {"type": "array", "minItems": 1, "items": STEP_ID,
                     "description": "the rule is due when one of these findings fired; the "
                                    "first that fired is its reason unless 'reason' is set "
                                    "('finding' names it in the reason template)"},
        "to": {"type": "string", "minLength": 1,
               "description": "who acts: L1 (first line fixes it), L2-hardware, "
                              "L2-development, L2-network, service-owner, …"},
        "resources": {"type": "array", "items": {"type": "string"}},
        "reason": TEXT},
}


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
    "required": {"type": "boolean", "description": "no answer, no run: asked again on a "
                                                   "terminal, exit 2 unattended"},
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
                               "choices": {"type": "array", "minItems": 1},
                               "required": {"type": "boolean", "description":
                                            "no safe default: asked until answered on a "
                                            "terminal; unattended, missing is exit 2"},
                               "from_ticket": FROM_TICKET},
            },
        },
        "steps": {"type": "array", "minItems": 1,
                  "items": {"oneOf": [GUIDE, ASK, COLLECT, CHECK]}},
        "escalate": {
            "description": "One rule, or a list of rules tried in order (the first that is "
                           "due decides the target): each names the findings that call for "
                           "it, or a 'when' expression",
            "oneOf": [ESCALATION, {"type": "array", "minItems": 1, "items": ESCALATION}],
        },
    },
}
