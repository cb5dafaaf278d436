"""``ticket new | list | show | classify | attach | note``: taking the case in (steps 1–3)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    emit_json,
    json_option,
    say,
    term,
)
from toolkit.cli.ticket import (
    _doc,
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

# --------------------------------------------------------------------------- new

_PROMPTS = ("title", "description", "error_message", "occurred_at", "reporter", "channel")
_LEVELS = ("high", "medium", "low")
_ZH_LEVELS = {"高": "high", "中": "medium", "低": "low"}


def _when_text(text: str) -> str:
    """A time as a person says it ("yesterday 14:30", "2h ago", "昨天下午3点", ISO 8601)
    → ISO 8601 with the offset, or AnswerError with the reason. A time without an
    offset is in the tickets' time zone (``tickets.timezone``), as --reported-at is."""
    from datetime import datetime, timezone

    from toolkit.run.answers import coerce
    from toolkit.tickets import config, sla

    now = datetime.now(timezone.utc).astimezone(sla.zone(config.load()))
    return str(coerce(text, "time", now=now))


def _interactive(values: dict[str, Any]) -> None:
    """Ask for the facts one by one. Each answer is checked when it is given and asked
    again with the reason (a time nobody can read, a level not in the list), so an
    answer never fails the whole template after the last question. The questions are
    in the locale's language, then in the language the title is written in."""
    from toolkit import i18n
    from toolkit.i18n import t
    from toolkit.lang import default_lang
    from toolkit.run.answers import AnswerError, coerce

    lang = default_lang()

    def ask(text: str, check: Any, default: str = "") -> Any:
        while True:
            got = click.prompt(f"  {text}", default=default, show_default=bool(default),
                               err=True).strip()
            try:
                return check(got) if got else None
            except AnswerError as exc:
                click.echo("  ✗ " + t("ui.retry", lang, reason=exc.text(lang)), err=True)

    click.echo(t("tk.intro", lang), err=True)
    for key in _PROMPTS:
        if values.get(key) is None:
            values[key] = ask(t(f"tk.{key}", lang),
                              _when_text if key == "occurred_at" else (lambda v: v))
            if key == "title":
                lang = i18n.script_lang(values[key]) or lang
    for key in ("impact", "urgency"):
        if values.get(key) is None:
            values[key] = ask(t(f"tk.{key}", lang), lambda v: coerce(
                _ZH_LEVELS.get(v, v.lower()), "string", _LEVELS),
                default="中" if lang == "zh" else "medium") or "medium"


@ticket.command("new", context_settings=CONTEXT_SETTINGS)
@click.option("--title", help="What happens, in a few words.")
@click.option("--description", help="What exactly happens, as the user tells it.")
@click.option("--error-message", help="The exact error message.")
@click.option("--reporter", help="Who reports it (name, account).")
@click.option("--channel", help="phone, chat, portal, email, agent, …")
@click.option("--occurred-at", metavar="TIME", help="When it happened: ISO 8601, or as "
              "said (\"yesterday 14:30\", \"2h ago\", \"昨天下午3点\").")
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
    if fields.get("occurred_at"):
        from toolkit.run.answers import AnswerError

        try:
            fields["occurred_at"] = _when_text(fields["occurred_at"])
        except AnswerError as exc:
            raise BadInput(f"--occurred-at: {exc}", "e.g. --occurred-at 'yesterday 14:30' "
                           "or --occurred-at 2026-11-25T14:30") from None
    from toolkit import i18n

    # The lines after the questions speak the title's language (else the locale's).
    lang = i18n.choose_lang(None, ticket_text=fields.get("title"))
    cfg = config.load()
    env: dict[str, Any] = {}
    if not no_collect:
        if not as_json:
            say(i18n.t("tk.collecting", lang), err=True)
        env = workflow.collect_environment()
    store = _open(store_path)
    t = workflow.new_ticket(store, cfg, Intake(environment=env, **{
        k: v for k, v in fields.items() if v is not None}), _who(by))
    if as_json:
        emit_json(_doc(t))
        return
    say(i18n.t("tk.recorded", lang, id=t.id, category=_category(t, lang),
               priority=_label("priority", t.priority, lang)))
    say(i18n.t("tk.response_due", lang, when=_when(t.response_due)))
    say(i18n.t("tk.resolution_due", lang, when=_when(t.resolution_due)))
    if t.playbook:
        say(i18n.t("tk.next", lang, playbook=t.playbook, id=t.id))
    if env.get("error"):
        say(i18n.t("tk.no_env", lang, error=i18n.translate(env["error"], lang)), err=True)


def _label(kind: str, value: str | None, lang: str) -> str:
    """A category's, subcategory's or priority's name for a person: the id itself in
    English (what scripts and flags use), the catalogue's word in Chinese."""
    from toolkit.i18n import label

    return label(kind, value, lang) if value else ""


def _category(t: Any, lang: str) -> str:
    from toolkit.i18n import t as msg

    if not t.category:
        return msg("tk.unclassified", lang)
    first = t.category
    if lang != "en":
        from toolkit.tickets.classify import category_title

        first = category_title(t.category, lang) or t.category
    return " / ".join(x for x in (first, _label("sub", t.subcategory, lang)) if x)


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
@click.option("--breaching", is_flag=True, help="Only tickets with a clock already overdue "
              "(response, resolution or L2's response).")
@click.option("--due-within", metavar="DURATION",
              help="Only tickets with a clock due within this (e.g. 1h), not yet overdue.")
@store_option
@json_option
def list_(statuses: tuple[str, ...], show_all: bool, category: str | None,
          priority: str | None, breaching: bool, due_within: str | None,
          store_path: Path | None, as_json: bool) -> None:
    """List tickets, most urgent first, with their clocks.

    \b
    A table: id, priority, status, level, the response and resolution clocks, L2's
    response clock (escalated tickets), the time left on the nearest clock (or how
    long ago it was breached; "paused" while waiting on the user), the title.
    Coloured on a terminal (not with NO_COLOR).
    """
    from toolkit.cli.ticket import table
    from toolkit.tickets import config
    from toolkit.tickets.clocks import paused_s, sla_state

    window = _duration(due_within) if due_within else None
    now = datetime.now(timezone.utc)
    cfg = config.load()
    store = _open(store_path)
    wanted = statuses or (() if show_all else tuple(s for s in STATUS_CHOICES
                                                      if s != "closed"))
    found = store.find(wanted, category)
    rows = []
    for t in found:
        if priority and t.priority != priority:
            continue
        clocks = sla_state(t, now, cfg)
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
                    "escalation_due": t.escalations[-1].response_due if t.escalations
                    else None, "paused_since": t.paused_since, "paused_s": paused_s(t, now),
                    "sla": clocks} for t, clocks in rows])
        return
    if not rows:
        say("No tickets match.", err=True)
        return
    for line in table.render(rows, table.colour_wanted()):
        click.echo(line)


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@store_option
@json_option
def show(ticket_id: str, store_path: Path | None, as_json: bool) -> None:
    """Show one ticket: facts, clocks, evidence, escalations, solution, history."""
    store = _open(store_path)
    t = store.get(ticket_id)
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
@ticket_id_argument
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Attach a bundle made for another ticket "
              "without asking (recorded in the history).")
@by_option
@store_option
@json_option
def attach(ticket_id: str, bundle_path: Path, force: bool, by: str | None,
           store_path: Path | None, as_json: bool) -> None:
    """Verify an evidence bundle and keep a copy in the store (content-addressed).

    A bundle made for another ticket is asked about on a terminal and refused
    unattended (exit 2) unless --force. The ticket's environment is taken from the
    bundle's machine when its system.info step ran. A sealed bundle (.zip.age) is
    opened with this machine's identity; the store keeps the opened bundle (the store
    is private to its owner).
    """
    from toolkit.evidence import seal
    from toolkit.tickets import workflow

    store = _open(store_path)
    t = store.get(ticket_id)
    with seal.opened(bundle_path) as plain:
        made_for = workflow.bundle_ticket(plain) if plain.is_file() else None
        if made_for and not force and not workflow.same_ticket(made_for, t.id):
            if not sys.stdin.isatty():
                raise BadInput(f"{bundle_path.name} was made for {made_for}, not {t.id}",
                               f"attach it to {made_for}, or add --force to keep it with "
                               f"{t.id}")
            say(f"warning: {bundle_path.name} was made for {made_for}, not {t.id}", err=True)
            if not click.confirm(f"Attach it to {t.id} anyway?", default=False, err=True):
                raise BadInput(f"not attached: the bundle belongs to {made_for}",
                               f"attach it there: supportkit ticket attach {made_for} "
                               f"{bundle_path}")
            force = True
        t, att, added = workflow.attach(store, t.id, plain, _who(by),
                                        allow_other_ticket=force)
    if added and not as_json and any(h.action == "environment" and h.at == att.added_at
                                     and h.detail.get("changed") for h in t.history):
        say("note: the ticket's environment is now the bundle's machine "
            f"({t.environment.get('hostname') or 'unnamed'})", err=True)
    _done(t, as_json, f"{t.id}: {'attached' if added else 'already attached'} {att.name} "
          f"(sha256 {att.sha256[:12]}…, {len(att.findings)} finding(s))")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.argument("words", metavar="[TEXT]", nargs=-1)
@click.option("--text", help="The note (or give it as TEXT after the id).")
@click.option("--tried", is_flag=True, help="It records something tried that did not fix it "
              "(listed under 'already tried' when escalating).")
@by_option
@store_option
@json_option
def note(ticket_id: str, words: tuple[str, ...], text: str | None, tried: bool,
         by: str | None, store_path: Path | None, as_json: bool) -> None:
    """Add a note (or, with --tried, an attempted step) to a ticket: ticket note ID TEXT."""
    from toolkit.tickets import workflow

    if words and text is not None:
        raise BadInput("the note is given twice (TEXT and --text)", "give it once")
    body = " ".join(words) if words else (text or "")
    store = _open(store_path)
    t = workflow.add_note(store, ticket_id, body, _who(by), "tried" if tried else "note")
    _done(t, as_json, f"{t.id}: note added ({len(t.notes)} in all)")
