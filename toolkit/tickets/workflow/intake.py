"""Step 1–2 of the case: record it, classify it, start its clocks, and note the
environment of the machine the command runs on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput
from toolkit.tickets import environment
from toolkit.tickets.config import LEVELS, PRIORITIES, TicketConfig
from toolkit.tickets.model import CATEGORIES, Intake, Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store import TicketStore
from toolkit.tickets.workflow.common import choice, parse_time


def new_ticket(store: TicketStore, cfg: TicketConfig, intake: Intake, by: str,
               now: datetime | None = None) -> Ticket:
    """Record a case (docs/support-process.md steps 1–2): classify it when no category is given,
    work out the priority, and start the response and resolution clocks."""
    from toolkit.tickets import classify

    if not intake.title.strip():
        raise BadInput("a ticket needs a title", "give --title 'what happens, in a few words'")
    cal = Calendar(cfg)
    now = (now or datetime.now(timezone.utc)).astimezone(cal.tz)
    category = choice(intake.category, CATEGORIES, "--category")
    impact = choice(intake.impact, LEVELS, "--impact")
    urgency = choice(intake.urgency, LEVELS, "--urgency")
    given = choice(intake.priority, PRIORITIES, "--priority")
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
    created = iso(now.astimezone(timezone.utc))

    def build(ticket_id: str) -> Ticket:
        return Ticket(
            id=ticket_id, title=intake.title.strip(), created_at=created, updated_at=created,
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
    facts = environment.of_system_info(got.result)
    # Where ticket new ran: often the help desk's PC, replaced by the first bundle's machine.
    return {**facts, "source": "intake", "collected_at": iso(datetime.now(timezone.utc))}
