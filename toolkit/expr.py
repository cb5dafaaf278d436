"""Sandboxed expressions and templates for playbooks (jinja2 ``SandboxedEnvironment``).

Playbooks are data from other people: expressions can read ``inputs``,
``answers``, ``steps.<id>`` (collector results), ``outcomes.<id>``,
``findings`` and ``lang`` (the run's language, ``en`` or ``zh``), use
jinja2's filters and tests, and nothing else — no ``eval``, no attribute
access to Python internals, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

_WHOLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)


class ExprError(Exception):
    pass


@lru_cache(maxsize=1)
def env() -> ImmutableSandboxedEnvironment:
    e = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    e.filters["round1"] = lambda v: round(float(v), 1)
    return e


def syntax_error(source: str, *, template: bool) -> str | None:
    """None if ``source`` parses as an expression (or template), else the message."""
    try:
        if template:
            env().parse(source)
        else:
            env().parse("{{ (" + source + ") }}")
    except TemplateSyntaxError as exc:
        return exc.message or str(exc)
    return None


def step_refs(source: str, *, template: bool) -> set[str]:
    """Names used as ``steps.<id>`` / ``outcomes.<id>`` in ``source`` (for lint)."""
    try:
        tree = env().parse(source if template else "{{ (" + source + ") }}")
    except TemplateSyntaxError:
        return set()
    return {n.attr for n in tree.find_all(nodes.Getattr)
            if isinstance(n.node, nodes.Name) and n.node.name in ("steps", "outcomes")}


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return env().compile_expression(source, undefined_to_none=False)


def evaluate(source: str, context: dict[str, Any]) -> Any:
    return _compiled(source)(**context)


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render a ``with:``/text value: a lone ``{{ expr }}`` keeps its type (a number
    stays a number); other strings are rendered as templates; others pass through."""
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if not isinstance(value, str) or "{" not in value:
        return value
    whole = _WHOLE_EXPR.match(value)
    if whole and "}}" not in whole.group(1) and "{{" not in whole.group(1):
        return evaluate(whole.group(1), context)
    return env().from_string(value).render(**context)
