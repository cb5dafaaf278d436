"""Runs a playbook: guide, ask, collect, check steps, then the escalation rule.

Collect steps run in worker processes under a timeout (``toolkit.run.isolation``);
consecutive collect steps that do not read each other's results run at the
same time. Every step ends ``ok | skipped | failed | timed_out`` with a
reason, and the run always goes on to the end.
"""

from __future__ import annotations

import functools
import json
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import UndefinedError

from toolkit.errors import BadInput, did_you_mean
from toolkit.i18n import t, translate
from toolkit.playbook import Escalation, Playbook, Step, expr
from toolkit.playbook.schema import severity_rank
from toolkit.playbook.trust import powers_of, refusal
from toolkit.plugins import Registry
from toolkit.run import words
from toolkit.run.answers import AnswerError, coerce, from_ticket
from toolkit.run.isolation import StepOutcome, execute, kill_all
from toolkit.run.records import (  # noqa: F401 - the import path others use
    RunOptions,
    RunResult,
    StepRecord,
    check_selection,
    deselected,
    platform_skip,
)
from toolkit.run.ui import NO_ANSWER, HeadlessUI


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Runner:
    def __init__(self, playbook: Playbook, registry: Registry, staging: Path,
                 options: RunOptions, ui: HeadlessUI) -> None:
        from toolkit import _platform

        self.pb, self.registry, self.staging = playbook, registry, staging
        self.opts, self.ui = options, ui
        self.lang = options.lang
        self.records: list[StepRecord] = []
        self.findings: list[dict[str, Any]] = []
        self.input_sources: dict[str, str] = {}
        self.ctx: dict[str, Any] = {"inputs": {}, "answers": {}, "steps": {}, "outcomes": {},
                                    "findings": self.findings, "lang": options.lang,
                                    "platform": _platform.NAME}
        check_selection(playbook, options)
        self._check_overrides()
        self._check_answers()

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

    def _bad(self, name: str, exc: AnswerError) -> BadInput:
        return BadInput(t("err.answer", "en", name=name, reason=exc),
                        t("err.answer_fix", "en"))

    def _check_answers(self) -> None:
        """Every answer that does not come from a person is checked now, before anything
        runs: a bad value in the answers file, or a required input nobody gives on an
        unattended run, is exit 2 with the key to write."""
        given = self.opts.answers
        for spec in self.pb.inputs:
            if spec.name in given:
                try:
                    coerce(given[spec.name], spec.type, spec.choices, spec.required)
                except AnswerError as exc:
                    raise self._bad(spec.name, exc) from None
            elif spec.required and not self.ui.interactive and \
                    spec.default in (None, "") and not self._from_ticket(spec)[0]:
                raise BadInput(t("err.required", "en", name=spec.name,
                                 prompt=spec.prompt.get("en")),
                               t("err.required_fix", "en", name=spec.name))
        for step in self.pb.steps:
            if step.id not in given or step.kind not in ("guide", "ask"):
                continue
            kind = "boolean" if step.kind == "guide" else step.answer_type
            try:
                coerce(given[step.id], kind, step.choices, step.required)
            except AnswerError as exc:
                raise self._bad(step.id, exc) from None

    def _from_ticket(self, spec: Any) -> tuple[str | None, str]:
        """The value the ticket, else the described problem, gives an input, and which of
        the two gave it ("ticket" | "symptom"); (None, "") when neither does."""
        if spec.from_ticket:
            for origin, texts in (("ticket", self.opts.ticket_text),
                                  ("symptom", (self.opts.described,))):
                found = from_ticket(spec.from_ticket, *texts) if any(texts) else None
                if found:
                    return found, origin
        return None, ""

    def _resolve_inputs(self) -> None:
        for spec in self.pb.inputs:
            source, value = "default", spec.default
            suggested, origin = self._from_ticket(spec)
            if suggested:
                source, value = origin, suggested
            if spec.name in self.opts.answers:
                source, value = "answers-file", self.opts.answers[spec.name]
            elif self.ui.interactive:
                got = self.ui.ask(spec.prompt.get(self.lang), value, spec.choices, spec.type,
                                  functools.partial(coerce, kind=spec.type, choices=spec.choices,
                                                    required=spec.required), spec.required,
                                  t(f"ui.from_{origin}", self.lang) if suggested else "")
                if got is not NO_ANSWER:
                    source = source if suggested and got == suggested else "user"
                    value = got
            self.input_sources[spec.name] = source
            if source != "user":
                value = coerce(value, spec.type, spec.choices)  # checked in _check_answers
            self.ctx["inputs"][spec.name] = value
            self.ctx["answers"][spec.name] = value

    # ------------------------------------------------------------------ steps
    def _position(self, step: Step) -> str:
        return f"[{step.index}/{len(self.pb.steps)}]"

    def _label(self, step: Step, shown: str = "") -> str:
        name = words.label(step, self.lang, shown)
        return f"{name} [{step.id}]" if self.opts.debug else name

    def _detail(self, rec: StepRecord, detail: str) -> str:
        text = detail or rec.note or translate(rec.reason, self.lang)
        if self.opts.debug and rec.reason and rec.reason != text:
            text = f"{text} [{rec.reason}]"
        return text

    def _finish(self, rec: StepRecord, detail: str = "", show: bool = True) -> None:
        rec.title = rec.title or words.label(rec.step, self.lang, rec.shown)
        self.records.append(rec)
        self.ctx["outcomes"][rec.step.id] = rec.outcome
        # A check that found nothing (or had nothing to look at) is not news for the person
        # at the keyboard: the manifest and --debug have it.
        quiet = rec.step.kind == "check" and not rec.fired and rec.outcome != "failed"
        # A guide step was just shown (and answered, if it asks): a second line repeating
        # it says nothing, except whether it fixed the problem.
        quiet = quiet or (rec.step.kind == "guide" and rec.outcome == "ok"
                          and not (rec.step.resolves and rec.answer_source == "user"))
        if show and (not quiet or self.opts.debug):
            shown = "finding" if rec.fired else rec.outcome
            self.ui.step_done(self._position(rec.step), self._label(rec.step, rec.shown), shown,
                              self._detail(rec, detail), rec.step.index)

    def _text(self, text: Any) -> str:
        """A guide or ask text, rendered: it may show what earlier steps found. If it
        cannot be rendered (missing data), the text is shown as written."""
        if text is None:
            return ""
        raw = text.get(self.lang)
        try:
            return str(expr.render(raw, self.ctx))
        except Exception:
            return raw

    def _gate(self, step: Step) -> tuple[str, str] | None:
        """Why this step does not run, (technical, in words), or None."""
        why = deselected(step, self.opts)
        if why:
            return why, t("why.skip_flag" if "--skip" in why else "why.only_flag", self.lang)
        if step.when:
            try:
                if not expr.evaluate(step.when, self.ctx):
                    return (f"condition is false: {step.when}",
                            words.when_false(step, self.pb, self.ctx, self.lang))
            except UndefinedError as exc:
                return (f"condition needs data that is missing: {exc.message}",
                        words.when_false(step, self.pb, self.ctx, self.lang))
            except Exception as exc:
                return f"condition could not be evaluated: {exc}", ""
        return None

    def _article(self, article_id: str | None) -> str:
        """'Knowledge base: KB-NET-001 “title”' in the run's language ("" without one)."""
        if not article_id:
            return ""
        from toolkit import kb

        try:
            title = kb.get(article_id).text(self.lang, "title")
        except BadInput:  # an article the site has not installed: its id still helps
            title = ""
        return t("run.article", self.lang, id=article_id, title=title)

    def _guide(self, step: Step) -> bool:
        rec = StepRecord(step, started=_now())
        text = rec.shown = self._text(step.text)
        article = self._article(step.kb)
        if step.id in self.opts.answers:
            answer = coerce(self.opts.answers[step.id], "boolean")  # checked up front
            rec.answer, rec.answer_source = bool(answer), "answers-file"
            rec.done = True
            self.ui.guide(step.index, text, False, article=article)
        else:
            got = self.ui.guide(step.index, text, step.resolves, step.default, article)
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
        self._finish(rec, t("outcome.fixed" if fixed else "outcome.not_fixed", self.lang)
                     if step.resolves else "")
        return fixed

    def _ask(self, step: Step) -> None:
        rec = StepRecord(step, started=_now())
        value, source = step.default, "default"
        rec.shown = self._text(step.text) or step.id
        if step.id in self.opts.answers:
            value, source = self.opts.answers[step.id], "answers-file"
        else:
            got = self.ui.ask(rec.shown, step.default, step.choices, step.answer_type,
                              lambda v: coerce(v, step.answer_type, step.choices,
                                               step.required), step.required)
            if got is not NO_ANSWER:
                value, source = got, "user"
        if value is None:
            rec.outcome, rec.reason = "skipped", "no answer and no default"
            rec.note = t("why.no_answer", self.lang)
        elif source != "user":
            try:  # the answers file was checked before the run; a playbook default was not
                value = coerce(value, step.answer_type, step.choices)
            except AnswerError as exc:
                rec.outcome, rec.reason = "failed", f"answer not usable: {exc}"
                rec.note = exc.text(self.lang)
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
        order = [rec for rec, _ in prepared]  # reported in playbook order, however they end
        finished = {id(rec) for rec, col in prepared if col is None}
        reported = 0

        def report() -> None:
            nonlocal reported
            while reported < len(order) and id(order[reported]) in finished:
                rec = order[reported]
                timing = f"{rec.duration_s:.1f}s" if rec.step.index in started else ""
                reason = rec.note or translate(rec.reason, self.lang) or self._found(rec)
                self._finish(rec, " — ".join(filter(None, [timing, reason])))
                reported += 1

        started: set[int] = set()

        def work(item: tuple[StepRecord, Any]) -> StepOutcome:
            rec, col = item
            limit = self.opts.timeout or rec.step.timeout or self.pb.timeout
            started.add(rec.step.index)
            self.ui.step_started(rec.step.index, self._position(rec.step),
                                 self._label(rec.step))
            try:
                return execute(col, rec.params, self.staging / "steps" / rec.step.label, limit)
            finally:
                self.ui.step_ended(rec.step.index)

        report()
        if not runnable:
            return
        self.ui.batch_started([(rec.step.index, self._position(rec.step), self._label(rec.step))
                               for rec, _ in runnable])
        pool = ThreadPoolExecutor(max_workers=min(4, len(runnable)))
        try:
            futures = {pool.submit(work, item): item for item in runnable}
            for fut in as_completed(futures):
                rec, _ = futures[fut]
                got = fut.result()
                rec.outcome, rec.reason, rec.result = got.outcome, got.reason, got.result
                rec.commands, rec.started = got.commands, got.started
                rec.duration_s, rec.traceback = got.duration_s, got.traceback
                if rec.outcome == "ok":
                    self.ctx["steps"][rec.step.id] = rec.result
                finished.add(id(rec))
                report()
        except BaseException:
            kill_all()  # Ctrl-C: stop the workers now, or shutdown() waits for their timeouts
            raise
        finally:
            pool.shutdown(wait=True)
            self.ui.batch_done()

    def _found(self, rec: StepRecord) -> str:
        """What a person should see of a result on the progress line: the article a
        knowledge-base search picked (id and title), else nothing."""
        articles = rec.result.get("articles") if isinstance(rec.result, dict) else None
        if rec.outcome == "ok" and isinstance(articles, list) and articles and \
                isinstance(articles[0], dict) and articles[0].get("id"):
            return t("run.article", self.lang, id=articles[0]["id"],
                     title=articles[0].get("title") or "")
        return ""

    def _check(self, step: Step) -> None:
        rec = StepRecord(step, started=_now())
        t0 = time.monotonic()
        try:
            value = expr.evaluate(step.expression or "", self.ctx)
            if value:
                scope = {**self.ctx, "value": value}
                finding = {
                    "id": step.id, "step": step.index, "severity": step.severity,
                    "finding": expr.render(step.text.get(self.lang), scope)
                    if step.text else "",
                    "recommend": expr.render(step.recommend.get(self.lang), scope)
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
            rec.note = words.missing_data(step.expression or "", self.pb, self.records,
                                          self.ctx["steps"], self.lang)
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
                fixer = next(r for r in self.records if r.step.id == resolved_by)
                rec = StepRecord(step, outcome="skipped",
                                 reason=f"not needed: step {resolved_by} fixed the problem",
                                 note=t("why.not_needed", self.lang, step=fixer.title))
                self._finish(rec, show=False)
                i += 1
                continue
            why_not = self._gate(step)
            if why_not:
                self._finish(StepRecord(step, outcome="skipped", reason=why_not[0],
                                        note=why_not[1], started=_now()))
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
        """The first escalation rule that is due: its target, and its reason — the
        rule's own (a template that may name ``finding``) or the text of the first of
        its findings that fired (findings are sorted most severe first)."""
        rules = self.pb.escalations or ((self.pb.escalate,) if self.pb.escalate else ())
        for esc in rules:
            try:
                due = expr.evaluate(esc.when, self.ctx)
            except Exception as exc:
                return {"needed": None, "to": esc.to, "error": f"escalate.when failed: {exc}"}
            if due:
                return self._escalate_to(esc)
        return None

    def _escalate_to(self, esc: Escalation) -> dict[str, Any]:
        # A rule without findings of its own: the most severe finding decides who acts
        # when its check names a target (a check's ``escalate:``), and the reason is
        # then what it found, not the playbook's general sentence.
        first = self.findings[0] if self.findings else None
        if not esc.findings and first is not None and first.get("escalate"):
            return {"needed": True, "to": first["escalate"], "resources": list(esc.resources),
                    "reason": first["finding"], "finding": first["id"],
                    "findings": [f["id"] for f in self.findings]}
        fired = next((f for f in self.findings if f["id"] in esc.findings), None)
        reason = fired["finding"] if fired and not esc.reason else ""
        if esc.reason:
            template = esc.reason.get(self.lang)
            try:  # a template: it may name what was found ("loss starts at hop 2")
                reason = str(expr.render(template, {**self.ctx, "finding": fired}))
            except Exception as exc:
                reason = f"{template} (reason template failed: {exc})"
        return {"needed": True, "to": esc.to, "resources": list(esc.resources),
                "reason": reason, "finding": fired["id"] if fired else None,
                "findings": [f["id"] for f in self.findings]}
