"""``supportkit playbook list | show ID | lint [ID_OR_PATH…] | schema``."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option
from toolkit.cli.completion import complete_playbooks
from toolkit.errors import EXIT_OK, EXIT_USAGE


@click.group(context_settings=CONTEXT_SETTINGS)
def playbook() -> None:
    """Work with playbooks (shipped ones, and yours in $SUPPORTKIT_HOME/playbooks)."""


def _all_files() -> list[tuple[Path, str, bool]]:
    """(path, origin, overrides): yours first — they take the place of a shipped
    playbook with the same id, which ``playbook list`` says."""
    from toolkit import playbook as pb

    mine = sorted(pb.user_dir().glob("*.yaml"))
    names = {p.stem for p in mine}
    shipped = {p.stem for p in pb.shipped()}
    return [(p, "user", p.stem in shipped) for p in mine] + [
        (p, "shipped", False) for p in pb.shipped() if p.stem not in names]


@playbook.command("list", context_settings=CONTEXT_SETTINGS)
@click.option("--lang", default="en", show_default=True, help="Language of titles (en, zh).")
@json_option
def list_(lang: str, as_json: bool) -> None:
    """List the playbooks you can run. Invalid ones are reported, not hidden; yours
    are marked, with the shipped playbook each one replaces, and refused when others
    could have written them."""
    from toolkit import playbook as pb
    from toolkit.errors import PlaybookInvalid
    from toolkit.playbook import trust

    rows, broken = [], []
    for path, origin, overrides in _all_files():
        try:
            p = pb.load(path)
        except PlaybookInvalid as exc:
            broken.append(exc.problems[0])
            continue
        refused = trust.unsafe(path) if origin != "shipped" else None
        rows.append({"id": p.id, "version": p.version, "category": p.category,
                     "title": p.title.get(lang), "steps": len(p.steps), "path": str(path),
                     "origin": origin, "overrides": overrides, "refused": refused})
    if as_json:
        emit_json({"playbooks": rows, "problems": broken})
    else:
        for r in rows:
            mark = ""
            if r["origin"] == "user":
                mark = f"  [yours: {r['path']}" + (", replaces the shipped one"
                                                   if r["overrides"] else "") + "]"
            if r["refused"]:
                mark += f"  [refused: {r['refused']}]"
            click.echo(f"{r['id']:<24} {r['category']:<9} {r['title']}{mark}")
    for problem in broken:
        click.echo(f"Warning: {problem}", err=True)


@playbook.command(context_settings=CONTEXT_SETTINGS)
@click.argument("ref", metavar="ID_OR_FILE", shell_complete=complete_playbooks)
@click.option("--lang", default="en", show_default=True, help="Language of texts (en, zh).")
@json_option
def show(ref: str, lang: str, as_json: bool) -> None:
    """Show a playbook's steps, inputs and escalation rule."""
    from toolkit import playbook as pb

    p = pb.load(pb.find(ref))
    steps = [{"index": s.index, "id": s.id, "kind": s.kind, "collector": s.collector,
              "params": dict(s.params), "when": s.when, "check": s.expression,
              "severity": s.severity, "text": s.text.get(lang) if s.text else None,
              "resolves": s.resolves, "kb": s.kb, "escalate": s.escalate} for s in p.steps]
    doc = {"id": p.id, "version": p.version, "title": p.title.get(lang), "category": p.category,
           "description": p.description.get(lang) if p.description else None,
           "path": str(p.path), "sha256": p.sha256, "timeout": p.timeout,
           "inputs": [{"name": i.name, "prompt": i.prompt.get(lang), "default": i.default}
                      for i in p.inputs],
           "steps": [{k: v for k, v in s.items() if v not in (None, {}, False)} for s in steps],
           "escalate": {"when": p.escalate.when, "to": p.escalate.to,
                        "resources": list(p.escalate.resources)} if p.escalate else None,
           "escalations": [{"when": e.when, "to": e.to, "findings": list(e.findings),
                            "resources": list(e.resources)} for e in p.escalations]}
    if as_json:
        emit_json(doc)
        return
    click.echo(f"{p.id} v{p.version} — {p.title.get(lang)} [{p.category}]")
    if doc["description"]:
        click.echo(doc["description"])
    for s in p.steps:
        what = {"guide": lambda s: s.text.get(lang) if s.text else "",
                "ask": lambda s: s.text.get(lang) if s.text else "",
                "collect": lambda s: f"{s.collector} {dict(s.params) or ''}".rstrip(),
                "check": lambda s: f"{s.expression}  → {s.severity}"
                + (f" (escalate: {s.escalate})" if s.escalate else "")}[s.kind](s)
        click.echo(f"  {s.index:>2}. {s.kind:<7} {s.id:<18} {what}")
    for e in p.escalations:
        why = ", ".join(e.findings) if e.findings else e.when
        click.echo(f"  escalate to {e.to} when {why}"
                   + (" (or where the most severe finding's check says)"
                      if not e.findings and any(s.escalate for s in p.steps) else ""))


@playbook.command(context_settings=CONTEXT_SETTINGS)
@click.argument("paths", metavar="[ID_OR_PATH]...", nargs=-1, type=click.Path(path_type=Path),
                shell_complete=complete_playbooks)
@json_option
def lint(paths: tuple[Path, ...], as_json: bool) -> int:
    """Check playbooks (default: all shipped and yours); print FILE:LINE:COL: message.

    Each argument is a playbook file, a folder of them, or a playbook id (as
    ``run`` takes it). Exit 0 when all are clean, 2 when any problem was found.
    """
    from toolkit import playbook as pb

    files: list[Path] = []
    for path in paths or tuple(p for p, _, _ in _all_files()):
        if not path.exists() and path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
            path = pb.find(str(path))  # an id; an unknown one is exit 2 with the ids near it
        files.extend(sorted(path.glob("*.y*ml")) if path.is_dir() else [path])
    found = [(f, *problem) for f in files for problem in pb.located_problems(f)]
    if as_json:
        emit_json({"files": len(files), "problems": [
            {"file": str(f), "line": line, "col": col, "message": msg}
            for f, line, col, msg in found]})
    else:
        for f, line, col, msg in found:
            click.echo(f"{f}:{line}:{col}: {msg}")
        click.echo(f"{len(files)} playbook(s), {len(found)} problem(s)", err=True)
    return EXIT_USAGE if found else EXIT_OK


@playbook.command(context_settings=CONTEXT_SETTINGS)
def schema() -> None:
    """Print the playbook JSON Schema (for editors: yaml-language-server, VS Code)."""
    from toolkit.playbook.schema import SCHEMA

    emit_json(SCHEMA)
