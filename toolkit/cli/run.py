"""``supportkit run PLAYBOOK`` — guided run, evidence bundle, findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    echo_plan,
    emit_json,
    json_option,
    parse_pairs,
    say,
)
from toolkit.errors import EXIT_OK, EXIT_STEP_FAILED, BadInput
from toolkit.lang import default_lang


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
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default: locale).")
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
    if ticket:  # before anything runs: a closed case is not silently added to
        force = _closed_ticket_guard(ticket, interactive, force)
    # Keys, recipients and the link are checked before anything runs: a typo in a
    # recipient must not cost the user a whole run.
    delivery = _delivery(sign_key, no_sign, seal_to, upload_url)
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
                click.echo(note, err=True)
        if delivery.recipients:  # the plain zip stays in the private staging folder
            path = _seal(written, delivery.recipients, out_dir, anonymize)
    finally:
        cleanup.remove_dir(staging)
    uploaded = _upload(path, delivery.upload_url, quiet or as_json) if delivery.upload_url \
        else None
    # Print what the bundle holds (redacted, pseudonymized), never the raw findings:
    # this output is what agents paste into trackers.
    manifest, shown = written.manifest, written.findings
    mapping = str(_mapping_of(path)) if anonymize else None
    if mapping and not as_json and not quiet:
        click.echo(f"Pseudonym mapping (keep it private, do not send it): {mapping}", err=True)
    if as_json:
        emit_json({"bundle": str(path), "outcome": result.outcome, "findings": shown["findings"],
                   **({"mapping": mapping} if mapping else {}),
                   "signed_by": delivery.signer.name if delivery.signer else None,
                   "sealed": bool(delivery.recipients),
                   **({"upload": uploaded} if uploaded is not None else {}),
                   "escalation": shown["escalation"], "resolved_by": result.resolved_by,
                   "steps": [{k: s[k] for k in ("id", "kind", "outcome", "reason")}
                             for s in manifest["steps"]]})
    elif quiet:
        click.echo(str(path))
    else:
        _summary(result, shown, path, ticket)
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
    if esc and esc.get("needed") and esc["to"] == "L1":
        echo(f"Next: first line can fix this here: {esc.get('reason') or esc['to']}.", err=True)
    elif esc and esc.get("needed"):
        echo(f"Next: escalate to {esc['to']} with this bundle "
             f"(resources: {', '.join(esc['resources']) or 'none named'}).", err=True)
    if not ticket:  # with --ticket, the ticket hook has said what it recorded
        echo(f"Keep it with the case: supportkit ticket attach TICKET-ID {path}", err=True)
    echo(str(path))
