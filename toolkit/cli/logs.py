"""``supportkit logs patterns FILE…`` — the recurring patterns of text log files.

The same reading as the ``logs.files`` collector (time format, year of year-less
stamps, header shape, redaction, ``collectors._logtemplates``) on any file, without a
run or a bundle: what a log says, grouped, and which pattern each line belongs to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say
from toolkit.errors import BadInput, SupportkitError


@click.group(context_settings=CONTEXT_SETTINGS)
def logs() -> None:
    """Read text log files directly (no run, no bundle)."""


@logs.command(context_settings=CONTEXT_SETTINGS)
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
@click.option("--top", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="Patterns shown per severity (text) or listed in the summary (JSON).")
@click.option("--lines/--no-lines", "with_lines", default=True, show_default=True,
              help="JSON: each line's pattern id (files[].line_patterns).")
@json_option
def patterns(files: tuple[str, ...], top: int, with_lines: bool, as_json: bool) -> None:
    """The recurring patterns of FILE… (plain or .gz): every line of every severity
    grouped into templates such as "Failed password for invalid user <*> from <*>",
    each with its count, first and last time, an example and the most frequent values
    of its variables (which users, which hosts). The files share one set of patterns.

    \b
    --json prints {"files": [{"path", "format", "header", "year_source", "lines",
    "first_time", "last_time", "skipped", "line_patterns": [id…]}], "patterns":
    [{"id", "pattern", "count", "severity", …, "variables"}], "summary": {…}}: the
    id of each line's pattern, in line order (null for a line past the bounds), so
    any tool can score or join the grouping. Examples and values are redacted with
    the default rules, as in a bundle.
    """
    from collectors import _logparse as lp
    from collectors import _logread as rd
    from toolkit.redact import Redactor

    redactor = Redactor()
    summary = lp.Summary(redactor.text, redact_lines=redactor.lines)
    entries: list[dict[str, Any]] = []
    for name in files:
        path = Path(name)
        if not path.exists():
            raise BadInput(f"{name}: no such file", "give the path of a text log file")
        if not path.is_file():
            raise BadInput(f"{name}: not a regular file",
                           "give log files (a folder: name its files, e.g. DIR/*.log)")
        try:
            entries.append(rd.read_file(path, summary, as_json and with_lines))
        except PermissionError:
            raise SupportkitError(f"{name}: permission denied",
                                  "run as administrator or root, or copy the file "
                                  "somewhere readable") from None
        except (OSError, EOFError) as exc:  # a torn .gz, an I/O error
            raise SupportkitError(f"{name}: cannot be read ({exc})",
                                  "check the file (a truncated .gz: gunzip what is left)") \
                from None
    for entry in entries:
        ids = entry.pop("_patterns", None)
        if ids is not None:
            entry["line_patterns"] = rd.line_ids(ids)
    live = sorted(summary.miner.live(), key=lambda p: (-p.count, p.id))
    if as_json:
        emit_json({"files": entries, "patterns": [lp.describe(p) for p in live],
                   "summary": summary.result(top)})
        return
    _show(entries, summary.result(top), len(live))


def _show(entries: list[dict[str, Any]], result: dict[str, Any], distinct: int) -> None:
    for e in entries:
        if e["skipped"]:
            say(f"{e['path']}: skipped — {e['skipped']}")
            continue
        when = (f"{e['first_time']} → {e['last_time']}" if e["format"]
                else "no timestamps in its lines")
        year = f", year from {e['year_source']}" if e.get("year_source") else ""
        say(f"{e['path']}: {e['lines']} lines, {when} "
            f"(format {e['format'] or '-'}{year}, header {e['header'] or '-'})")
    sev = ", ".join(f"{k} {n}" for k, n in result["severity"].items())
    say(f"{result['lines']} lines in {distinct} patterns; {sev or 'no lines'}")
    for title, key in (("Errors", "top_errors"), ("Warnings", "top_warnings")):
        if not result[key]:
            continue
        click.echo("")
        say(f"{title}:")
        for p in result[key]:
            span = f"  {p['first_seen']} → {p['last_seen']}" if p["first_seen"] else ""
            say(f"  {p['count']:>7}  {p['pattern']}{span}")
            for v in p["variables"][:3]:
                values = ", ".join(f"{t['value']} ×{t['count']}" for t in v["top"][:5])
                more = "" if v["distinct"] <= len(v["top"]) else \
                    f" ({v['distinct']}{'' if v['exact'] else '+'} distinct)"
                say(f"           {v['name']}: {values}{more}")
