"""``supportkit run PLAYBOOK`` — guided run, evidence bundle, findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from toolkit import i18n
from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, parse_pairs, say
from toolkit.cli.completion import complete_playbooks, complete_tickets
from toolkit.errors import EXIT_OK, EXIT_STEP_FAILED, BadInput
from toolkit.i18n import t
from toolkit.term import term


def _split(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(part.strip() for v in values for part in v.split(",") if part.strip())


def _answers(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from toolkit import yamlsafe

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read answers file {path}: {exc}", "check the path") from None
    loc = yamlsafe.load(text)
    if loc.problems:
        line, col, msg = loc.problems[0]
        raise BadInput(f"{path}:{line}:{col}: {msg}", "fix the answers file")
    if not isinstance(loc.data, dict):
        raise BadInput(f"{path}: answers must be a mapping of step or input id to answer",
                       "write it as 'id: value' lines")
    return loc.data


def _overrides(pairs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in parse_pairs(pairs):
        step, dot, param = key.partition(".")
        if not dot or not param:
            raise BadInput(f"-p {key}=…: name the step and the parameter",
                           "write it as -p STEP.KEY=VALUE (see --plan for step ids)")
        out.setdefault(step, {})[param] = value
    return out


def _plan(pb: Any, opts: Any, as_json: bool) -> None:
    from toolkit.playbook.trust import powers_of
    from toolkit.plugins import load
    from toolkit.run.runner import deselected

    registry = load()
    steps = []
    for s in pb.steps:
        item = {"index": s.index, "id": s.id, "kind": s.kind}
        if s.kind == "collect":
            item.update(collector=s.collector,
                        params={**dict(s.params), **opts.overrides.get(s.id, {})},
                        timeout=opts.timeout or s.timeout or pb.timeout)
        elif s.kind == "check":
            item.update(check=s.expression, severity=s.severity)
        else:
            item.update(text=s.text.get(opts.lang) if s.text else "", resolves=s.resolves)
        if s.when:
            item["when"] = s.when
        left_out = deselected(s, opts)
        if left_out:
            item["planned"] = left_out
        elif s.kind == "collect" and not opts.trust.trusted:
            col = registry.collectors.get(s.collector or "")
            if col is not None and powers_of(col, dict(s.params)):
                item["planned"] = "skipped: needs --trust"
        steps.append(item)
    doc = {"playbook": pb.id, "version": pb.version, "steps": steps,
           "escalate": {"when": pb.escalate.when, "to": pb.escalate.to}
           if pb.escalate else None}
    if as_json:
        emit_json(doc)
        return
    click.echo(f"Plan for {pb.id} v{pb.version} — nothing is run:")
    for item in steps:
        what = item.get("collector") or item.get("check") or item.get("text", "")
        extra = f" {item['params']}" if item.get("params") else ""
        note = f"  [{item['planned']}]" if "planned" in item else ""
        click.echo(f"  {item['index']:>2}. {item['kind']:<7} {item['id']:<18} {what}{extra}{note}")


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("playbook_ref", metavar="[PLAYBOOK]", required=False,
                shell_complete=complete_playbooks)
@click.option("--symptom", metavar="TEXT",
              help="Describe the problem instead of naming a playbook; the best match runs.")
@click.option("--ticket", metavar="ID", shell_complete=complete_tickets,
              help="Ticket this run belongs to: names the bundle; attached and recorded "
                   "when the ticket is in the store; inputs it names (a host, a URL) are "
                   "filled in from it.")
@click.option("--answers", type=click.Path(path_type=Path), metavar="FILE",
              help="YAML/JSON answers for inputs, ask and guide steps, by id.")
@click.option("--non-interactive", is_flag=True,
              help="Never wait for input: answers file or defaults (also when stdin is no TTY).")
@click.option("--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder for the bundle (default: $SUPPORTKIT_HOME/bundles).")
@click.option("--only", multiple=True, metavar="A,B", help="Run only these collect steps "
              "(step ids or collector names).")
@click.option("--skip", multiple=True, metavar="C", help="Skip these steps (ids or collectors).")
@click.option("-p", "--param", "params", multiple=True, metavar="STEP.KEY=VALUE",
              help="Override a collect step's parameter, e.g. -p disk.source=df.txt")
@click.option("--attach", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="Add a file to the bundle (screenshot, log…); repeatable. Text is redacted.")
@click.option("--anonymize", is_flag=True,
              help="Also replace e-mails, IPs, MACs, host and user names by consistent "
                   "pseudonyms; the mapping is written beside the bundle, never in it.")
@click.option("--timeout", type=click.FloatRange(min=0.1), metavar="S",
              help="Seconds per collect step, replacing the playbook's limits.")
@click.option("--trust", "trust_flag", is_flag=True,
              help="Let this playbook use collectors that can run any command or read any "
                   "file (shipped playbooks always may; see docs/security.md).")
@click.option("--lang", type=click.Choice(["en", "zh"]),
              help="Language (default: the ticket's, else the script of the described "
                   "problem, else the locale).")
@click.option("--plan", is_flag=True, help="Print what would run and collect; run nothing.")
@click.option("--quiet", is_flag=True, help="Nothing on stderr but errors; the bundle path "
              "still goes to stdout.")
@json_option
def run(playbook_ref: str | None, symptom: str | None, ticket: str | None,
        answers: Path | None, non_interactive: bool,
        out: Path | None, only: tuple[str, ...], skip: tuple[str, ...],
        params: tuple[str, ...], attach: tuple[Path, ...], anonymize: bool,
        timeout: float | None, trust_flag: bool,
        lang: str | None, plan: bool, quiet: bool, as_json: bool) -> int:
    """Run PLAYBOOK (an id from 'supportkit playbook list', or a .yaml file).

    Without PLAYBOOK, describe the problem (asked on a terminal, or --symptom)
    and the playbook that fits it best is proposed.

    Walks you through self-help steps, runs the collectors, turns checks into
    findings and writes a zip evidence bundle (verifiable, secrets redacted).

    \b
    Exit 0 done (or fixed by self-help), 3 some step failed or timed out
    (the bundle is still written), 2 bad input, 130 interrupted, 129 hung up
    (SIGHUP), 143 terminated (SIGTERM): then workers are stopped and nothing
    is left behind.
    """
    from toolkit import paths
    from toolkit import playbook as pbmod
    from toolkit.evidence import bundle
    from toolkit.plugins import load
    from toolkit.run import cleanup, isolation
    from toolkit.run.runner import Runner, RunOptions
    from toolkit.run.ui import ConsoleUI, HeadlessUI

    interactive = not non_interactive and sys.stdin.isatty()
    header = None
    if ticket:
        from toolkit.tickets import ticket_header

        header = ticket_header(ticket)
        if header:
            ticket = header["id"]  # "3" or "sup-3" → the store's own SUP-000003
    facts = tuple(str(header.get(k) or "") for k in ("title", "description", "error_message")) \
        if header else ()
    lang_flag = lang
    lang = i18n.choose_lang(lang_flag, " ".join(facts), (header or {}).get("lang"), symptom)
    i18n.current = lang
    chosen: dict[str, Any] | None = None
    if playbook_ref is None:
        # Until the person has written something, the locale is all there is to go by:
        # without --lang or a ticket, the question is asked in both languages.
        both = not lang_flag and not facts and not symptom
        playbook_ref, chosen = _choose(symptom, interactive, lang, both)
        lang = i18n.choose_lang(lang_flag, " ".join(facts), (header or {}).get("lang"),
                                chosen.get("symptom"))
        i18n.current = lang
    from toolkit.playbook import trust

    found = pbmod.find(playbook_ref)
    trust.check_playbook(found)  # refused before a line of it is read as instructions
    pb = pbmod.load(found)
    debug = bool(click.get_current_context().find_root().params.get("debug"))
    opts = RunOptions(answers=_answers(answers), timeout=timeout, only=_split(only),
                      skip=_split(skip), overrides=_overrides(params), lang=lang,
                      trust=trust.playbook_trust(pb.id, pb.path, trust_flag),
                      ticket_text=facts, debug=debug,
                      described=str((chosen or {}).get("symptom") or symptom or ""))
    for item in attach:
        if not item.is_file() or not os.access(item, os.R_OK):
            raise BadInput(f"cannot attach {item}: not a readable file", "check the path")
    if plan:
        from toolkit.run.runner import check_selection

        check_selection(pb, opts)
        _plan(pb, opts, as_json)
        return EXIT_OK
    ui = ConsoleUI(lang=lang, debug=debug) if interactive else \
        HeadlessUI(quiet=quiet, lang=lang, debug=debug)
    from toolkit.redact import site_redactor

    redactor = site_redactor()  # a bad config.yaml is refused before anything runs
    if anonymize:
        from toolkit.redact.anonymize import Pseudonymizer

        redactor.pseudonyms = Pseudonymizer.for_this_machine()
    registry = load()
    cleanup.remove_stale()  # folders of runs that were killed (SIGKILL) before they could
    staging = cleanup.private_dir("run")  # 0700: raw, unredacted data stays private
    try:
        # Every answer that needs no person is checked here, before anything runs.
        runner = Runner(pb, registry, staging, opts, ui)
        ui.info(ui.style(t("run.header", lang, title=pb.title.get(lang), id=pb.id,
                           version=pb.version), bold=True))
        with isolation.scope():  # however the run ends, nothing it started outlives it
            result = runner.run()
        written = bundle.write_bundle(bundle.BundleRequest(
            run=result, out_dir=out or paths.bundles_dir(), attachments=attach, ticket=ticket,
            redactor=redactor, chosen_by=chosen, ticket_info=header,
            symptom=(chosen or {}).get("symptom") or symptom,
            command_line=tuple(["supportkit", *sys.argv[1:]]), lang=opts.lang))
    finally:
        cleanup.remove_dir(staging)
    path = written.path
    if ticket:  # attach the bundle and record the run when the ticket is in the store
        from toolkit.tickets import after_run

        recorded, note = after_run(ticket, path, result)
        if not quiet or not recorded:
            say(i18n.translate(note, lang), err=True)
    # Print what the bundle holds (redacted, pseudonymized), never the raw findings:
    # this output is what agents paste into trackers.
    manifest, shown = written.manifest, written.findings
    mapping = str(bundle.mapping_path(path)) if anonymize else None
    if mapping and not as_json and not quiet:
        click.echo(t("sum.mapping", lang, path=mapping), err=True)
    if as_json:
        # Machine fields stay as they were (English reasons, ids); "title" and "text" are
        # what a person reads, in the run's language.
        emit_json({"bundle": str(path), "outcome": result.outcome, "findings": shown["findings"],
                   **({"mapping": mapping} if mapping else {}),
                   "escalation": shown["escalation"], "resolved_by": result.resolved_by,
                   "lang": lang,
                   "steps": [{**{k: s[k] for k in ("id", "kind", "outcome", "reason")},
                              "title": s.get("title", s["id"]),
                              "text": s.get("reason_text") or i18n.translate(s["reason"], lang)}
                             for s in manifest["steps"]]})
    elif quiet:
        click.echo(str(path))
    else:
        _summary(result, shown, path, ticket, lang)
    return EXIT_STEP_FAILED if result.outcome == "incomplete" else EXIT_OK


def _choose(symptom: str | None, interactive: bool, lang: str,
            both: bool = False) -> tuple[str, dict[str, Any]]:
    """The playbook for a described symptom: ask on a terminal, else take the best match."""
    from toolkit.playbook.suggest import all_playbooks, rank
    from toolkit.tickets.classify import playbook_phrases

    if not symptom and interactive:
        question = t("run.describe", lang)
        if both:
            other = t("run.describe", "zh" if lang == "en" else "en")
            question = f"{question} / {other}"
        symptom = click.prompt(question, err=True).strip()
    if not symptom:
        raise BadInput("no playbook named and no problem described",
                       "give a PLAYBOOK ('supportkit playbook list') or --symptom 'what happens'")
    lang = i18n.choose_lang(None, None, None, symptom) if both else lang
    # The classification dictionary's phrases (a site's own too) lead to playbooks as well.
    found = rank(symptom, all_playbooks(), lang, phrases=playbook_phrases())
    if not found:
        click.echo(t("run.fallback", lang), err=True)
        return "general", {"symptom": symptom, "matched": [], "choice": "fallback"}
    best = found[0]
    if interactive and len(found) > 1:
        for i, s in enumerate(found[:3], 1):
            say(t("run.offer", lang, n=i, playbook=s.playbook, title=s.title,
                  matched=", ".join(s.matched)), err=True)
        from toolkit.run.answers import coerce
        from toolkit.run.ui import ConsoleUI

        # Asked like every question of a run: a bad number is re-asked in the run's language.
        options = tuple(range(1, min(3, len(found)) + 1))
        pick = ConsoleUI(lang=lang).ask(t("run.which", lang), 1, options, "integer",
                                        lambda v: coerce(v, "integer", options))
        best = found[int(pick) - 1]
    else:
        say(t("run.chose", lang, playbook=best.playbook, symptom=symptom,
              matched=", ".join(best.matched)), err=True)
    return best.playbook, {"symptom": symptom, "matched": list(best.matched),
                           "choice": "user" if interactive and len(found) > 1 else "best match",
                           "others": [s.playbook for s in found[1:4]]}


def _article(article_id: str, lang: str) -> str:
    from toolkit import kb

    try:
        title = kb.get(article_id).text(lang, "title")
    except BadInput:
        title = ""
    return t("run.article", lang, id=article_id, title=title)


def _summary(result: Any, shown: dict[str, Any], path: Path, ticket: str | None,
             lang: str) -> None:
    from toolkit.run.ui import COLOURS, use_colour

    def echo(text: str, **style: Any) -> None:
        # Findings quote what the collectors read (log lines, names): escaped first,
        # then coloured (colouring first showed our own colour codes as \x1b[32m).
        safe = term(text)
        click.echo(click.style(safe, **style) if style and use_colour() else safe, err=True)

    echo("")
    if result.resolved_by:
        fixer = next(r for r in result.records if r.step.id == result.resolved_by)
        echo(t("sum.resolved", lang, step=fixer.title or fixer.step.id), fg="green", bold=True)
    elif shown["findings"]:
        echo(t("sum.findings", lang, n=len(shown["findings"])), bold=True)
        for f in shown["findings"]:
            severity = t(f"severity.{f['severity']}", lang) if f["severity"] in (
                "critical", "high", "medium", "low", "info") else f["severity"]
            echo(f"  [{severity}] {f['finding']}",
                 fg="red" if f["severity"] in ("critical", "high") else None)
            if f["recommend"]:
                echo(f"      → {f['recommend']}")
            if f.get("next"):
                echo(t("sum.next", lang, playbook=f["next"]))
            if f.get("kb"):
                echo("      " + _article(f["kb"], lang))
    else:
        echo(t("sum.none", lang), fg="green")
    for r in result.records:
        if r.outcome in ("failed", "timed_out"):
            echo(t("sum.bad_step", lang, step=r.title or r.step.label,
                   outcome=t(f"outcome.{r.outcome}", lang),
                   reason=r.note or i18n.translate(r.reason, lang)), fg=COLOURS[r.outcome])
    esc = shown["escalation"]
    if esc and esc.get("needed"):
        echo(t("sum.escalate", lang, to=esc["to"],
               resources=("、" if lang == "zh" else ", ").join(
                   i18n.translate(r, lang) for r in esc["resources"])
               or t("sum.no_resources", lang)),
             fg="yellow")
    if not ticket:  # with --ticket, the ticket hook has said what it recorded
        echo(t("sum.keep", lang, path=path))
    say(str(path))
