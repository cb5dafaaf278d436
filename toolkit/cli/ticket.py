"""``supportkit ticket …`` — the case record: intake, classification, evidence,
escalation, solution, verification, closure (docs/support-process.md steps 1–6).

Every command takes ``--store PATH`` (or ``SUPPORTKIT_STORE``), every change
``--by NAME`` (default: the OS user), every command that prints data ``--json``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    F,
    emit_json,
    escape_json_text,
    json_option,
    say,
    term,
)
from toolkit.errors import BadInput

STATUS_CHOICES = ("new", "triaged", "in_progress", "waiting_user", "escalated", "resolved",
                  "reopened", "closed")


def store_option(f: F) -> F:
    return click.option("--store", "store_path", type=click.Path(path_type=Path),
                        envvar="SUPPORTKIT_STORE", metavar="PATH",
                        help="Ticket store file (default: $SUPPORTKIT_HOME/tickets.db; "
                             "env SUPPORTKIT_STORE).")(f)


def by_option(f: F) -> F:
    return click.option("--by", metavar="NAME", help="Who does this (default: the OS user); "
                        "written to the ticket's history.")(f)


def _open(store_path: Path | None) -> Any:
    from toolkit.tickets.store import open_store

    store = open_store(store_path)
    for line in store.repairs:
        say(f"note: ticket store repaired: {line}", err=True)
    return store


def _who(by: str | None) -> str:
    from toolkit.tickets.model import os_user

    return by.strip() if by and by.strip() else os_user()


def _doc(t: Any) -> dict[str, Any]:
    from toolkit.tickets.workflow import sla_state

    doc: dict[str, Any] = t.as_json()
    doc["sla"] = sla_state(t, datetime.now(timezone.utc))
    return doc


def _done(t: Any, as_json: bool, line: str) -> None:
    if as_json:
        emit_json(_doc(t))
    else:
        say(line)


def _when(iso: str | None) -> str:
    return iso.replace("T", " ") if iso else "—"


@click.group(context_settings=CONTEXT_SETTINGS)
def ticket() -> None:
    """Ticket records: intake, classify, attach evidence, escalate, resolve, verify, close.

    \b
    Status moves:  new → triaged → in_progress ⇄ waiting_user → escalated → resolved
                   → closed; resolved → reopened → in_progress. L1 may resolve from
                   in_progress or waiting_user; any other move exits 2.
    """


# --------------------------------------------------------------------------- new

_PROMPTS = (("title", "What happens, in a few words"), ("description", "What exactly happens"),
            ("error_message", "The error message (exact text)"),
            ("occurred_at", "When did it happen (e.g. 2026-11-25 14:30)"),
            ("reporter", "Who reports it (name / account)"),
            ("channel", "Channel (phone, chat, portal, email, agent)"))


def _interactive(values: dict[str, Any]) -> None:
    click.echo("New ticket — the facts of the first call (Enter skips a question).", err=True)
    for key, text in _PROMPTS:
        if values.get(key) is None:
            got = click.prompt(f"  {text}", default="", show_default=False, err=True)
            values[key] = got.strip() or None
    for key in ("impact", "urgency"):
        if values.get(key) is None:
            values[key] = click.prompt(f"  {key.capitalize()} (high/medium/low)",
                                       default="medium", err=True,
                                       type=click.Choice(["high", "medium", "low"]))


@ticket.command("new", context_settings=CONTEXT_SETTINGS)
@click.option("--title", help="What happens, in a few words.")
@click.option("--description", help="What exactly happens, as the user tells it.")
@click.option("--error-message", help="The exact error message.")
@click.option("--reporter", help="Who reports it (name, account).")
@click.option("--channel", help="phone, chat, portal, email, agent, …")
@click.option("--occurred-at", metavar="TIME", help="When it happened (ISO 8601).")
@click.option("--reported-at", metavar="TIME",
              help="When it was reported, if before now: the clocks start then.")
@click.option("--category", help="hardware, software, account, network, howto, data "
              "(default: classified from the text).")
@click.option("--subcategory")
@click.option("--impact", help="high, medium, low.")
@click.option("--urgency", help="high, medium, low.")
@click.option("--priority", help="urgent, high, medium, low (overrides impact × urgency).")
@click.option("--no-collect", is_flag=True, help="Do not fill the environment from system.info.")
@by_option
@store_option
@json_option
def new(store_path: Path | None, by: str | None, as_json: bool, no_collect: bool,
        **fields: Any) -> None:
    """Record a new case; without flags on a terminal, asks for the facts.

    Prints the ticket number and the response and resolution due times
    (business calendar; see 'tickets:' in config.yaml).
    """
    from toolkit.tickets import config, workflow
    from toolkit.tickets.model import Intake

    if not fields.get("title"):
        if not sys.stdin.isatty():
            raise BadInput("a ticket needs a title", "give --title (stdin is not a terminal, "
                           "so nothing is asked)")
        _interactive(fields)
    cfg = config.load()
    env: dict[str, Any] = {}
    if not no_collect:
        if not as_json:
            say("Collecting the environment (system.info)…", err=True)
        env = workflow.collect_environment()
    store = _open(store_path)
    try:
        t = workflow.new_ticket(store, cfg, Intake(environment=env, **{
            k: v for k, v in fields.items() if v is not None}), _who(by))
    finally:
        store.close()
    if as_json:
        emit_json(_doc(t))
        return
    cat = " / ".join(x for x in (t.category, t.subcategory) if x) or "unclassified"
    say(f"{t.id} recorded — {cat}, priority {t.priority}")
    say(f"  response due   {_when(t.response_due)}")
    say(f"  resolution due {_when(t.resolution_due)}")
    if t.playbook:
        say(f"  next: supportkit run {t.playbook} --ticket {t.id}")
    if env.get("error"):
        say(f"note: environment not collected: {env['error']}", err=True)


# --------------------------------------------------------------------------- list / show

def _duration(text: str) -> float:
    from toolkit.tickets.config import ConfigError, Target

    try:
        target = Target.parse(text, "--due-within")
    except ConfigError:
        raise BadInput(f"--due-within {text!r} is not a duration",
                       "write it like 30m, 1h or 2d") from None
    if target.eod:
        raise BadInput("--due-within takes a duration", "write it like 30m, 1h or 2d")
    return target.days * 86400 + target.minutes * 60


@ticket.command("list", context_settings=CONTEXT_SETTINGS)
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES),
              help="Only these statuses (repeatable). Default: all but closed.")
@click.option("--all", "show_all", is_flag=True, help="Include closed tickets.")
@click.option("--category")
@click.option("--priority", type=click.Choice(["urgent", "high", "medium", "low"]))
@click.option("--breaching", is_flag=True, help="Only tickets with a clock already overdue.")
@click.option("--due-within", metavar="DURATION",
              help="Only tickets with a clock due within this (e.g. 1h), not yet overdue.")
@store_option
@json_option
def list_(statuses: tuple[str, ...], show_all: bool, category: str | None,
          priority: str | None, breaching: bool, due_within: str | None,
          store_path: Path | None, as_json: bool) -> None:
    """List tickets, most urgent first, with their clocks."""
    from toolkit.tickets.workflow import sla_state

    window = _duration(due_within) if due_within else None
    now = datetime.now(timezone.utc)
    store = _open(store_path)
    try:
        wanted = statuses or (() if show_all else tuple(s for s in STATUS_CHOICES
                                                          if s != "closed"))
        found = store.find(wanted, category)
    finally:
        store.close()
    rows = []
    for t in found:
        if priority and t.priority != priority:
            continue
        clocks = sla_state(t, now)
        states = [c for c in clocks.values() if c.get("state")]
        if breaching and not any(c["state"] == "breached" for c in states):
            continue
        if window is not None and not any(c["state"] == "pending" and c["left_s"] <= window
                                          for c in states):
            continue
        rows.append((t, clocks))
    order = {"urgent": 0, "high": 1, "medium": 2, "low": 3}
    rows.sort(key=lambda r: (order.get(r[0].priority, 9), r[0].created_at))
    if as_json:
        emit_json([{"id": t.id, "title": t.title, "status": t.status, "priority": t.priority,
                    "category": t.category, "subcategory": t.subcategory, "level": t.level,
                    "assignee": t.assignee, "reported_at": t.reported_at,
                    "response_due": t.response_due, "resolution_due": t.resolution_due,
                    "sla": clocks} for t, clocks in rows])
        return
    if not rows:
        say("No tickets match.", err=True)
        return
    for t, clocks in rows:
        late = [k for k, c in clocks.items() if c.get("state") == "breached"]
        flag = f"  OVERDUE: {', '.join(late)}" if late else ""
        say(f"{t.id}  {t.priority:<6} {t.status:<12} {(t.category or '-'):<9} "
                   f"{t.title[:60]}{flag}")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@store_option
@json_option
def show(ticket_id: str, store_path: Path | None, as_json: bool) -> None:
    """Show one ticket: facts, clocks, evidence, escalations, solution, history."""
    store = _open(store_path)
    try:
        t = store.get(ticket_id)
    finally:
        store.close()
    if as_json:
        emit_json(_doc(t))
        return
    from toolkit.tickets.export import markdown

    click.echo(term(markdown(t), multiline=True), nl=False)


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("text", nargs=-1, required=True)
@json_option
def classify(text: tuple[str, ...], as_json: bool) -> None:
    """Classify a problem description (English or Chinese).

    Prints category, subcategory, the playbook to run, confidence and the
    phrases that matched (dictionary: toolkit/tickets/classification.yaml).
    """
    from toolkit.tickets import classify as cl

    doc = cl.classify(" ".join(text))
    if as_json:
        emit_json(doc)
        return
    if doc["category"] is None:
        say("No category matched — choose one: hardware, software, account, network, "
                   "howto, data")
        return
    say(f"{doc['category']} / {doc['subcategory']}  (confidence {doc['confidence']})")
    say(f"  matched:  {', '.join(doc['matched'])}")
    say(f"  playbook: {doc['playbook'] or 'none — answer from the knowledge base'}")


# --------------------------------------------------------------------------- changes

@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path))
@by_option
@store_option
@json_option
def attach(ticket_id: str, bundle_path: Path, by: str | None, store_path: Path | None,
           as_json: bool) -> None:
    """Verify an evidence bundle and keep a copy in the store (content-addressed)."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t, att, added = workflow.attach(store, ticket_id, bundle_path, _who(by))
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: {'attached' if added else 'already attached'} {att.name} "
          f"(sha256 {att.sha256[:12]}…, {len(att.findings)} finding(s))")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--text", required=True, help="The note.")
@click.option("--tried", is_flag=True, help="It records something tried that did not fix it "
              "(listed under 'already tried' when escalating).")
@by_option
@store_option
@json_option
def note(ticket_id: str, text: str, tried: bool, by: str | None, store_path: Path | None,
         as_json: bool) -> None:
    """Add a note (or, with --tried, an attempted step) to a ticket."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t = workflow.add_note(store, ticket_id, text, _who(by), "tried" if tried else "note")
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: note added ({len(t.notes)} in all)")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.argument("status", type=click.Choice(["triaged", "in_progress", "waiting_user",
                                             "escalated", "resolved", "reopened", "closed"]))
@click.option("--assignee", metavar="NAME", help="Assign the ticket on the way.")
@by_option
@store_option
@json_option
def move(ticket_id: str, status: str, assignee: str | None, by: str | None,
         store_path: Path | None, as_json: bool) -> None:
    """Move a ticket to STATUS (triaged, in_progress, waiting_user, …).

    Escalating, resolving, closing and reopening have their own commands.
    """
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t = workflow.move(store, ticket_id, status, _who(by), assignee)
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: {t.status}")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--category")
@click.option("--subcategory")
@click.option("--impact")
@click.option("--urgency")
@click.option("--priority")
@click.option("--assignee", metavar="NAME")
@by_option
@store_option
@json_option
def update(ticket_id: str, by: str | None, store_path: Path | None, as_json: bool,
           **changes: Any) -> None:
    """Correct classification, impact, urgency, priority or assignee (the lead's review).

    A new priority recomputes the due times from the time the case was reported.
    """
    from toolkit.tickets import config, workflow

    store = _open(store_path)
    try:
        t = workflow.update(store, config.load(), ticket_id, workflow.Update(**changes),
                            _who(by))
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: {t.category or 'unclassified'}, priority {t.priority}, "
          f"resolution due {_when(t.resolution_due)}")


def _split(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--to", "target", required=True, metavar="LEVEL",
              help="Who takes it: L2, L2-network, L2-hardware, a vendor, …")
@click.option("--resources", multiple=True, metavar="A,B",
              help="Resources needed (default: the playbook's escalate.resources).")
@click.option("--reason", help="Why L1 cannot solve it (default: the playbook's reason).")
@by_option
@store_option
@json_option
def escalate(ticket_id: str, target: str, resources: tuple[str, ...], reason: str | None,
             by: str | None, store_path: Path | None, as_json: bool) -> None:
    """Escalate to second line with description, what was tried, findings and resources."""
    from toolkit.tickets import config, workflow

    store = _open(store_path)
    try:
        t = workflow.escalate(store, config.load(), ticket_id, workflow.EscalateRequest(
            target, _who(by), reason or "", _split(resources)))
    finally:
        store.close()
    e = t.escalations[-1]
    if not e.tried and not as_json:
        say("note: nothing is recorded as tried — add it with 'ticket note ID --tried "
                   "--text …' so L2 does not repeat it", err=True)
    if e.not_done and not as_json:
        say(f"note: {len(e.not_done)} self-help step(s) of unattended runs were not done "
                   "by anybody; they are listed as not done, not as tried", err=True)
    _done(t, as_json, f"{t.id}: escalated to {e.to}; response due {_when(e.response_due)} "
          f"({len(e.tried)} tried, {len(e.findings)} finding(s), resources: "
          f"{', '.join(e.resources) or 'none named'})")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--solution", required=True, help="What was done.")
@click.option("--step", "steps", multiple=True, help="One step of the plan (repeatable).")
@click.option("--backup", required=True, help="The backup taken before the change "
              "('none needed: …' is an answer).")
@click.option("--rollback", required=True, help="How to undo the change.")
@click.option("--risky", is_flag=True, help="A data or configuration change: needs --checked-by.")
@click.option("--checked-by", metavar="NAME", help="The second person who checked the change.")
@by_option
@store_option
@json_option
def resolve(ticket_id: str, solution: str, steps: tuple[str, ...], backup: str, rollback: str,
            risky: bool, checked_by: str | None, by: str | None, store_path: Path | None,
            as_json: bool) -> None:
    """Record the solution with its risk plan (backup, rollback); moves to resolved."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t = workflow.resolve(store, ticket_id, workflow.ResolveRequest(
            solution, backup, rollback, _who(by), risky, checked_by, list(steps)))
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: resolved — now confirm with the user: "
          f"supportkit ticket verify {t.id} --fixed|--not-fixed")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--fixed/--not-fixed", default=None, help="What the user confirmed.")
@click.option("--satisfaction", type=click.IntRange(1, 5), help="The user's rating, 1-5.")
@click.option("--feedback", default="", help="The user's words.")
@by_option
@store_option
@json_option
def verify(ticket_id: str, fixed: bool | None, satisfaction: int | None, feedback: str,
           by: str | None, store_path: Path | None, as_json: bool) -> None:
    """Record the user's confirmation; not fixed reopens the ticket."""
    from toolkit.tickets import workflow

    if fixed is None:
        raise BadInput("say what the user confirmed", "add --fixed or --not-fixed")
    store = _open(store_path)
    try:
        t = workflow.verify(store, ticket_id, fixed, _who(by), satisfaction, feedback)
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: verified, ready to close" if fixed
          else f"{t.id}: not fixed — reopened")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--kb", "draft_kb", is_flag=True,
              help="Draft a knowledge-base article from the case ($SUPPORTKIT_HOME/kb/).")
@by_option
@store_option
@json_option
def close(ticket_id: str, draft_kb: bool, by: str | None, store_path: Path | None,
          as_json: bool) -> None:
    """Close a verified ticket."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t = workflow.close(store, ticket_id, _who(by), draft_kb)
    finally:
        store.close()
    extra = f"; KB draft {t.kb}: supportkit kb show {t.kb}" if t.kb else ""
    _done(t, as_json, f"{t.id}: closed{extra}")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--reason", default="", help="Why it is reopened.")
@by_option
@store_option
@json_option
def reopen(ticket_id: str, reason: str, by: str | None, store_path: Path | None,
           as_json: bool) -> None:
    """Reopen a resolved ticket whose fix did not hold."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    try:
        t = workflow.reopen(store, ticket_id, _who(by), reason)
    finally:
        store.close()
    _done(t, as_json, f"{t.id}: reopened — continue with 'supportkit ticket move {t.id} "
          "in_progress'")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE instead of stdout.")
@store_option
def export(ticket_id: str, fmt: str, out: Path | None, store_path: Path | None) -> None:
    """The escalation package, for pasting into any tracker."""
    from toolkit.tickets.export import render

    store = _open(store_path)
    try:
        t = store.get(ticket_id)
    finally:
        store.close()
    text = render(t, fmt)
    if out is None:  # a terminal, most often: the ticket's text must not drive it
        sys.stdout.write(escape_json_text(text) if fmt == "json" else term(text, multiline=True))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror or exc}", "check the path") from None
    say(str(out))


# --------------------------------------------------------------------------- trackers

@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--to", "connector", required=True, metavar="NAME",
              help="A connector configured in config.yaml ('supportkit connectors').")
@click.option("--new", is_flag=True, help="Create another remote issue instead of updating "
              "the linked one.")
@by_option
@store_option
@json_option
def push(ticket_id: str, connector: str, new: bool, by: str | None, store_path: Path | None,
         as_json: bool) -> None:
    """Push the case, its escalation summary and its bundles to a team's tracker.

    Pushing again updates the same remote issue; bundles already there are not sent again.
    """
    from toolkit.connectors import service

    store = _open(store_path)
    try:
        done = service.push(store, ticket_id, connector, _who(by), new,
                            progress=lambda line: say(line, err=True))
    finally:
        store.close()
    for line in done.missing:
        say(f"warning: not sent: {line}", err=True)
    if as_json:
        emit_json(done.as_json())
        return
    r = done.result
    via = done.proxy if done.proxy and done.proxy["used"] else None
    say(f"{done.ticket} → {connector} {r.url} ({'created' if r.created else 'updated'}; "
               f"{len(r.uploaded)} bundle(s) uploaded, {len(r.already)} already there"
               + ("; escalation note added" if r.noted else "")
               + (f"; through the proxy {via['url']} from {via['source']}" if via else "") + ")")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--from", "connectors", multiple=True, metavar="NAME",
              help="Only this connector (default: every one the ticket was pushed to).")
@by_option
@store_option
@json_option
def pull(ticket_id: str, connectors: tuple[str, ...], by: str | None, store_path: Path | None,
         as_json: bool) -> None:
    """Read the remote issue's status back, mapped to ours, into the ticket's history."""
    from toolkit.connectors import service

    store = _open(store_path)
    try:
        found = service.pull(store, ticket_id, list(connectors), _who(by),
                             progress=lambda line: say(line, err=True))
    finally:
        store.close()
    if as_json:
        emit_json([p.as_json() for p in found])
        return
    for p in found:
        s = p.status
        ours = s.mapped or "unmapped (add it to status_from)"
        state = "in step" if p.in_sync else f"the ticket is {p.local}"
        say(f"{p.ticket} ← {p.connector} {s.url}: {s.name} → {ours}; {state}")
        if not p.in_sync and s.mapped and s.mapped != p.local:
            # Not moved here: resolving needs the solution, backup and rollback.
            verb = {"resolved": "resolve", "closed": "close", "reopened": "reopen",
                    "escalated": "escalate"}.get(s.mapped)
            say(f"  to follow it: supportkit ticket {verb} {p.ticket} …" if verb else
                       f"  to follow it: supportkit ticket move {p.ticket} {s.mapped}", err=True)
