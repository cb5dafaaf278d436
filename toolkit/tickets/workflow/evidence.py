"""Step 3 of the case: evidence. Bundles attached (verified, kept by sha256) and
runs recorded; the machine the evidence came from becomes the ticket's environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput
from toolkit.tickets import environment, lifecycle
from toolkit.tickets.config import TicketConfig
from toolkit.tickets.model import Attachment, Ticket
from toolkit.tickets.store import AttachRequest, Changes, TicketStore
from toolkit.tickets.workflow.common import config, move_status, touch


@dataclass
class Inspected:
    """What attaching learns from a bundle besides the attachment's own fields."""

    ticket: str | None = None  # the ticket the bundle was made for
    facts: dict[str, Any] | None = None  # its system.info, as environment facts


def _inspect(path: Path, seen: Inspected) -> dict[str, Any]:
    """Verify a bundle (every hash) and take what the ticket needs from it."""
    from toolkit.evidence import bundle

    v = bundle.verify(path)
    if not v.ok:
        raise BadInput(f"the bundle fails verification: {v.problems[0]}"
                       + (f" (and {len(v.problems) - 1} more)" if len(v.problems) > 1 else ""),
                       "run 'supportkit bundle verify' on it; attach an intact bundle")
    manifest, findings, _ = bundle.read(path, results=False)
    seen.ticket = manifest.get("ticket") if isinstance(manifest.get("ticket"), str) else None
    ran = [s for s in manifest.get("steps") or [] if isinstance(s, dict)
           and s.get("collector") == "system.info" and s.get("outcome") == "ok"]
    if ran:  # only then are results read (within the reader's budget)
        _, _, results = bundle.read(path)
        got = next((r for label, r in results.items() if label.endswith("-system.info")
                    and isinstance(r, dict)), None)
        seen.facts = environment.of_system_info(got) if got else None
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


def bundle_ticket(path: Path) -> str | None:
    """The ticket a bundle was made for (its manifest's ``ticket``), read without
    verifying: the CLI asks before attaching it elsewhere, attach verifies."""
    from toolkit.evidence import bundle

    try:
        manifest, _, _ = bundle.read(path, results=False)
    except BadInput:  # unreadable: attach's verification says what is wrong with it
        return None
    value = manifest.get("ticket")
    return value if isinstance(value, str) and value.strip() else None


def same_ticket(named: str, ticket_id: str) -> bool:
    """``named`` (as a bundle or a person wrote it: "SUP-000003", "sup-3", "3") is
    ``ticket_id``."""
    a, b = named.strip().upper(), ticket_id.upper()
    if a == b:
        return True
    prefix, _, num = b.rpartition("-")
    if a.isdigit():
        return num.isdigit() and int(a) == int(num)
    p2, _, n2 = a.rpartition("-")
    return p2 == prefix and n2.isdigit() and num.isdigit() and int(n2) == int(num)


def _refuse_other_ticket(seen: Inspected, ticket_id: str) -> None:
    """Refused before the bundle is renamed into the store, so nothing is left to clean."""
    if seen.ticket and not same_ticket(seen.ticket, ticket_id):
        raise BadInput(f"the bundle was made for {seen.ticket}, not {ticket_id}",
                       "attach it to its own ticket, or add --force to keep it with "
                       f"{ticket_id} anyway")


def _evidence_done(t: Ticket, ch: Changes, att: Attachment, seen: Inspected) -> None:
    """What every bundle brings, attached by hand or by a run: where it was made for
    another ticket, that is written down; the environment is taken from its machine."""
    if seen.ticket and not same_ticket(seen.ticket, t.id):
        ch.log("note", kind="note", text=f"bundle {att.sha256[:12]} was made for "
               f"{seen.ticket}; attached to {t.id} on purpose (--force)")
    if seen.facts:
        environment.from_evidence(t, ch, seen.facts, f"{att.sha256[:12]} ({att.name})",
                                  att.created)


def attach(store: TicketStore, ticket_id: str, bundle_path: Path, by: str,
           allow_other_ticket: bool = False, source: str = "attach",
           also: Callable[[Ticket, Changes, Attachment], None] | None = None
           ) -> tuple[Ticket, Attachment, bool]:
    """Keep a verified bundle with the ticket. One made for another ticket is refused
    unless ``allow_other_ticket`` (the CLI asks first, or takes ``--force``). ``source``
    says how it came (attach, upload); ``also`` records more in the same change (the
    inbox: who sent it, when, signed by whom)."""
    if not bundle_path.is_file():
        raise BadInput(f"{bundle_path}: no such file", "give the path of a bundle .zip")
    seen = Inspected()

    def inspect(path: Path) -> dict[str, Any]:
        meta = _inspect(path, seen)
        if not allow_other_ticket:
            _refuse_other_ticket(seen, ticket_id)
        return meta

    def then(t: Ticket, ch: Changes, att: Attachment) -> None:
        _evidence_done(t, ch, att, seen)
        if also is not None:
            also(t, ch, att)
        touch(t, ch)
    return store.attach(AttachRequest(ticket_id, bundle_path, by, source, inspect, then))


def _instruction(run_result: Any, step_id: str) -> str:
    for rec in run_result.records:
        if rec.step.id == step_id and rec.step.text:
            return str(rec.step.text.get())
    return step_id


def record_run(store: TicketStore, ticket_id: str, bundle_path: Path, run_result: Any,
               by: str | None = None, cfg: TicketConfig | None = None,
               forced: bool = False) -> Ticket:
    """Attach the bundle of ``supportkit run --ticket ID`` and record the run: the
    guide steps answered "not fixed" become tried steps (they are in the bundle's
    manifest); a guide step answered "fixed" resolves the ticket with that step as
    the solution, along the allowed moves (each one in the history). ``forced``: the
    person running it was told the ticket is closed and went on (``run --force``)."""
    from toolkit.tickets.model import os_user

    who = by or os_user()
    settings = config(cfg)
    seen = Inspected()

    def then(t: Ticket, ch: Changes, att: Attachment) -> None:
        att.source = "run"
        ch.log("run", playbook=att.playbook, outcome=run_result.outcome,
               resolved_by=run_result.resolved_by, sha256=att.sha256,
               tried=[s["step"] for s in run_result.tried() if s.get("fixed") is False],
               not_done=[s["step"] for s in run_result.tried()
                         if not s["done"] and s["resolves"]],
               findings=[f.get("id") for f in run_result.findings],
               **({"on_closed_ticket": True} if t.status == "closed" else {}),
               **({"forced": True} if forced else {}))
        _evidence_done(t, ch, att, seen)
        if not run_result.resolved_by:
            return
        chain = lifecycle.path(t.status, "resolved", t.level)
        if not chain:
            ch.log("note", kind="note", text=f"self-help step {run_result.resolved_by} fixed "
                   f"it, but the ticket is {t.status}; left as it is")
            return
        step_text = _instruction(run_result, run_result.resolved_by)
        for status in chain:
            move_status(t, ch, status, settings,
                        reason=f"self-help step {run_result.resolved_by} fixed it")
        t.solution = {"text": step_text, "steps": [step_text], "source": "self-help",
                      "step": run_result.resolved_by, "playbook": att.playbook,
                      "backup": "not needed: a self-help step, no change by support",
                      "rollback": "not needed: a self-help step, no change by support",
                      "risky": False, "checked_by": None, "by": who, "at": ch.at}
        ch.log("resolved", solution=step_text, source="self-help")
    t, _, _ = store.attach(AttachRequest(ticket_id, bundle_path, who, "run",
                                         lambda p: _inspect(p, seen), then))
    return t
