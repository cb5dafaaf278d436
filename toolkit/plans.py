"""What a step would touch, before it runs: ``Collector.planned(params)``.

Each collector declares ``plan(params) -> Plan`` (``toolkit.collector.Plan``): pure,
never touching the machine, from the step's parameters as far as they are known before
the run — a parameter that refers to another step's result is still its template text,
and the plan shows it as written. A collector without one gets a plan from
``Needs.commands``; a step with ``source=FILE`` reads that file and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from toolkit.collector import Collector, Plan

__all__ = ["Plan", "default_plan", "host_port", "is_template", "known", "listed", "number",
           "plan_for", "problems", "text"]
_NETWORK = re.compile(r"^.+(:.+/(tcp|udp)|/icmp)$")


def is_template(value: Any) -> bool:
    """A parameter still in its playbook form (``{{ steps.routes.default_gateway }}``)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def known(value: Any) -> bool:
    """Whether a parameter's value is known before the run (set, and not a template)."""
    return value not in (None, "", [], ()) and not is_template(value)


def text(value: Any, default: str = "") -> str:
    """A parameter as it goes into an argv: a number as its command-line form (``0.5``,
    ``10``), a template or anything else as written."""
    if value is None:
        return default
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def listed(value: Any) -> list[str]:
    """A list parameter's items as text; a template stands for the whole list."""
    if isinstance(value, (list, tuple)):
        return [text(v) for v in value]
    return [text(value)] if value not in (None, "") else []


def number(value: Any, default: float) -> float:
    """A numeric parameter, or ``default`` while it is still a template."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def host_port(host: Any, port: Any, proto: str) -> str:
    """A network target as plans write it: ``host:port/tcp``, IPv6 in brackets."""
    shown = text(host, "HOST")
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"{shown}:{text(port, 'PORT')}/{proto}"


def default_plan(collector: Collector) -> Plan:
    commands = [[c] for c in collector.needs.commands]
    notes = [f"{collector.name} declares no plan: the commands it needs are listed, "
             "not their arguments"] if commands else []
    return Plan(commands=commands, notes=notes)


def plan_for(collector: Collector, params: Mapping[str, Any]) -> Plan:
    source = params.get("source")
    if source and collector.sources:
        return Plan(files=[text(source)],
                    notes=["reads the saved output as " + " or ".join(
                        s.format for s in collector.sources) + "; runs nothing on this machine"])
    if collector.plan is None:
        return default_plan(collector)
    got = collector.plan(dict(params))
    wrong = problems(got)
    if wrong:
        raise TypeError(f"{collector.name}.plan() returned {'; '.join(wrong)}")
    return got


def problems(plan: Any) -> list[str]:
    """What makes ``plan`` not a well-formed Plan (empty: nothing)."""
    if not isinstance(plan, Plan):
        return [f"{type(plan).__name__}, not a Plan"]
    out = []
    for name in ("commands", "files", "network", "notes"):
        value = getattr(plan, name)
        if not isinstance(value, list):
            out.append(f"{name} is a {type(value).__name__}, not a list")
    if out:
        return out
    for argv in plan.commands:
        if not isinstance(argv, list) or not argv or not all(
                isinstance(a, str) for a in argv) or not argv[0]:
            out.append(f"command {argv!r} is not a non-empty argv list of strings")
    for name in ("files", "notes"):
        out += [f"{name} entry {v!r} is not a non-empty string"
                for v in getattr(plan, name) if not isinstance(v, str) or not v]
    out += [f"network target {v!r} is not host:port/tcp|udp or host/icmp"
            for v in plan.network if not isinstance(v, str) or not _NETWORK.match(v)]
    return out
