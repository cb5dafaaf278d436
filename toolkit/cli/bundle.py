"""``supportkit bundle verify | show | report | redact | sign | seal | upload``.

Every command that reads a bundle takes a sealed one (``.zip.age``) too: it is opened
with this machine's identities into a private temporary file, removed afterwards
(``evidence/seal.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say, term
from toolkit.errors import (
    EXIT_OK,
    EXIT_TAMPERED,
    EXIT_UNKNOWN_SIGNER,
    EXIT_UNSIGNED,
    BadInput,
)

BUNDLE = click.argument("path", metavar="BUNDLE", type=click.Path(path_type=Path))


@click.group(context_settings=CONTEXT_SETTINGS)
def bundle() -> None:
    """Check and read evidence bundles (zip files written by 'supportkit run')."""


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.option("--require-signature", is_flag=True,
              help="Exit 5 or 6 for a bundle not signed by a trusted key even when this "
                   "machine trusts no signer yet.")
@json_option
def verify(path: Path, require_signature: bool, as_json: bool) -> int:
    """Recompute every hash in BUNDLE's manifest, name each altered, missing or added
    file, and check its signature against the keys this machine trusts.

    \b
    Exit 0 intact and signed by a trusted key — or intact, where no signer is trusted
           yet (keys import, trust: keys:) and --require-signature is not given
         4 tampered, or a signature that does not match
         5 intact but not signed      } where signers are trusted,
         6 signed by an unknown key   } or with --require-signature
         2 not a readable bundle (or sealed to someone else)
    """
    from toolkit import keys
    from toolkit.evidence import seal
    from toolkit.evidence.bundle import verify as run_verify

    trusted = keys.trusted_signers()
    sealed = seal.is_sealed(path)
    with seal.opened(path) as plain:
        v = run_verify(plain, trusted)
    strict = require_signature or bool(trusted)
    sig = v.signature
    status = sig.status if sig else "unsigned"
    if not v.ok:
        result, code = "tampered", EXIT_TAMPERED
    elif status == "trusted":
        result, code = "trusted", EXIT_OK
    elif not strict:
        result, code = "intact", EXIT_OK
    elif status == "unknown-key":
        result, code = "unknown-key", EXIT_UNKNOWN_SIGNER
    else:
        result, code = "unsigned", EXIT_UNSIGNED
    if as_json:
        emit_json({"bundle": str(path), "intact": v.ok, "files_checked": v.checked,
                   "problems": v.problems, "sealed": sealed, "result": result,
                   "signature": sig.as_json() if sig else None})
        return code
    what = f"{v.checked} files match the manifest" + (", sealed" if sealed else "")
    who = ""
    if sig is not None and sig.key_id:
        claim = f" (it claims to be {sig.claimed!r})" if sig.claimed else ""
        who = (f"signed by {sig.signer} (key {sig.key_id})" if status == "trusted"
               else f"signed by key {sig.key_id}{claim}, which this machine does not trust")
    if result == "tampered":  # names come from the zip: escaped, so they cannot fake an "OK"
        say(f"TAMPERED: {path}")
        for problem in v.problems:
            say(f"  {problem}")
    elif result in ("trusted", "intact"):
        say(f"OK: {path} — {what}; {who or 'not signed'}")
    elif result == "unknown-key":
        say(f"UNKNOWN SIGNER: {path} — {what}; {who}. If you know the key, trust it: "
            "supportkit keys import NAME FILE")
    else:
        say(f"UNSIGNED: {path} — {what}, but it is not signed, and this machine expects "
            "bundles signed by a key it trusts")
    return code


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@json_option
def show(path: Path, as_json: bool) -> int:
    """Summarise BUNDLE: run, host, steps and findings — and whether it verifies.

    A bundle that does not verify is still shown, under a warning (stderr, and the
    first line of the summary), and the exit code is 4, as for 'bundle verify':
    what it says may not be what was collected. --json adds "verified" and
    "problems". A sealed bundle (.zip.age) is opened with this machine's identity.
    """
    from toolkit.evidence import seal
    from toolkit.evidence.bundle import read
    from toolkit.evidence.bundle import verify as run_verify

    with seal.opened(path) as plain:
        manifest, findings, _ = read(plain, results=False)  # shapes checked; none loaded
        v = run_verify(plain)  # after read: an unreadable bundle stays a one-line exit 2
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
    from toolkit.evidence import seal
    from toolkit.evidence.bundle import read
    from toolkit.evidence.report import render_bundle

    with seal.opened(path) as plain:
        manifest, findings, results = read(plain)  # results within the report's budget
    target = out or path.with_name(path.name.removesuffix(".age")).with_suffix(".html")
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
    from toolkit import keys
    from toolkit.run.cleanup import signals

    signer = keys.default_signer()  # the new manifest is yours: signed by you, if you sign
    with signals():  # kill -TERM mid-write: the .partial is removed, exit 143
        new = redact_bundle(path, redactor, out)
        if signer is not None:
            from toolkit.evidence.sign import sign_bundle

            sign_bundle(new, signer)
    summary = redactor.summary()
    if as_json:
        from toolkit.evidence.bundle import mapping_path

        emit_json({"bundle": str(new), "source": str(path), "redaction": summary,
                   "signed_by": signer.name if signer else None,
                   **({"mapping": str(mapping_path(new))} if anonymize else {})})
    else:
        counts = ", ".join(f"{k} ×{v}" for k, v in summary["rules"].items()) or "nothing new"
        click.echo(f"Redacted again ({counts}).", err=True)
        click.echo(str(new))


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.option("--key", "key_name", metavar="NAME",
              help="The signing key (default: your default signing key).")
def sign(path: Path, key_name: str | None) -> None:
    """Sign BUNDLE's manifest with your key (in place; BUNDLE must verify first)."""
    from toolkit import keys
    from toolkit.evidence import seal
    from toolkit.evidence.sign import sign_bundle

    if seal.is_sealed(path):
        raise BadInput(f"{path} is sealed: its manifest cannot be signed from outside",
                       "sign before sealing: supportkit run --sign KEY --seal-to …")
    signer = keys.signer(key_name) if key_name else keys.default_signer()
    if signer is None:
        raise BadInput("you have no signing key", "make one: supportkit keys new NAME")
    sign_bundle(path, signer)
    click.echo(f"Signed by {signer.name}.", err=True)
    click.echo(str(path))


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.option("--to", "recipients", multiple=True, required=True, metavar="RECIPIENT",
              help="An age1… key or a key name (keys list); repeatable.")
@click.option("-o", "--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder for the sealed file (default: beside BUNDLE).")
@click.option("--remove", is_flag=True, help="Remove the plain BUNDLE once it is sealed.")
def seal(path: Path, recipients: tuple[str, ...], out: Path | None, remove: bool) -> None:
    """Encrypt BUNDLE to each RECIPIENT as <id>_<time>.zip.age (age format): file names,
    host and content are readable only with a recipient's identity."""
    from toolkit import keys
    from toolkit.errors import Tampered
    from toolkit.evidence import seal as sealing
    from toolkit.evidence.bundle import verify as run_verify

    if sealing.is_sealed(path):
        raise BadInput(f"{path} is sealed already", "seal the plain .zip bundle")
    to = keys.recipients(recipients)
    v = run_verify(path)
    if not v.ok or v.manifest is None:
        raise Tampered(f"{path} does not match its manifest ({len(v.problems)} problems)",
                       "sealing it would hide that; run 'supportkit bundle verify' on it")
    sealed = sealing.seal(path, to, sealing.sealed_name(v.manifest), out)
    if remove:
        path.unlink()
    click.echo(f"Sealed to {len(to)} recipient(s).", err=True)
    click.echo(str(sealed))


@bundle.command(context_settings=CONTEXT_SETTINGS)
@BUNDLE
@click.argument("url", metavar="LINK")
@json_option
def upload(path: Path, url: str, as_json: bool) -> None:
    """Send BUNDLE (plain or sealed) to an upload LINK from 'supportkit ticket
    upload-link'; the inbox verifies it and attaches it to the link's ticket."""
    from toolkit.serve.client import upload as send

    answer = send(path, url, progress=None if as_json else
                  (lambda line: click.echo(line, err=True)))
    if as_json:
        emit_json(answer)
        return
    att = answer.get("attachment") or {}
    say(f"Uploaded to ticket {answer.get('ticket')} ({att.get('name')}, sha256 "
        f"{str(att.get('sha256'))[:12]}…).")
