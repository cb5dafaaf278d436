"""What a run is made of: its options, one record per step, the result; and the rules
that leave steps out (``--only``/``--skip``, the platform), which the run and
``--plan`` share. ``toolkit.run.runner`` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput, did_you_mean
from toolkit.i18n import t
from toolkit.playbook import Playbook, Step
from toolkit.playbook.trust import Trust


@dataclass
class RunOptions:
    answers: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None  # --timeout: replaces every step's limit
    only: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    lang: str = "en"
    # May this playbook use collectors with powers (toolkit.playbook.trust)? The CLI decides.
    trust: Trust = Trust(False, "nobody said the playbook is trusted")
    # The ticket's title, description and error message: inputs with from_ticket: read them.
    ticket_text: tuple[str, ...] = ()
    # The problem as described for routing (run --symptom, or typed at the prompt): read
    # after the ticket's texts, and what a ``from_ticket: text`` input is filled with.
    described: str = ""
    debug: bool = False  # --debug: expressions and ids on the terminal too


@dataclass
class StepRecord:
    step: Step
    outcome: str = "ok"
    reason: str = ""
    started: str = ""
    duration_s: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    traceback: str | None = None
    answer: Any = None
    answer_source: str | None = None  # user | answers-file | default
    done: bool | None = None  # guide steps: did a person (or an answers file) take it?
    fired: bool = False  # a check that produced a finding
    shown: str = ""  # the guide or ask text as the person saw it (rendered)
    note: str = ""  # the reason in words, in the run's language (reason stays technical)
    title: str = ""  # the step as the person saw it named

    def as_manifest(self, files: list[str]) -> dict[str, Any]:
        s = self.step
        out: dict[str, Any] = {"index": s.index, "id": s.id, "kind": s.kind,
                               "outcome": self.outcome, "reason": self.reason,
                               "started": self.started, "duration_s": round(self.duration_s, 3)}
        if self.title:
            out["title"] = self.title
        if self.note:
            out["reason_text"] = self.note
        if s.kind == "collect":
            out.update(collector=s.collector, params=self.params, commands=self.commands,
                       files=files)
        if s.kind in ("guide", "ask"):
            out.update(answer=self.answer, answer_source=self.answer_source)
        if s.kind == "guide" and self.outcome == "ok":
            out["done"] = bool(self.done)
        if s.kind == "check":
            out.update(expression=s.expression, fired=self.fired)
        return out


@dataclass
class RunResult:
    playbook: Playbook
    records: list[StepRecord]
    findings: list[dict[str, Any]]
    inputs: dict[str, Any]
    escalation: dict[str, Any] | None
    resolved_by: str | None
    started: str
    finished: str
    staging: Path
    input_sources: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if self.resolved_by:
            return "resolved"
        if any(r.outcome in ("failed", "timed_out") for r in self.records):
            return "incomplete"
        return "ok"

    def tried(self) -> list[dict[str, Any]]:
        """The self-help steps of the run (docs/support-process.md step 3), for the escalation.

        ``done`` says whether a person took the step: on a terminal, or answered in
        an answers file. An unattended run only shows the instruction to nobody:
        ``done`` is false, ``fixed`` null, and nothing downstream may count it as
        tried ("not done (unattended run)")."""
        out = []
        for r in self.records:
            if r.step.kind != "guide" or r.outcome != "ok":
                continue
            done = bool(r.done)
            out.append({"step": r.step.id,
                        "instruction": r.shown or (r.step.text.get() if r.step.text else ""),
                        "resolves": r.step.resolves,
                        "fixed": bool(r.answer) if r.step.resolves and done else None,
                        "done": done, "answer_source": r.answer_source})
        return out


def deselected(step: Step, opts: RunOptions) -> str | None:
    """Why --skip or --only leave this step out, or None (the run and --plan agree)."""
    names = {step.id, step.collector or "", step.kind}
    if step.id in opts.skip or (step.collector or "") in opts.skip:
        return "skipped by --skip"
    if opts.only and step.kind == "collect" and not names & opts.only:
        return "not selected by --only"
    return None


def check_selection(pb: Playbook, opts: RunOptions) -> None:
    """--only and --skip name steps (ids or collectors; --only also kinds): an unknown
    name is bad usage, before anything runs — never a run that silently does nothing."""
    names = {s.id for s in pb.steps} | {s.collector for s in pb.steps if s.collector}
    for flag, given, extra in (("--only", opts.only, {"collect", "guide", "ask", "check"}),
                               ("--skip", opts.skip, set())):
        unknown = sorted(given - names - extra)
        if unknown:
            hint = "; ".join(f"'{u}'{did_you_mean(u, names)}" for u in unknown)
            raise BadInput(t("err.unknown_ids", "en", flag=flag, playbook=pb.id, ids=hint),
                           t("err.unknown_fix", "en", playbook=pb.id))


def platform_skip(collector: Any, params: dict[str, Any]) -> str | None:
    """Why the collector cannot run on this OS, or None. A saved output (``source=``)
    is read anywhere: L2 on Linux analyses the Windows export a user sent."""
    from toolkit import _platform

    if _platform.NAME in collector.platforms or params.get("source"):
        return None
    return f"{collector.name} does not run on {_platform.NAME}"
