"""``supportkit run PLAYBOOK`` — guided run, evidence bundle, findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from toolkit import i18n
from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    echo_plan,
    emit_json,
    json_option,
    parse_pairs,
    say,
)
from toolkit.cli.completion import complete_playbooks, complete_tickets
from toolkit.errors import EXIT_OK, EXIT_STEP_FAILED, BadInput
from toolkit.i18n import t
from toolkit.term import term


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
    from toolkit.run import plan
    from toolkit.run.runner import deselected

    registry = load()
    ctx = plan.context(pb, opts.answers, opts.lang)
    steps = []
    for s in pb.steps:
        item = {"index": s.index, "id": s.id, "kind": s.kind}
        if s.kind == "collect":
            overrides = opts.overrides.get(s.id, {})
            item.update(collector=s.collector, params={**dict(s.params), **overrides},
                        timeout=opts.timeout or s.timeout or pb.timeout,
                        plan=plan.step_plan(registry.collectors.get(s.collector or ""), s,
                                            overrides, ctx).as_dict())
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
        if "plan" in item:
            echo_plan(item["plan"], 15)


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
@click.option("--lang", type=click.Choice(["en", "zh"]),
              help="Language (default: the ticket's, else the script of the described "
                   "problem, else the locale).")
@click.option("--plan", is_flag=True, help="Print what would run and collect; run nothing.")
@click.option("--quiet", is_flag=True, help="Nothing on stderr but errors; the bundle path "
              "still goes to stdout.")
@click.option("--force", is_flag=True, help="With --ticket: run and record even though the "
              "ticket is closed (asked on a terminal, refused unattended without it).")
@click.option("--sign", "sign_key", metavar="KEY", help="Sign the manifest with this key "
              "(default: your default signing key, when you have one; see 'keys list').")
@click.option("--no-sign", is_flag=True, help="Do not sign, even with a default signing key.")
@click.option("--seal-to", multiple=True, metavar="RECIPIENT",
              help="Seal the bundle (age) to this recipient: an age1… key or a key name; "
                   "repeatable. Only the sealed .zip.age is kept.")
@click.option("--upload", "upload_url", metavar="URL",
              help="Send the bundle to the link 'supportkit ticket upload-link' printed.")
@json_option
def run(playbook_ref: str | None, symptom: str | None, ticket: str | None,
        answers: Path | None, non_interactive: bool,
        out: Path | None, only: tuple[str, ...], skip: tuple[str, ...],
        params: tuple[str, ...], attach: tuple[Path, ...], anonymize: bool,
        timeout: float | None, trust_flag: bool,
        lang: str | None, plan: bool, quiet: bool, force: bool, sign_key: str | None,
        no_sign: bool, seal_to: tuple[str, ...], upload_url: str | None,
        as_json: bool) -> int:
    """Run PLAYBOOK (an id from 'supportkit playbook list', or a .yaml file).

    Without PLAYBOOK, describe the problem (asked on a terminal, or --symptom)
    and the playbook that fits it best is proposed.

    Walks you through self-help steps, runs the collectors, turns checks into
    findings and writes a zip evidence bundle (verifiable, secrets redacted).

    With a signing key (supportkit keys new NAME) the manifest is signed;
    --seal-to encrypts the bundle to a team's age key; --upload sends it to
    the link from 'supportkit ticket upload-link'.

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
    if ticket:  # before anything runs: a closed case is not silently added to
        force = _closed_ticket_guard(ticket, interactive, force)
    # Keys, recipients and the link are checked before anything runs: a typo in a
    # recipient must not cost the user a whole run.
    delivery = _delivery(sign_key, no_sign, seal_to, upload_url)
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
        out_dir = out or paths.bundles_dir()
        written = bundle.write_bundle(bundle.BundleRequest(
            run=result, out_dir=staging / "plain" if delivery.recipients else out_dir,
            attachments=attach, ticket=ticket, signer=delivery.signer,
            redactor=redactor, chosen_by=chosen, ticket_info=header,
            symptom=(chosen or {}).get("symptom") or symptom,
            command_line=tuple(["supportkit", *sys.argv[1:]]), lang=opts.lang))
        path = written.path
        if ticket:  # attach the bundle and record the run when the ticket is in the store
            from toolkit.tickets import after_run

            recorded, note = after_run(ticket, path, result, forced=force)
            if not quiet or not recorded:
                say(i18n.translate(note, lang), err=True)
        if delivery.recipients:  # the plain zip stays in the private staging folder
            path = _seal(written, delivery.recipients, out_dir, anonymize)
    finally:
        cleanup.remove_dir(staging)
    for member, what in written.manifest["redaction"].get("files", {}).items():
        if what.get("stored") is False:  # refused: said even with --quiet, it is missing
            say(f"Not stored: {member} — {what['why']}", err=True)
    uploaded = _upload(path, delivery.upload_url, quiet or as_json) if delivery.upload_url \
        else None
    # Print what the bundle holds (redacted, pseudonymized), never the raw findings:
    # this output is what agents paste into trackers.
    manifest, shown = written.manifest, written.findings
    mapping = str(_mapping_of(path)) if anonymize else None
    if mapping and not as_json and not quiet:
        click.echo(t("sum.mapping", lang, path=mapping), err=True)
    if as_json:
        # Machine fields stay as they were (English reasons, ids); "title" and "text" are
        # what a person reads, in the run's language.
        emit_json({"bundle": str(path), "outcome": result.outcome, "findings": shown["findings"],
                   **({"mapping": mapping} if mapping else {}),
                   "signed_by": delivery.signer.name if delivery.signer else None,
                   "sealed": bool(delivery.recipients),
                   **({"upload": uploaded} if uploaded is not None else {}),
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


def _closed_ticket_guard(ticket: str, interactive: bool, force: bool) -> bool:
    """A run for a closed ticket would be recorded in a case that is over: on a terminal,
    say so and ask; unattended, refuse unless --force. Returns whether it was forced."""
    from toolkit.tickets import ticket_header

    header = ticket_header(ticket)
    if header is None or header["status"] != "closed":
        return False
    if force:
        return True
    tid = header["id"]
    fix = (f"open a new ticket that refers to {tid}, or add --force to record this run "
           "in the closed ticket")
    if not interactive:
        raise BadInput(f"{tid} is closed", fix)
    say(f"warning: {tid} is closed; this run would be recorded in a case that is over",
        err=True)
    if not click.confirm(f"Run it for {tid} anyway?", default=False, err=True):
        raise BadInput(f"{tid} is closed; nothing was run", fix)
    return True


class _Delivery:
    """How the bundle leaves: signed by whom, sealed to whom, uploaded where."""

    def __init__(self, signer: Any, recipients: list[Any], upload_url: str | None) -> None:
        self.signer, self.recipients, self.upload_url = signer, recipients, upload_url


def _delivery(sign_key: str | None, no_sign: bool, seal_to: tuple[str, ...],
              upload_url: str | None) -> _Delivery:
    from toolkit import keys

    if sign_key and no_sign:
        raise BadInput("--sign and --no-sign contradict each other", "give one of them")
    signer = None if no_sign else keys.signer(sign_key) if sign_key else keys.default_signer()
    recipients = keys.recipients(seal_to) if seal_to else []
    if upload_url:
        from toolkit.serve.client import parse_link

        parse_link(upload_url)
    return _Delivery(signer, recipients, upload_url)


def _mapping_of(path: Path) -> Path:
    from toolkit.evidence import bundle, seal

    if path.name.endswith(seal.SUFFIX):
        return path.with_name(path.name.removesuffix(seal.SUFFIX) + ".mapping.json")
    return bundle.mapping_path(path)


def _seal(written: Any, recipients: list[Any], out_dir: Path, anonymize: bool) -> Path:
    """Seal the plain bundle into ``out_dir``; its pseudonym mapping (never sealed, never
    sent) moves there beside the sealed file."""
    import shutil

    from toolkit.evidence import bundle, seal

    out_dir.mkdir(parents=True, exist_ok=True)
    sealed = seal.seal(written.path, recipients, seal.sealed_name(written.manifest), out_dir)
    if anonymize:
        shutil.move(str(bundle.mapping_path(written.path)), str(_mapping_of(sealed)))
    return sealed


def _upload(path: Path, url: str, quiet: bool) -> dict[str, Any]:
    from toolkit.errors import SupportkitError
    from toolkit.serve.client import upload

    try:
        answer = upload(path, url, progress=None if quiet else
                        (lambda line: click.echo(line, err=True)))
    except SupportkitError as exc:
        exc.fix = (f"{exc.fix}; the bundle is kept: {path} (send it again with a new link: "
                   f"supportkit bundle upload {path} URL)")
        raise
    if not quiet:
        click.echo(f"Uploaded to ticket {answer.get('ticket')}.", err=True)
    return answer


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
        resources = ("、" if lang == "zh" else ", ").join(
            i18n.translate(r, lang) for r in esc["resources"]) or t("sum.no_resources", lang)
        if esc["to"] == "L1":  # the cause is one first line fixes on the machine
            echo(t("sum.l1_fix", lang, reason=esc.get("reason") or "", resources=resources),
                 fg="yellow")
        else:
            # a team name (L2-network) stays as the playbook gives it
            echo(t("sum.escalate", lang, to=i18n.label("target", esc["to"], lang),
                   resources=resources), fg="yellow")
    if not ticket:  # with --ticket, the ticket hook has said what it recorded
        echo(t("sum.keep", lang, path=path))
    say(str(path))
