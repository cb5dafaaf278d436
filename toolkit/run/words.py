"""What a person reads about a step: its name and why it did not run, in their language.

The manifest keeps the technical reason (``condition is false: inputs.x and …``,
step ids); these are the words on the terminal and in the report: the step's
``title:`` or text for its name, the playbook's ``why:`` (or words derived from the
condition) for a skip. Expressions and ids are shown only with ``--debug``.
"""

from __future__ import annotations

from typing import Any

from toolkit.i18n import t, translate
from toolkit.i18n.collectors_zh import collector_title
from toolkit.playbook import Playbook, Step, expr


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


def label(step: Step, lang: str, shown: str = "") -> str:
    """The step as a person knows it: its title; a collect step's collector in words
    (and its name, which support staff search for); a guide or ask step's text."""
    if step.title:
        return _short(step.title.get(lang))
    if step.kind == "collect":
        name = step.collector or ""
        return t("label.collect", lang, title=collector_title(name, lang), collector=name)
    if step.kind in ("guide", "ask"):
        text = shown or (step.text.get(lang) if step.text else "")
        if text and "{" not in text:
            return f"“{_short(text, 48)}”"
        return t("label.guide", lang, n=step.index)
    return t("label.check", lang, n=step.index)


def when_false(step: Step, pb: Playbook, ctx: dict[str, Any], lang: str) -> str:
    """Why a step whose ``when:`` is false did not run, in words: the playbook's
    ``why:``, else what the condition reads (an input's question, a step's name)."""
    if step.why:
        try:
            why = str(expr.render(step.why.get(lang), ctx))
        except Exception:
            why = step.why.get(lang)
        return t("why.when", lang, why=why)
    found = expr.refs(step.when or "", ("inputs", "answers", "steps"))
    inputs = {i.name: i for i in pb.inputs}
    for root, name in found:
        if root in ("inputs", "answers") and name in inputs:
            return t("why.when_input", lang, prompt=_short(inputs[name].prompt.get(lang), 70))
    by_id = {s.id: s for s in pb.steps}
    for root, name in found:
        if root == "steps" and name in by_id:
            return t("why.when_step", lang, step=label(by_id[name], lang))
    return t("why.when_other", lang)


def outcome_word(outcome: str, lang: str) -> str:
    return t(f"outcome.{outcome}", lang) if outcome in (
        "ok", "skipped", "failed", "timed_out", "finding", "fixed", "not_fixed") else outcome


def missing_data(source: str, pb: Playbook, records: list[Any], have: dict[str, Any],
                 lang: str) -> str:
    """Why a check had nothing to look at, naming the steps it reads by their names."""
    by_id = {s.id: s for s in pb.steps}
    states = []
    for ref in sorted(expr.step_refs(source, template=False)):
        if ref in have:
            continue
        step = by_id.get(ref)
        name = label(step, lang) if step else ref
        rec = next((r for r in records if r.step.id == ref), None)
        if rec is None:
            states.append(t("why.not_run", lang, step=name))
        elif rec.note or rec.reason:
            states.append(t("why.state_reason", lang, step=name,
                            outcome=outcome_word(rec.outcome, lang),
                            reason=rec.note or translate(rec.reason, lang)))
        else:
            states.append(t("why.state", lang, step=name, outcome=outcome_word(rec.outcome, lang)))
    return t("why.missing", lang, states="; ".join(states) if states else "—")
