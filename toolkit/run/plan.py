"""What ``run --plan`` shows of a collect step before anything runs.

A step's parameters are known as far as an unattended run would know them at the start:
the playbook's inputs come from the answers file or their defaults, so ``{{ inputs.target
}}`` is rendered; a parameter that needs another step's result (``{{ steps.routes.
default_gateway }}``) is shown as written. The collector's ``plan()`` then says which
commands, files and network targets those parameters mean (``toolkit.plans``).
"""

from __future__ import annotations

from typing import Any

from toolkit.collector import Collector, Plan
from toolkit.plans import is_template
from toolkit.playbook import Playbook, Step, expr
from toolkit.run.answers import coerce


def inputs(pb: Playbook, answers: dict[str, Any]) -> dict[str, Any]:
    """The playbook's inputs as an unattended run takes them (answers file, else default)."""
    out: dict[str, Any] = {}
    for spec in pb.inputs:
        value = answers.get(spec.name, spec.default)
        if value is not None:
            try:
                value = coerce(value, spec.type, spec.choices)
            except ValueError:
                pass  # the run refuses it; the plan shows it as given
        out[spec.name] = value
    return out


def context(pb: Playbook, answers: dict[str, Any], lang: str) -> dict[str, Any]:
    """What a step's templates may use before the run: inputs and answers, no results."""
    known = inputs(pb, answers)
    return {"inputs": known, "answers": {**answers, **known}, "steps": {}, "outcomes": {},
            "findings": [], "lang": lang}


def _templated(value: Any) -> bool:
    if isinstance(value, dict):
        return any(map(_templated, value.values()))
    if isinstance(value, list):
        return any(map(_templated, value))
    return is_template(value)


def params(collector: Collector, step: Step, overrides: dict[str, str],
           ctx: dict[str, Any]) -> dict[str, Any]:
    """The step's parameters as far as they are known: defaults, then its ``with:``
    rendered where only inputs are needed (else as written), then ``-p`` overrides;
    each coerced to its type where it is no template."""
    out = collector.defaults()
    given: dict[str, Any] = {}
    for key, value in step.params.items():
        try:
            given[key] = expr.render(value, ctx)
        except Exception:  # it needs what an earlier step finds: shown as written
            given[key] = value
    given.update(overrides)
    for key, value in given.items():
        spec = collector.param(key)
        if spec is not None and not _templated(value):
            try:
                value = spec.coerce(value)
            except ValueError:
                pass  # the run refuses it with the reason
        out[key] = value
    return out


def step_plan(collector: Collector | None, step: Step, overrides: dict[str, str],
              ctx: dict[str, Any]) -> Plan:
    if collector is None:
        return Plan(notes=[f"collector {step.collector} is not installed"])
    try:
        return collector.planned(params(collector, step, overrides, ctx))
    except Exception as exc:  # a plugin's plan() must not stop the whole plan
        return Plan(notes=[f"{collector.name} could not say what it would run: "
                           f"{type(exc).__name__}: {exc}"])
