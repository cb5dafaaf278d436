"""Runs a playbook: guide, ask, collect, check steps, then the escalation rule.

Collect steps run in worker processes under a timeout (``toolkit.run.isolation``);
consecutive collect steps that do not read each other's results run at the
same time. Every step ends ``ok | skipped | failed | timed_out`` with a
reason, and the run always goes on to the end.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import UndefinedError

from toolkit.errors import BadInput, did_you_mean
from toolkit.playbook import Playbook, Step, expr
from toolkit.playbook.schema import severity_rank
from toolkit.playbook.trust import Trust, powers_of, refusal
from toolkit.plugins import Registry
from toolkit.run.isolation import StepOutcome, execute, kill_all
from toolkit.run.ui import NO_ANSWER, HeadlessUI


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

    def as_manifest(self, files: list[str]) -> dict[str, Any]:
        s = self.step
        out: dict[str, Any] = {"index": s.index, "id": s.id, "kind": s.kind,
                               "outcome": self.outcome, "reason": self.reason,
                               "started": self.started, "duration_s": round(self.duration_s, 3)}
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


def platform_skip(collector: Any, params: dict[str, Any]) -> str | None:
    """Why the collector cannot run on this OS, or None. A saved output (``source=``)
    is read anywhere: L2 on Linux analyses the Windows export a user sent."""
    from toolkit import _platform

    if _platform.NAME in collector.platforms or params.get("source"):
        return None
    return f"{collector.name} does not run on {_platform.NAME}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _coerce_answer(value: Any, kind: str, choices: tuple[Any, ...]) -> Any:
    try:
        if kind == "integer":
            value = int(value)
        elif kind == "number":
            value = float(value)
        elif kind == "boolean" and not isinstance(value, bool):
            value = str(value).strip().lower() in ("1", "true", "yes", "y", "on")
    except (TypeError, ValueError):
        raise ValueError(f"expected {kind}, got {value!r}") from None
    if choices and value not in choices:
        raise ValueError(f"expected one of {', '.join(map(str, choices))}, got {value!r}")
    return value


class Runner:
    def __init__(self, playbook: Playbook, registry: Registry, staging: Path,
                 options: RunOptions, ui: HeadlessUI) -> None:
        self.pb, self.registry, self.staging = playbook, registry, staging
        self.opts, self.ui = options, ui
        self.records: list[StepRecord] = []
        self.findings: list[dict[str, Any]] = []
        self.input_sources: dict[str, str] = {}
        self.ctx: dict[str, Any] = {"inputs": {}, "answers": {}, "steps": {}, "outcomes": {},
                                    "findings": self.findings, "lang": options.lang}
        self._check_overrides()

    # ------------------------------------------------------------------ set-up
    def _check_overrides(self) -> None:
        collect_steps = {s.id: s for s in self.pb.steps if s.kind == "collect"}
        for step_id, params in self.opts.overrides.items():
            step = collect_steps.get(step_id)
            if step is None:
                raise BadInput(f"-p {step_id}.…: playbook {self.pb.id} has no collect step "
                               f"'{step_id}'{did_you_mean(step_id, list(collect_steps))}",
                               "'supportkit run --plan' lists the step ids")
            try:
                self.registry.get(step.collector or "").resolve_params(params)
            except ValueError as exc:
                raise BadInput(f"-p {step_id}.…: {exc}", "fix the -p value") from None

    def _resolve_inputs(self) -> None:
        for spec in self.pb.inputs:
            source, value = "default", spec.default
            if spec.name in self.opts.answers:
                source, value = "answers-file", self.opts.answers[spec.name]
            elif self.ui.interactive:
                got = self.ui.ask(spec.prompt.get(self.opts.lang), spec.default, spec.choices)
                if got is not NO_ANSWER:
                    source, value = "user", got
            self.input_sources[spec.name] = source
            if value is not None:
                try:
                    value = _coerce_answer(value, spec.type, spec.choices)
                except ValueError as exc:
                    raise BadInput(f"input '{spec.name}': {exc}", "fix the answers file") from None
            self.ctx["inputs"][spec.name] = value
            self.ctx["answers"][spec.name] = value

    # ------------------------------------------------------------------ steps
    def _position(self, step: Step) -> str:
        return f"[{step.index}/{len(self.pb.steps)}]"

    def _label(self, step: Step) -> str:
        if step.kind == "collect":
            return f"collect {step.collector}" + (f" ({step.id})" if step.id != (
                step.collector or "").replace(".", "_") else "")
        return f"{step.kind} {step.id}"

    def _finish(self, rec: StepRecord, detail: str = "") -> None:
        self.records.append(rec)
        self.ctx["outcomes"][rec.step.id] = rec.outcome
        shown = "finding" if rec.fired else rec.outcome
        self.ui.step_done(self._position(rec.step), self._label(rec.step), shown,
                          detail or rec.reason)

    def _text(self, text: Any) -> str:
        """A guide or ask text, rendered: it may show what earlier steps found. If it
        cannot be rendered (missing data), the text is shown as written."""
        if text is None:
            return ""
        raw = text.get(self.opts.lang)
        try:
            return str(expr.render(raw, self.ctx))
        except Exception:
            return raw

    def _gate(self, step: Step) -> str | None:
        """Why this step does not run, or None."""
        why = deselected(step, self.opts)
        if why:
            return why
        if step.when:
            try:
                if not expr.evaluate(step.when, self.ctx):
                    return f"condition is false: {step.when}"
            except UndefinedError as exc:
                return f"condition needs data that is missing: {exc.message}"
            except Exception as exc:
                return f"condition could not be evaluated: {exc}"
        return None

    def _guide(self, step: Step) -> bool:
        rec = StepRecord(step, started=_now())
        text = rec.shown = self._text(step.text)
        if step.id in self.opts.answers:
            rec.answer, rec.answer_source = bool(self.opts.answers[step.id]), "answers-file"
            rec.done = True
            self.ui.guide(step.index, text, False)
        else:
            got = self.ui.guide(step.index, text, step.resolves)
            if got is NO_ANSWER:
                rec.answer, rec.answer_source = (step.default if step.resolves else None,
                                                 "default" if step.resolves else None)
                # A person at the terminal saw a plain instruction and pressed Enter;
                # unattended, nobody did anything.
                rec.done = self.ui.interactive and not step.resolves
            else:
                rec.answer, rec.answer_source, rec.done = bool(got), "user", True
        fixed = bool(step.resolves and rec.answer)
        self.ctx["answers"][step.id] = rec.answer
        self._finish(rec, "fixed it" if fixed else ("not fixed" if step.resolves else ""))
        return fixed

    def _ask(self, step: Step) -> None:
        rec = StepRecord(step, started=_now())
        value, source = step.default, "default"
        if step.id in self.opts.answers:
            value, source = self.opts.answers[step.id], "answers-file"
        else:
            got = self.ui.ask(self._text(step.text) or step.id, step.default, step.choices)
            if got is not NO_ANSWER:
                value, source = got, "user"
        if value is None:
            rec.outcome, rec.reason = "skipped", "no answer and no default"
        else:
            try:
                value = _coerce_answer(value, step.answer_type, step.choices)
            except ValueError as exc:
                if source == "answers-file":
                    raise BadInput(f"answer for '{step.id}': {exc}",
                                   "fix the answers file") from None
                rec.outcome, rec.reason = "failed", f"answer not usable: {exc}"
        rec.answer, rec.answer_source = value, source
        self.ctx["answers"][step.id] = value if rec.outcome == "ok" else None
        self._finish(rec)

    def _prepare_collect(self, step: Step) -> tuple[StepRecord, Any]:
        rec = StepRecord(step, started=_now())
        collector = self.registry.collectors.get(step.collector or "")
        if collector is None:
            rec.outcome, rec.reason = "failed", f"collector {step.collector} is not installed"
            return rec, None
        try:
            raw = expr.render(dict(step.params), self.ctx)
            raw.update(self.opts.overrides.get(step.id, {}))
            rec.params = collector.resolve_params(raw)
        except UndefinedError as exc:
            rec.outcome, rec.reason = "skipped", f"parameters need missing data: {exc.message}"
            return rec, None
        except Exception as exc:
            rec.outcome, rec.reason = "failed", f"bad parameters: {exc}"
            return rec, None
        why_not = platform_skip(collector, rec.params)
        if why_not:
            rec.outcome, rec.reason = "skipped", why_not
            return rec, None
        # Powers are judged on what the playbook asks (its own with: values), not on
        # what the person at the keyboard added with -p.
        powers = powers_of(collector, dict(step.params))
        if powers and not self.opts.trust.trusted:
            rec.outcome, rec.reason = "skipped", refusal(collector.name, powers, self.opts.trust)
            return rec, None
        return rec, collector

    def _collect_batch(self, steps: list[Step]) -> None:
        prepared = [self._prepare_collect(s) for s in steps]
        runnable = [(rec, col) for rec, col in prepared if col is not None]
        for rec, col in prepared:
            if col is None:
                self._finish(rec)
        if not runnable:
            return

        def work(item: tuple[StepRecord, Any]) -> StepOutcome:
            rec, col = item
            limit = self.opts.timeout or rec.step.timeout or self.pb.timeout
            self.ui.step_started(self._label(rec.step))
            return execute(col, rec.params, self.staging / "steps" / rec.step.label, limit)

        pool = ThreadPoolExecutor(max_workers=min(4, len(runnable)))
        try:
            futures = [(item, pool.submit(work, item)) for item in runnable]
            for (rec, _), fut in futures:
                got = fut.result()
                rec.outcome, rec.reason, rec.result = got.outcome, got.reason, got.result
                rec.commands, rec.started = got.commands, got.started
                rec.duration_s, rec.traceback = got.duration_s, got.traceback
                if rec.outcome == "ok":
                    self.ctx["steps"][rec.step.id] = rec.result
                self._finish(rec, f"{rec.duration_s:.1f}s" + (f" — {rec.reason}"
                                                              if rec.reason else ""))
        except BaseException:
            kill_all()  # Ctrl-C: stop the workers now, or shutdown() waits for their timeouts
            raise
        finally:
            pool.shutdown(wait=True)

    def _check(self, step: Step) -> None:
        rec = StepRecord(step, started=_now())
        t0 = time.monotonic()
        try:
            value = expr.evaluate(step.expression or "", self.ctx)
            if value:
                scope = {**self.ctx, "value": value}
                finding = {
                    "id": step.id, "step": step.index, "severity": step.severity,
                    "finding": expr.render(step.text.get(self.opts.lang), scope)
                    if step.text else "",
                    "recommend": expr.render(step.recommend.get(self.opts.lang), scope)
                    if step.recommend else "",
                    "kb": step.kb,
                    "next": step.next,
                }
                if step.escalate:  # a template too: the target may follow what was found
                    target = str(expr.render(step.escalate, scope)).strip()
                    if target:
                        finding["escalate"] = target
                self.findings.append(finding)
                rec.fired, rec.result = True, finding
        except UndefinedError as exc:
            rec.outcome, rec.reason = "skipped", self._missing_data(step.expression or "", exc)
        except Exception as exc:
            rec.outcome, rec.reason = "failed", f"check could not be evaluated: {exc}"
        rec.duration_s = time.monotonic() - t0
        self._finish(rec, rec.result.get("finding", "") if rec.fired else "")

    def _missing_data(self, source: str, exc: UndefinedError) -> str:
        """Why a check has nothing to look at, in terms of the steps it reads."""
        missing = [ref for ref in sorted(expr.step_refs(source, template=False))
                   if ref not in self.ctx["steps"]]
        if not missing:
            return f"no data to check: {exc.message}"
        states = []
        for ref in missing:
            rec = next((r for r in self.records if r.step.id == ref), None)
            states.append(f"step '{ref}' {rec.outcome}" + (f" ({rec.reason})" if rec.reason
                                                           else "") if rec
                          else f"step '{ref}' has not run")
        return "no data to check: " + "; ".join(states)

    def _independent(self, batch: list[Step], step: Step) -> bool:
        """Can ``step`` run alongside ``batch``? Not if it reads results of the batch."""
        text = json.dumps(dict(step.params)) + (step.when or "")
        refs = expr.step_refs(text, template=True) if "{" in text else set()
        if step.when:
            refs |= expr.step_refs(step.when, template=False)
        return not refs & {s.id for s in batch}

    # ------------------------------------------------------------------ the run
    def run(self) -> RunResult:
        started = _now()
        self._resolve_inputs()
        resolved_by: str | None = None
        steps = list(self.pb.steps)
        i = 0
        while i < len(steps):
            step = steps[i]
            if resolved_by:
                rec = StepRecord(step, outcome="skipped",
                                 reason=f"not needed: step {resolved_by} fixed the problem")
                self.records.append(rec)
                i += 1
                continue
            why_not = self._gate(step)
            if why_not:
                self._finish(StepRecord(step, outcome="skipped", reason=why_not, started=_now()))
                i += 1
                continue
            if step.kind == "collect":
                batch = [step]
                while (i + len(batch) < len(steps) and steps[i + len(batch)].kind == "collect"
                       and not steps[i + len(batch)].when
                       and self._independent(batch, steps[i + len(batch)])):
                    nxt = steps[i + len(batch)]
                    if self._gate(nxt):
                        break
                    batch.append(nxt)
                self._collect_batch(batch)
                i += len(batch)
                continue
            if step.kind == "guide":
                if self._guide(step):
                    resolved_by = step.id
            elif step.kind == "ask":
                self._ask(step)
            else:
                self._check(step)
            i += 1
        self.records.sort(key=lambda r: r.step.index)
        self.findings.sort(key=lambda f: (severity_rank(f["severity"]), f["step"]))
        return RunResult(self.pb, self.records, self.findings, dict(self.ctx["inputs"]),
                         None if resolved_by else self._escalation(), resolved_by, started,
                         _now(), self.staging, dict(self.input_sources))

    def _escalation(self) -> dict[str, Any] | None:
        esc = self.pb.escalate
        if esc is None:
            return None
        try:
            due = expr.evaluate(esc.when, self.ctx)
        except Exception as exc:
            return {"needed": None, "to": esc.to, "error": f"escalate.when failed: {exc}"}
        if not due:
            return None
        # The most severe finding decides who acts when its check names a target: the
        # reason is then what it found (its text), not the playbook's general sentence.
        first = self.findings[0] if self.findings else None
        if first is not None and first.get("escalate"):
            return {"needed": True, "to": first["escalate"], "resources": list(esc.resources),
                    "reason": first["finding"], "decided_by": first["id"],
                    "findings": [f["id"] for f in self.findings]}
        reason = ""
        if esc.reason:
            try:  # a template: it may name what was found ("loss starts at hop 2")
                reason = str(expr.render(esc.reason.get(self.opts.lang), self.ctx))
            except Exception as exc:
                reason = f"{esc.reason.get(self.opts.lang)} (reason template failed: {exc})"
        return {"needed": True, "to": esc.to, "resources": list(esc.resources),
                "reason": reason,
                "findings": [f["id"] for f in self.findings]}
