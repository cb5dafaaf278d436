"""``supportkit bundle verify | show | report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say, term
from toolkit.errors import EXIT_OK, EXIT_TAMPERED

BUNDLE = click.argument("path", metavar="BUNDLE", type=click.Path(path_type=Path))


@click.group(context_settings=CONTEXT_SETTINGS)
def bundle() -> None:
    """Check and read evidence bundles (zip files written by 'supportkit run')."""


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@json_option
def verify(path: Path, as_json: bool) -> int:
    """Recompute every hash in BUNDLE's manifest; name each altered, missing or added file.

    Exit 0 intact, 4 tampered, 2 not a readable bundle.
    """
    from toolkit.evidence.bundle import verify as run_verify

    v = run_verify(path)
    if as_json:
        emit_json({"bundle": str(path), "intact": v.ok, "files_checked": v.checked,
                   "problems": v.problems})
    elif v.ok:
        say(f"OK: {path} — {v.checked} files match the manifest")
    else:  # member names and paths come from the zip: escaped, so they cannot fake an "OK"
        say(f"TAMPERED: {path}")
        for problem in v.problems:
            say(f"  {problem}")
    return EXIT_OK if v.ok else EXIT_TAMPERED


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@json_option
def show(path: Path, as_json: bool) -> int:
    """Summarise BUNDLE: run, host, steps and findings — and whether it verifies.

    A bundle that does not verify is still shown, under a warning (stderr, and the
    first line of the summary), and the exit code is 4, as for 'bundle verify':
    what it says may not be what was collected. --json adds "verified" and
    "problems".
    """
    from toolkit.evidence.bundle import read
    from toolkit.evidence.bundle import verify as run_verify

    manifest, findings, _ = read(path, results=False)  # shapes checked; no result loaded
    v = run_verify(path)  # after read: an unreadable bundle stays a one-line exit 2
    steps = [{k: s.get(k) for k in ("index", "id", "kind", "collector", "outcome", "reason")}
             | ({"fired": bool(s.get("fired"))} if s.get("kind") == "check" else {})
             | ({"done": s.get("done")} if s.get("kind") == "guide" and "done" in s else {})
             for s in manifest.get("steps") or []]
    t = manifest.get("ticket_info") or {}
    symptom = manifest.get("symptom") or (manifest.get("chosen_by") or {}).get("symptom")
    summary = {"bundle": str(path), "run_id": manifest.get("run_id"),
               "created": manifest.get("created"), "host": manifest.get("host") or {},
               "playbook": manifest.get("playbook"), "ticket": manifest.get("ticket"),
               "problem": {"title": t.get("title"), "symptom": symptom,
                           "description": t.get("description"),
                           "error_message": t.get("error_message"),
                           "occurred_at": t.get("occurred_at")},
               "inputs": manifest.get("inputs") or {},
               "outcome": manifest.get("outcome"), "steps": steps,
               "tried": manifest.get("tried") or [],
               "findings": findings.get("findings") or [],
               "escalation": findings.get("escalation"),
               "redaction": manifest.get("redaction"),
               "verified": v.ok, "problems": v.problems}
    if not v.ok:
        more = f" (and {len(v.problems) - 1} more)" if len(v.problems) > 1 else ""
        say(f"WARNING: {path} does not verify: {v.problems[0]}{more} — what it shows may "
            f"not be what was collected; see 'supportkit bundle verify {path}'", err=True)
    if as_json:
        emit_json(summary)
        return EXIT_OK if v.ok else EXIT_TAMPERED
    if not v.ok:  # on stdout too: a summary pasted elsewhere must carry the warning
        say(f"UNVERIFIED: {path} — {len(v.problems)} problem(s); this summary may not be "
            "what was collected")
    _print_summary(summary)
    return EXIT_OK if v.ok else EXIT_TAMPERED


def _print_summary(summary: dict[str, Any]) -> None:
    echo = say  # every field is the bundle's: control characters are shown, never obeyed
    pb = summary["playbook"] or {}
    echo(f"{summary['run_id']} · {pb.get('id')} v{pb.get('version')} · "
         f"{summary['host'].get('hostname')} · {summary['created']} · {summary['outcome']}")
    problem = summary["problem"]
    if problem["title"] or problem["symptom"]:
        echo(f"Problem: {problem['title'] or problem['symptom']}")
        if problem["symptom"] and problem["title"] and problem["symptom"] != problem["title"]:
            echo(f"  in the user's words: {problem['symptom']}")
    for key, label in (("description", "description"), ("error_message", "error message"),
                       ("occurred_at", "happened")):
        if problem[key]:  # may span lines: kept, indented under their label
            click.echo(f"  {label}: " + term(problem[key], multiline=True).replace(
                "\n", "\n" + " " * (len(label) + 4)))
    if summary["inputs"]:
        echo("Inputs: " + ", ".join(f"{k}={v}" for k, v in summary["inputs"].items()))
    findings = {f.get("id"): f for f in summary["findings"]}
    not_done = {x.get("step") for x in summary["tried"] if x.get("done") is False}
    for s in summary["steps"]:
        what = s.get("collector") or s["id"]
        if s.get("fired"):  # a check that fired is a finding, not "ok"
            f = findings.get(s["id"], {})
            state = f"finding [{f.get('severity', '?')}] {f.get('finding', '')}".rstrip()
        elif s["id"] in not_done:
            state = f"{s['outcome']} — not done (unattended run)"
        else:
            state = s["outcome"] + (f" — {s['reason']}" if s.get("reason") else "")
        echo(f"  {s['index']:>2}. {s['kind']:<7} {what:<20} {state}")
    echo(f"Findings: {len(summary['findings'])}")
    for f in summary["findings"]:
        echo(f"  [{f['severity']}] {f['finding']}")
        if f.get("recommend"):
            echo(f"      → {f['recommend']}")
    esc = summary["escalation"]
    if esc and esc.get("needed"):
        echo(f"Escalate to {esc.get('to')}: {', '.join(esc.get('resources') or [])}")


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="Where to write the HTML (default: BUNDLE's name with .html).")
def report(path: Path, out: Path | None) -> None:
    """Re-render BUNDLE's report.html into a file next to it."""
    from toolkit.evidence.bundle import read
    from toolkit.evidence.report import render_bundle

    manifest, findings, results = read(path)  # results within the report's budget
    target = out or path.with_suffix(".html")
    html = render_bundle(manifest, findings.get("findings") or [], results)
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        from toolkit.errors import SupportkitError

        raise SupportkitError(f"cannot write {target}: {exc.strerror}",
                              "choose another file with --out") from None
    click.echo(str(target))


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.option("--keyword", "keywords", multiple=True, metavar="WORD",
              help="Also redact values labelled WORD (key=value, key: value); repeatable.")
@click.option("--pattern", "patterns", multiple=True, metavar="REGEX",
              help="Also redact what REGEX matches (its group 1 if it has one); repeatable.")
@click.option("--anonymize", is_flag=True,
              help="Also pseudonymize e-mails, IPs, MACs, host and user names; the mapping "
                   "is written beside the new bundle.")
@click.option("-o", "--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder for the new bundle (default: beside BUNDLE).")
@json_option
def redact(path: Path, keywords: tuple[str, ...], patterns: tuple[str, ...], anonymize: bool,
           out: Path | None, as_json: bool) -> None:
    """Re-redact BUNDLE with extra rules into a new bundle; BUNDLE is left as it is.

    The site rules of config.yaml apply too. BUNDLE must verify (exit 4 if it
    was altered); the new bundle has fresh hashes and records both passes.
    """
    import re

    from toolkit.errors import BadInput
    from toolkit.evidence.rebundle import redact_bundle
    from toolkit.redact import ConfigError, Redactor, site_redactor

    site = site_redactor()
    try:
        redactor = Redactor(keywords=(*site.keywords, *keywords),
                            patterns=(*site.patterns, *patterns))
    except (ConfigError, ValueError, re.error) as exc:
        raise BadInput(f"unusable --keyword/--pattern: {exc}", "fix the expression") from None
    if anonymize:
        from toolkit.redact.anonymize import Pseudonymizer

        redactor.pseudonyms = Pseudonymizer.for_this_machine()
    from toolkit.run.cleanup import signals

    with signals():  # kill -TERM mid-write: the .partial is removed, exit 143
        new = redact_bundle(path, redactor, out)
    summary = redactor.summary()
    if as_json:
        from toolkit.evidence.bundle import mapping_path

        emit_json({"bundle": str(new), "source": str(path), "redaction": summary,
                   **({"mapping": str(mapping_path(new))} if anonymize else {})})
    else:
        counts = ", ".join(f"{k} ×{v}" for k, v in summary["rules"].items()) or "nothing new"
        click.echo(f"Redacted again ({counts}).", err=True)
        click.echo(str(new))
