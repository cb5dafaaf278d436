"""``supportkit run PLAYBOOK`` — guided run, evidence bundle, findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, parse_pairs, say
from toolkit.errors import EXIT_OK, EXIT_STEP_FAILED, BadInput
from toolkit.lang import default_lang


class _Files(click.Option):
    """An option that takes several files after one flag (``--attach a.log b.png``), and
    ``--attach a --attach b`` as before. click options take one value each; after it,
    every following argument that names an existing file is taken too, up to the
    next option or the first argument that is not a file (so ``run --attach a.log
    general`` still finds its playbook)."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            opt = parser._long_opt.get(name) or parser._short_opt.get(name)
            if opt is None:
                continue
            take = opt.process

            def process(value: Any, state: Any, take: Any = take) -> None:
                take(value, state)
                while state.rargs and not state.rargs[0].startswith("-") and \
                        os.path.isfile(state.rargs[0]):
                    take(state.rargs.pop(0), state)

            opt.process = process


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
        names = {s.id, s.collector or "", s.kind}
        if s.id in opts.skip or (s.collector or "") in opts.skip:
            item["planned"] = "skipped by --skip"
        elif opts.only and s.kind == "collect" and not names & opts.only:
            item["planned"] = "not selected by --only"
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
@click.argument("playbook_ref", metavar="[PLAYBOOK]", required=False)
@click.option("--symptom", metavar="TEXT",
              help="Describe the problem instead of naming a playbook; the best match runs.")
@click.option("--ticket", metavar="ID", help="Ticket this run belongs to: names the bundle; "
              "attached and recorded when the ticket is in the store.")
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
@click.option("--attach", cls=_Files, multiple=True, type=click.Path(path_type=Path),
              metavar="FILE…", help="Add files to the bundle (screenshots, logs…): --attach "
              "A B C, or --attach A --attach B. Text is redacted; a binary holding "
              "secret-looking text, or an archive that cannot be checked, is refused.")
@click.option("--anonymize", is_flag=True,
              help="Also replace e-mails, IPs, MACs, host and user names by consistent "
                   "pseudonyms; the mapping is written beside the bundle, never in it.")
@click.option("--timeout", type=click.FloatRange(min=0.1), metavar="S",
              help="Seconds per collect step, replacing the playbook's limits.")
@click.option("--trust", "trust_flag", is_flag=True,
              help="Let this playbook use collectors that can run any command or read any "
                   "file (shipped playbooks always may; see docs/security.md).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default: locale).")
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
    lang = lang or default_lang()
    chosen: dict[str, Any] | None = None
    if playbook_ref is None:
        playbook_ref, chosen = _choose(symptom, interactive, lang)
    from toolkit.playbook import trust

    found = pbmod.find(playbook_ref)
    trust.check_playbook(found)  # refused before a line of it is read as instructions
    pb = pbmod.load(found)
    opts = RunOptions(answers=_answers(answers), timeout=timeout, only=_split(only),
                      skip=_split(skip), overrides=_overrides(params), lang=lang,
                      trust=trust.playbook_trust(pb.id, pb.path, trust_flag))
    for item in attach:
        if not item.is_file() or not os.access(item, os.R_OK):
            raise BadInput(f"cannot attach {item}: not a readable file", "check the path")
    if plan:
        _plan(pb, opts, as_json)
        return EXIT_OK
    ui = ConsoleUI() if interactive else HeadlessUI(quiet=quiet)
    from toolkit.redact import site_redactor

    redactor = site_redactor()  # a bad config.yaml is refused before anything runs
    if anonymize:
        from toolkit.redact.anonymize import Pseudonymizer

        redactor.pseudonyms = Pseudonymizer.for_this_machine()
    registry = load()
    cleanup.remove_stale()  # folders of runs that were killed (SIGKILL) before they could
    staging = cleanup.private_dir("run")  # 0700: raw, unredacted data stays private
    try:
        runner = Runner(pb, registry, staging, opts, ui)
        ui.info(f"{pb.title.get(opts.lang)} — {pb.id} v{pb.version}")
        with isolation.scope():  # however the run ends, nothing it started outlives it
            result = runner.run()
        header = None
        if ticket:
            from toolkit.tickets import ticket_header

            header = ticket_header(ticket)
            if header:
                ticket = header["id"]  # "3" or "sup-3" → the store's own SUP-000003
        written = bundle.write_bundle(bundle.BundleRequest(
            run=result, out_dir=out or paths.bundles_dir(), attachments=attach, ticket=ticket,
            redactor=redactor, chosen_by=chosen, ticket_info=header,
            symptom=(chosen or {}).get("symptom") or symptom,
            command_line=tuple(["supportkit", *sys.argv[1:]]), lang=opts.lang))
    finally:
        cleanup.remove_dir(staging)
    path = written.path
    for member, what in written.manifest["redaction"].get("files", {}).items():
        if what.get("stored") is False:  # refused: said even with --quiet, it is missing
            say(f"Not stored: {member} — {what['why']}", err=True)
    if ticket:  # attach the bundle and record the run when the ticket is in the store
        from toolkit.tickets import after_run

        recorded, note = after_run(ticket, path, result)
        if not quiet or not recorded:
            click.echo(note, err=True)
    # Print what the bundle holds (redacted, pseudonymized), never the raw findings:
    # this output is what agents paste into trackers.
    manifest, shown = written.manifest, written.findings
    mapping = str(bundle.mapping_path(path)) if anonymize else None
    if mapping and not as_json and not quiet:
        click.echo(f"Pseudonym mapping (keep it private, do not send it): {mapping}", err=True)
    if as_json:
        emit_json({"bundle": str(path), "outcome": result.outcome, "findings": shown["findings"],
                   **({"mapping": mapping} if mapping else {}),
                   "escalation": shown["escalation"], "resolved_by": result.resolved_by,
                   "steps": [{k: s[k] for k in ("id", "kind", "outcome", "reason")}
                             for s in manifest["steps"]]})
    elif quiet:
        click.echo(str(path))
    else:
        _summary(result, shown, path, ticket)
    return EXIT_STEP_FAILED if result.outcome == "incomplete" else EXIT_OK


def _choose(symptom: str | None, interactive: bool, lang: str) -> tuple[str, dict[str, Any]]:
    """The playbook for a described symptom: ask on a terminal, else take the best match."""
    from toolkit.playbook.suggest import all_playbooks, rank

    if not symptom and interactive:
        symptom = click.prompt("Describe the problem in a few words (what happens, any "
                               "error message)", err=True).strip()
    if not symptom:
        raise BadInput("no playbook named and no problem described",
                       "give a PLAYBOOK ('supportkit playbook list') or --symptom 'what happens'")
    available = all_playbooks()
    found = rank(symptom, available, lang)
    # The team's classification dictionary (tickets) knows its phrases best: its
    # playbook goes first; the keyword match over playbook metadata fills in.
    from toolkit.playbook.suggest import Suggestion
    from toolkit.tickets.classify import classify

    cls = classify(symptom)
    titles = {pb.id: pb.title.get(lang) for pb in available}
    if cls["playbook"] in titles:
        found = [Suggestion(cls["playbook"], titles[cls["playbook"]], float("inf"),
                            tuple(cls["matched"]))] + [s for s in found
                                                       if s.playbook != cls["playbook"]]
    if not found:
        click.echo("No playbook matches that description; running the general triage.",
                   err=True)
        return "general", {"symptom": symptom, "matched": [], "choice": "fallback"}
    best = found[0]
    if interactive and len(found) > 1:
        for i, s in enumerate(found[:3], 1):
            click.echo(f"  {i}. {s.playbook:<22} {s.title}  (matched: {', '.join(s.matched)})",
                       err=True)
        pick = click.prompt("Which one?", type=click.IntRange(1, min(3, len(found))),
                            default=1, err=True)
        best = found[pick - 1]
    else:
        click.echo(f"Chose playbook {best.playbook} for \"{symptom}\" "
                   f"(matched: {', '.join(best.matched)}).", err=True)
    return best.playbook, {"symptom": symptom, "matched": list(best.matched),
                           "choice": "user" if interactive and len(found) > 1 else "best match",
                           "others": [s.playbook for s in found[1:4]]}


def _summary(result: Any, shown: dict[str, Any], path: Path, ticket: str | None) -> None:
    echo = say  # findings quote what the collectors read (log lines, names): escaped
    echo("", err=True)
    if result.resolved_by:
        echo(f"Resolved at step '{result.resolved_by}'. The bundle records what was done.",
             err=True)
    elif shown["findings"]:
        echo(f"{len(shown['findings'])} finding(s):", err=True)
        for f in shown["findings"]:
            echo(f"  [{f['severity']}] {f['finding']}", err=True)
            if f["recommend"]:
                echo(f"      → {f['recommend']}", err=True)
            if f.get("next"):
                echo(f"      → next: supportkit run {f['next']}", err=True)
    else:
        echo("No problems found by this playbook's checks.", err=True)
    bad = [r for r in result.records if r.outcome in ("failed", "timed_out")]
    for r in bad:
        echo(f"  {r.step.label}: {r.outcome} — {r.reason}", err=True)
    esc = shown["escalation"]
    if esc and esc.get("needed"):
        echo(f"Next: escalate to {esc['to']} with this bundle "
             f"(resources: {', '.join(esc['resources']) or 'none named'}).", err=True)
    if not ticket:  # with --ticket, the ticket hook has said what it recorded
        echo(f"Keep it with the case: supportkit ticket attach TICKET-ID {path}", err=True)
    echo(str(path))
