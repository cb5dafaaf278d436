"""The support workflow on a ticket store: intake, notes, moves, evidence,
escalation, solution, verification, closure (docs/support-process.md steps 1–6).

Each operation is one read-modify-write on the store (``store.modify``), so
concurrent writers never lose each other's changes, and each writes what it
did to the ticket's append-only history, with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput
from toolkit.tickets import lifecycle
from toolkit.tickets.config import LEVELS, PRIORITIES, TicketConfig
from toolkit.tickets.model import CATEGORIES, Attachment, Escalation, Intake, Note, Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store import AttachRequest, Changes, TicketStore, utc_key


def parse_time(text: str, cal: Calendar, option: str) -> datetime:
    """ISO 8601 (``2026-11-25T14:30+08:00``, ``2026-11-25 14:30``); without an
    offset the time is in the configured time zone."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a date and time",
                       "write it as 2026-11-25T14:30 or 2026-11-25T14:30+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=cal.tz)
    return moment


def _choice(value: str | None, options: tuple[str, ...], option: str) -> str | None:
    if value is None or value == "":
        return None
    v = value.strip().lower()
    if v not in options:
        raise BadInput(f"{option} {value!r} is not one of {', '.join(options)}",
                       f"use one of: {', '.join(options)}")
    return v


# --------------------------------------------------------------------------- intake

def new_ticket(store: TicketStore, cfg: TicketConfig, intake: Intake, by: str,
               now: datetime | None = None) -> Ticket:
    """Record a case (docs/support-process.md steps 1–2): classify it when no category is given,
    work out the priority, and start the response and resolution clocks."""
    from toolkit.tickets import classify

    if not intake.title.strip():
        raise BadInput("a ticket needs a title", "give --title 'what happens, in a few words'")
    cal = Calendar(cfg)
    now = (now or datetime.now(timezone.utc)).astimezone(cal.tz)
    category = _choice(intake.category, CATEGORIES, "--category")
    impact = _choice(intake.impact, LEVELS, "--impact")
    urgency = _choice(intake.urgency, LEVELS, "--urgency")
    given = _choice(intake.priority, PRIORITIES, "--priority")
    reported = parse_time(intake.reported_at, cal, "--reported-at") if intake.reported_at \
        else now
    if reported > now + timedelta(minutes=5):
        raise BadInput(f"--reported-at {intake.reported_at} is in the future",
                       "give the time the user reported the problem")
    occurred = parse_time(intake.occurred_at, cal, "--occurred-at") if intake.occurred_at \
        else None
    text = " ".join(filter(None, [intake.title, intake.description, intake.error_message]))
    found = classify.classify(text)
    subcategory = intake.subcategory
    classification: dict[str, Any] = {"source": "given" if category else "dictionary"}
    if category is None:
        category, subcategory = found["category"], subcategory or found["subcategory"]
        classification.update(confidence=found["confidence"], matched=found["matched"])
    elif subcategory is None and found["category"] == category:
        subcategory = found["subcategory"]
    question = category == "howto"  # docs/support-process.md: questions and suggestions are low
    impact = impact or ("low" if question else "medium")
    urgency = urgency or ("low" if question else "medium")
    priority = given or cfg.matrix[impact][urgency]
    stamp = iso(now.astimezone(timezone.utc))

    def build(ticket_id: str) -> Ticket:
        return Ticket(
            id=ticket_id, title=intake.title.strip(), created_at=stamp, updated_at=stamp,
            reported_at=iso(reported), occurred_at=iso(occurred) if occurred else None,
            description=intake.description, error_message=intake.error_message,
            reporter=intake.reporter, channel=intake.channel, category=category,
            subcategory=subcategory, playbook=classify.playbook_for(category, subcategory),
            classification=classification, impact=impact, urgency=urgency, priority=priority,
            priority_source="given" if given else "matrix",
            response_due=iso(cal.response_due(reported, priority)),
            resolution_due=iso(cal.resolution_due(reported, priority)),
            environment=intake.environment)
    return store.create(build, by)


def collect_environment(timeout: float = 15.0) -> dict[str, Any]:
    """The environment facts of docs/support-process.md step 1 from the ``system.info`` collector,
    run isolated under a short timeout; ``{"error": …}`` when that fails."""
    import shutil
    import tempfile

    from toolkit.plugins import load
    from toolkit.run.isolation import execute

    try:
        collector = load().get("system.info")
    except Exception as exc:  # no such collector (a stripped install)
        return {"error": f"system.info unavailable: {exc}"}
    work = Path(tempfile.mkdtemp(prefix="supportkit-intake-"))
    try:
        got = execute(collector, collector.resolve_params({"sample_s": 0.2})
                      if collector.param("sample_s") else collector.defaults(), work, timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if got.outcome != "ok":
        return {"error": f"system.info {got.outcome}: {got.reason}"}
    r = got.result
    os_ = r.get("os") or {}
    cpu = r.get("cpu") or {}
    return {"collected_by": "system.info", "hostname": r.get("hostname"),
            "os": os_.get("pretty_name"), "os_version": os_.get("version"),
            "kernel": r.get("kernel"), "machine": os_.get("machine"),
            "cpu": cpu.get("model"), "cpus": cpu.get("logical"),
            "memory_bytes": (r.get("memory") or {}).get("total_bytes"),
            "python": (r.get("python") or {}).get("version"),
            "timezone": (r.get("timezone") or {}).get("name"), "user": r.get("user"),
            "boot_time": r.get("boot_time")}


# --------------------------------------------------------------------------- helpers

def _touch(t: Ticket, ch: Changes) -> None:
    """A person acted on the ticket: the first response, and L2's answer to an
    escalation when someone other than the escalating engineer acts."""
    if t.responded_at is None:
        t.responded_at = ch.at
    for esc in t.escalations:
        if esc.responded_at is None and ch.by != esc.by:
            esc.responded_at = ch.at


def _move(t: Ticket, ch: Changes, target: str, **detail: Any) -> None:
    lifecycle.check(t.id, t.status, target)
    ch.log("status", **{"from": t.status, "to": target}, **detail)
    t.status = target
    if target == "resolved":
        t.resolved_at = ch.at
    elif target == "reopened":
        t.resolved_at = None
    elif target == "closed":
        t.closed_at = ch.at


def add_note(store: TicketStore, ticket_id: str, text: str, by: str,
             kind: str = "note") -> Ticket:
    if not text.strip():
        raise BadInput("the note is empty", "give the text with --text")

    def change(t: Ticket, ch: Changes) -> None:
        ch.notes.append(Note(ch.at, by, text.strip(), kind))
        ch.log("note", kind=kind, text=text.strip())
        _touch(t, ch)
    return store.modify(ticket_id, change, by)


def move(store: TicketStore, ticket_id: str, target: str, by: str,
         assignee: str | None = None) -> Ticket:
    """A plain status move (triage, start work, wait for the user); moves that
    need data have their own command (escalate, resolve, close, reopen)."""
    if target in lifecycle.COMMAND_FOR and target != "reopened":
        raise BadInput(f"moving to {target} needs its details",
                       f"use 'supportkit {lifecycle.COMMAND_FOR[target]}'")

    def change(t: Ticket, ch: Changes) -> None:
        _move(t, ch, target)
        if assignee is not None and assignee != t.assignee:
            ch.log("assigned", **{"from": t.assignee, "to": assignee})
            t.assignee = assignee
        _touch(t, ch)
    return store.modify(ticket_id, change, by)


@dataclass
class Update:
    """Field changes (the team lead's review of docs/support-process.md step 2)."""

    category: str | None = None
    subcategory: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    assignee: str | None = None


def update(store: TicketStore, cfg: TicketConfig, ticket_id: str, req: Update,
           by: str) -> Ticket:
    from toolkit.tickets import classify

    category = _choice(req.category, CATEGORIES, "--category")
    impact = _choice(req.impact, LEVELS, "--impact")
    urgency = _choice(req.urgency, LEVELS, "--urgency")
    given = _choice(req.priority, PRIORITIES, "--priority")
    cal = Calendar(cfg)

    def change(t: Ticket, ch: Changes) -> None:
        before = {k: getattr(t, k) for k in ("category", "subcategory", "impact", "urgency",
                                             "priority", "assignee")}
        if category:
            t.category, t.subcategory = category, req.subcategory
            t.classification = {"source": "given"}
        elif req.subcategory:
            t.subcategory = req.subcategory
        t.playbook = classify.playbook_for(t.category, t.subcategory) or t.playbook
        t.impact, t.urgency = impact or t.impact, urgency or t.urgency
        if given:
            t.priority, t.priority_source = given, "given"
        elif (impact or urgency) and t.priority_source == "matrix":
            t.priority = cfg.matrix[t.impact][t.urgency]
        if req.assignee is not None:
            t.assignee = req.assignee
        if t.priority != before["priority"]:  # the clocks still run from the report
            start = datetime.fromisoformat(t.reported_at)
            t.response_due = iso(cal.response_due(start, t.priority))
            t.resolution_due = iso(cal.resolution_due(start, t.priority))
        after = {k: getattr(t, k) for k in before}
        diff = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
        if diff:
            ch.log("updated", **diff)
            _touch(t, ch)
    return store.modify(ticket_id, change, by)


# --------------------------------------------------------------------------- evidence

def _inspect(path: Path) -> dict[str, Any]:
    """Verify a bundle (every hash) and take what the ticket needs from it."""
    from toolkit.evidence import bundle

    v = bundle.verify(path)
    if not v.ok:
        raise BadInput(f"the bundle fails verification: {v.problems[0]}"
                       + (f" (and {len(v.problems) - 1} more)" if len(v.problems) > 1 else ""),
                       "run 'supportkit bundle verify' on it; attach an intact bundle")
    manifest, findings, _ = bundle.read(path, results=False)  # the ticket needs no result
    pb = manifest.get("playbook") or {}
    return {"playbook": pb.get("id"), "outcome": manifest.get("outcome"),
            "resolved_by": manifest.get("resolved_by"), "tried": _tried(manifest),
            "findings": findings.get("findings") or [],
            "escalation": findings.get("escalation"),
            "host": (manifest.get("host") or {}).get("hostname"),
            "created": manifest.get("created")}


def _tried(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's self-help steps, each saying whether a person took it. Bundles
    written before ``done`` was recorded say it in their steps' ``answer_source``: a
    step answered by its default was taken by nobody."""
    tried = [dict(x) for x in manifest.get("tried") or [] if isinstance(x, dict)]
    sources = {s.get("id"): s.get("answer_source") for s in manifest.get("steps") or []
               if isinstance(s, dict)}
    for step in tried:
        if "done" not in step and sources.get(step.get("step")) == "default":
            step.update(done=False, fixed=None)
    return tried


def attach(store: TicketStore, ticket_id: str, bundle_path: Path, by: str
           ) -> tuple[Ticket, Attachment, bool]:
    if not bundle_path.is_file():
        raise BadInput(f"{bundle_path}: no such file", "give the path of a bundle .zip")

    def then(t: Ticket, ch: Changes, att: Attachment) -> None:
        _touch(t, ch)
    return store.attach(AttachRequest(ticket_id, bundle_path, by, "attach", _inspect, then))


def _instruction(run_result: Any, step_id: str) -> str:
    for rec in run_result.records:
        if rec.step.id == step_id and rec.step.text:
            return str(rec.step.text.get())
    return step_id


def record_run(store: TicketStore, ticket_id: str, bundle_path: Path, run_result: Any,
               by: str | None = None) -> Ticket:
    """Attach the bundle of ``supportkit run --ticket ID`` and record the run: the
    guide steps answered "not fixed" become tried steps (they are in the bundle's
    manifest); a guide step answered "fixed" resolves the ticket with that step as
    the solution, along the allowed moves (each one in the history)."""
    from toolkit.tickets.model import os_user

    who = by or os_user()

    def then(t: Ticket, ch: Changes, att: Attachment) -> None:
        att.source = "run"
        ch.log("run", playbook=att.playbook, outcome=run_result.outcome,
               resolved_by=run_result.resolved_by, sha256=att.sha256,
               tried=[s["step"] for s in run_result.tried() if s.get("fixed") is False],
               not_done=[s["step"] for s in run_result.tried()
                         if not s["done"] and s["resolves"]],
               findings=[f.get("id") for f in run_result.findings])
        if not run_result.resolved_by:
            return
        chain = lifecycle.path(t.status, "resolved")
        if not chain:
            ch.log("note", kind="note", text=f"self-help step {run_result.resolved_by} fixed "
                   f"it, but the ticket is {t.status}; left as it is")
            return
        step_text = _instruction(run_result, run_result.resolved_by)
        for status in chain:
            _move(t, ch, status, reason=f"self-help step {run_result.resolved_by} fixed it")
        t.solution = {"text": step_text, "steps": [step_text], "source": "self-help",
                      "step": run_result.resolved_by, "playbook": att.playbook,
                      "backup": "not needed: a self-help step, no change by support",
                      "rollback": "not needed: a self-help step, no change by support",
                      "risky": False, "checked_by": None, "by": who, "at": ch.at}
        ch.log("resolved", solution=step_text, source="self-help")
    t, _, _ = store.attach(AttachRequest(ticket_id, bundle_path, who, "run", _inspect, then))
    return t


# --------------------------------------------------------------------------- escalation

@dataclass
class EscalateRequest:
    to: str
    by: str
    reason: str = ""
    resources: list[str] = field(default_factory=list)


def _playbook_escalation(playbook_id: str | None) -> tuple[list[str], str]:
    if not playbook_id:
        return [], ""
    from toolkit import playbook

    try:
        pb = playbook.load(playbook.find(playbook_id))
    except Exception:  # a playbook that vanished or broke must not block escalation
        return [], ""
    if pb.escalate is None:
        return [], ""
    return list(pb.escalate.resources), pb.escalate.reason.get() if pb.escalate.reason else ""


def escalate(store: TicketStore, cfg: TicketConfig, ticket_id: str,
             req: EscalateRequest) -> Ticket:
    """docs/support-process.md step 4: hand the case to L2 with description, what was tried,
    the findings of the attached bundles and the resources needed; L2's response
    clock starts now."""
    if not req.to.strip():
        raise BadInput("--to is empty", "name the target, e.g. --to L2 or --to L2-network")
    cal = Calendar(cfg)
    pb_resources: dict[str | None, tuple[list[str], str]] = {}

    def change(t: Ticket, ch: Changes) -> None:
        _move(t, ch, "escalated", escalated_to=req.to)
        # Resources and reason: given; else what the latest run's escalation rule said;
        # else the escalate: section of the playbook last run (or the category's).
        ran = [a for a in t.attachments if a.escalation]
        latest = ran[-1].escalation if ran else None
        pb_id = next((a.playbook for a in reversed(t.attachments) if a.playbook), t.playbook)
        if pb_id not in pb_resources:
            pb_resources[pb_id] = _playbook_escalation(pb_id)
        resources = list(req.resources) or list((latest or {}).get("resources") or []) \
            or pb_resources[pb_id][0]
        reason = req.reason or (latest or {}).get("reason") or pb_resources[pb_id][1]
        parts = [t.title, t.description]
        if t.error_message:
            parts.append(f"Error message: {t.error_message}")
        esc = Escalation(
            at=ch.at, by=req.by, to=req.to, reason=reason,
            description="\n\n".join(p for p in parts if p), tried=t.tried(),
            not_done=t.not_done(), findings=t.findings(), resources=resources,
            response_due=iso(cal.escalation_due(datetime.fromisoformat(ch.at), t.priority)))
        ch.escalations.append(esc)
        ch.log("escalated", to=req.to, reason=reason, resources=resources,
               response_due=esc.response_due, tried=len(esc.tried), findings=len(esc.findings))
        if t.responded_at is None:
            t.responded_at = ch.at
        t.level = req.to.split("-")[0] if req.to.upper().startswith("L") else "L2"
    return store.modify(ticket_id, change, req.by)


# --------------------------------------------------------------------------- solution

@dataclass
class ResolveRequest:
    solution: str
    backup: str
    rollback: str
    by: str
    risky: bool = False
    checked_by: str | None = None
    steps: list[str] = field(default_factory=list)


def resolve(store: TicketStore, ticket_id: str, req: ResolveRequest) -> Ticket:
    """docs/support-process.md step 5: the solution with its risk plan (backup, rollback); a risky
    change (data or configuration) needs a second person's check."""
    for name, value in (("--solution", req.solution), ("--backup", req.backup),
                        ("--rollback", req.rollback)):
        if not value.strip():
            raise BadInput(f"{name} is empty", "a solution records what was done, the backup "
                           "taken and how to roll it back ('none needed: …' is an answer)")
    if req.risky and not (req.checked_by or "").strip():
        raise BadInput("a risky change needs a second person's check",
                       "add --checked-by NAME (someone other than you)")
    if req.checked_by and req.checked_by.strip().lower() == req.by.strip().lower():
        raise BadInput(f"--checked-by {req.checked_by} is the person resolving",
                       "the second-person check must be done by someone else")

    def change(t: Ticket, ch: Changes) -> None:
        _move(t, ch, "resolved")
        t.solution = {"text": req.solution.strip(), "steps": req.steps or [req.solution.strip()],
                      "source": "support", "backup": req.backup.strip(),
                      "rollback": req.rollback.strip(), "risky": req.risky,
                      "checked_by": req.checked_by, "by": req.by, "at": ch.at}
        t.verification = None
        ch.log("resolved", solution=req.solution.strip(), backup=req.backup.strip(),
               rollback=req.rollback.strip(), risky=req.risky, checked_by=req.checked_by)
        _touch(t, ch)
    return store.modify(ticket_id, change, req.by)


def verify(store: TicketStore, ticket_id: str, fixed: bool, by: str,
           satisfaction: int | None = None, feedback: str = "") -> Ticket:
    """docs/support-process.md step 6: the user confirmed (or not) that the problem is gone."""
    def change(t: Ticket, ch: Changes) -> None:
        if t.status != "resolved":
            raise BadInput(f"{t.id} is {t.status}; only a resolved ticket can be verified",
                           "resolve it first with 'supportkit ticket resolve'")
        t.verification = {"confirmed": fixed, "satisfaction": satisfaction,
                          "feedback": feedback, "by": by, "at": ch.at}
        ch.log("verified", confirmed=fixed, satisfaction=satisfaction, feedback=feedback)
        if not fixed:
            _move(t, ch, "reopened", reason="the fix did not hold (verification)")
            ch.log("solution_withdrawn", solution=(t.solution or {}).get("text"))
            t.solution = None
        _touch(t, ch)
    return store.modify(ticket_id, change, by)


def reopen(store: TicketStore, ticket_id: str, by: str, reason: str = "") -> Ticket:
    def change(t: Ticket, ch: Changes) -> None:
        _move(t, ch, "reopened", reason=reason)
        if t.solution:
            ch.log("solution_withdrawn", solution=t.solution.get("text"))
        t.solution, t.verification = None, None
        _touch(t, ch)
    return store.modify(ticket_id, change, by)


def close(store: TicketStore, ticket_id: str, by: str, draft_kb: bool = False) -> Ticket:
    """Close a verified ticket; ``draft_kb`` writes a knowledge-base draft from it."""
    from toolkit.tickets import kbdraft

    current = store.get(ticket_id)
    _closable(current)
    draft = kbdraft.write(current) if draft_kb else None

    def change(t: Ticket, ch: Changes) -> None:
        _closable(t)
        _move(t, ch, "closed")
        if draft is not None:
            t.kb = draft[0]
            ch.log("kb_drafted", kb=draft[0], path=str(draft[1]))
        _touch(t, ch)
    try:
        return store.modify(ticket_id, change, by)
    except BaseException:
        if draft is not None and draft[2]:
            draft[1].unlink(missing_ok=True)
        raise


def _closable(t: Ticket) -> None:
    if t.status == "resolved" and not (t.verification or {}).get("confirmed"):
        raise BadInput(f"{t.id} is resolved but not verified; only a verified ticket is closed",
                       f"confirm with the user, then 'supportkit ticket verify {t.id} --fixed'")
    lifecycle.check(t.id, t.status, "closed")


# --------------------------------------------------------------------------- SLA state

def sla_state(t: Ticket, now: datetime) -> dict[str, Any]:
    """Per clock: ``met``, ``late`` (met after its due time), ``pending`` or ``breached``."""
    def one(due: str | None, done: str | None) -> dict[str, Any]:
        d = utc_key(due)
        if d is None:
            return {"due": None, "state": None}
        if done:
            return {"due": due, "state": "met" if utc_key(done) <= d else "late",  # type: ignore[operator]
                    "at": done}
        return {"due": due, "state": "breached" if now > d else "pending",
                "left_s": int((d - now).total_seconds())}
    out = {"response": one(t.response_due, t.responded_at),
           "resolution": one(t.resolution_due, t.resolved_at or t.closed_at)}
    if t.escalations:
        last = t.escalations[-1]
        out["escalation"] = one(last.response_due, last.responded_at)
    return out
