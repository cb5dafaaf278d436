"""``ticket move | update | escalate | resolve | verify | close | reopen | export``:
the case from first line to closure (steps 4–6)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    escape_json_text,
    json_option,
    say,
    term,
)
from toolkit.cli.ticket import (
    _done,
    _open,
    _when,
    _who,
    by_option,
    store_option,
    ticket,
    ticket_id_argument,
)
from toolkit.errors import BadInput
from toolkit.tickets.lifecycle import STATUSES as STATUS_CHOICES


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.argument("status", type=click.Choice([s for s in STATUS_CHOICES if s != "new"]))
@click.option("--assignee", metavar="NAME", help="Assign the ticket on the way.")
@by_option
@store_option
@json_option
def move(ticket_id: str, status: str, assignee: str | None, by: str | None,
         store_path: Path | None, as_json: bool) -> None:
    """Move a ticket to STATUS (triaged, in_progress, waiting_user, …).

    \b
    waiting_user stops the clocks until the user answers (tickets.pause_while_waiting);
    with L2, 'move ID escalated' takes the case back up when the user has answered.
    Escalating, handing back to L1, resolving, closing and reopening have their
    own commands.
    """
    from toolkit.tickets import config, workflow

    store = _open(store_path)
    t = workflow.move(store, ticket_id, status, _who(by), assignee, config.load())
    _done(t, as_json, f"{t.id}: {t.status}{_pause_line(t)}")


def _pause_line(t: Any) -> str:
    """What the move did to the clocks, when it started or ended a pause."""
    from toolkit.tickets.export import span

    if t.status == "waiting_user":
        return " — the clocks stand still until the user answers" if t.paused_since else ""
    moves = [i for i, h in enumerate(t.history) if h.action == "status"]
    # move_status writes the pause's end just before the move that ended it
    resumed = t.history[moves[-1] - 1] if moves and moves[-1] > 0 else None
    if resumed is None or resumed.action != "sla_resumed":
        return ""
    held = resumed.detail.get("moved", {})
    moved = "; ".join(f"{k} due {_when(v['from'])} → {_when(v['to'])}"
                      for k, v in held.items() if v["from"] != v["to"])
    why = (" (no business time passed: the due times stay)" if held else
           " (none was running)")
    return (f" — the clocks run again after {span(resumed.detail.get('paused_s', 0))}"
            + (f": {moved}" if moved else why))


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.option("--category")
@click.option("--subcategory")
@click.option("--impact")
@click.option("--urgency")
@click.option("--priority")
@click.option("--assignee", metavar="NAME")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="An environment fact typed by hand (device, os_version, software, …); "
                   "kept over later evidence; KEY= removes it. Repeatable.")
@by_option
@store_option
@json_option
def update(ticket_id: str, by: str | None, store_path: Path | None, as_json: bool,
           env: tuple[str, ...], **changes: Any) -> None:
    """Correct classification, impact, urgency, priority or assignee (the lead's review).

    A new priority recomputes the due times from the time the case was reported
    (less the time they were paused). --env records what the user said about the
    machine; bundles fill the rest from the machine itself.
    """
    from toolkit.cli._common import parse_pairs
    from toolkit.tickets import config, workflow

    facts = dict(parse_pairs(env, "--env"))
    store = _open(store_path)
    t = workflow.update(store, config.load(), ticket_id, workflow.Update(**changes, env=facts),
                        _who(by))
    _done(t, as_json, f"{t.id}: {t.category or 'unclassified'}, priority {t.priority}, "
          f"resolution due {_when(t.resolution_due)}")


def _split(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
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
    t = workflow.escalate(store, config.load(), ticket_id, workflow.EscalateRequest(
        target, _who(by), reason or "", _split(resources)))
    e = t.escalations[-1]
    move = next(h for h in reversed(t.history) if h.action == "status")
    if move.detail.get("skipped") and not as_json:
        say(f"note: escalated straight from {move.detail['from']} (skipped "
            f"{', '.join(move.detail['skipped'])}; recorded in the history)", err=True)
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
@ticket_id_argument
@click.option("--reason", required=True, help="What L2 found and what L1 should do now.")
@by_option
@store_option
@json_option
def deescalate(ticket_id: str, reason: str, by: str | None, store_path: Path | None,
               as_json: bool) -> None:
    """Hand an escalated case back to first line: in_progress at level L1, with the reason.

    Counts as L2's response to the escalation if nobody answered it yet.
    """
    from toolkit.tickets import config, workflow

    store = _open(store_path)
    t = workflow.deescalate(store, ticket_id, reason, _who(by), config.load())
    _done(t, as_json, f"{t.id}: handed back to L1 — in_progress; reason recorded")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.argument("text", nargs=-1)
@by_option
@store_option
@json_option
def respond(ticket_id: str, text: tuple[str, ...], by: str | None, store_path: Path | None,
            as_json: bool) -> None:
    """Record that L2 answered the escalation (stops L2's clock); TEXT is kept as a note.

    Anything someone other than the escalating engineer records (a note, a move,
    a bundle, a solution) counts as L2's answer too; this is the explicit one.
    """
    from toolkit.tickets import workflow

    store = _open(store_path)
    t = workflow.respond(store, ticket_id, _who(by), " ".join(text))
    e = t.escalations[-1] if t.escalations else None
    _done(t, as_json, f"{t.id}: responded at {_when(e.responded_at if e else t.responded_at)}"
          + (f" (L2's response was due {_when(e.response_due)})" if e else ""))


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
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
    from toolkit.tickets import config, workflow

    store = _open(store_path)
    t = workflow.resolve(store, ticket_id, workflow.ResolveRequest(
        solution, backup, rollback, _who(by), risky, checked_by, list(steps)), config.load())
    _done(t, as_json, f"{t.id}: resolved — now confirm with the user: "
          f"supportkit ticket verify {t.id} --fixed|--not-fixed")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
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
    t = workflow.verify(store, ticket_id, fixed, _who(by), satisfaction, feedback)
    _done(t, as_json, f"{t.id}: verified, ready to close" if fixed
          else f"{t.id}: not fixed — reopened")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
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
    t = workflow.close(store, ticket_id, _who(by), draft_kb)
    extra = f"; KB draft {t.kb}: supportkit kb show {t.kb}" if t.kb else ""
    _done(t, as_json, f"{t.id}: closed{extra}")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.option("--reason", default="", help="Why it is reopened.")
@by_option
@store_option
@json_option
def reopen(ticket_id: str, reason: str, by: str | None, store_path: Path | None,
           as_json: bool) -> None:
    """Reopen a resolved ticket whose fix did not hold."""
    from toolkit.tickets import workflow

    store = _open(store_path)
    t = workflow.reopen(store, ticket_id, _who(by), reason)
    _done(t, as_json, f"{t.id}: reopened — continue with 'supportkit ticket move {t.id} "
          "in_progress'")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE instead of stdout.")
@click.option("--lang", type=click.Choice(["en", "zh"]),
              help="Language of the md and html exports (default: the ticket's, from the "
                   "script of its title, description and error message); json is the same "
                   "in every language.")
@store_option
def export(ticket_id: str, fmt: str, out: Path | None, lang: str | None,
           store_path: Path | None) -> None:
    """The escalation package, for pasting into any tracker."""
    from toolkit.tickets.export import render, ticket_lang

    store = _open(store_path)
    t = store.get(ticket_id)
    text = render(t, fmt, lang=lang or ticket_lang(t))
    if out is None:  # a terminal, most often: the ticket's text must not drive it
        sys.stdout.write(escape_json_text(text) if fmt == "json" else term(text, multiline=True))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror or exc}", "check the path") from None
    say(str(out))


# --------------------------------------------------------------------------- trackers
