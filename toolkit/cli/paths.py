"""``supportkit paths [NAME]`` — where supportkit reads and writes, on this machine, now.

Every path follows ``SUPPORTKIT_HOME`` (default: the user data folder,
``~/.local/share/supportkit`` on Linux); the ticket store also follows
``--store``/``SUPPORTKIT_STORE``. Nothing is created: each path is printed with
whether it exists yet, so "where do I put config.yaml?" has an answer before
there is a file. ``supportkit paths config`` prints that one path alone, for
scripts (``$EDITOR "$(supportkit paths config)"``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, term

# name → what it is (the table's order is the order printed)
WHAT = {
    "home": "everything below moves with it (SUPPORTKIT_HOME)",
    "config": "site configuration: redaction, tickets, trust, connectors",
    "bundles": "evidence bundles that run writes",
    "tickets": "the ticket store (--store / SUPPORTKIT_STORE)",
    "playbooks": "your own playbooks; an id here wins over a shipped one",
    "kb": "your own knowledge-base articles (ticket close --kb drafts here)",
    "examples": "your labelled phrasings for symptom routing (playbook<TAB>phrase)",
    "classification": "your additions to the classification dictionary",
    "shipped-playbooks": "the playbooks installed with supportkit (read-only)",
}


def _table() -> dict[str, tuple[Path, str]]:
    """Each name's (path, where it came from)."""
    from toolkit import kb, paths
    from toolkit.playbook.loader import user_dir
    from toolkit.tickets.store import default_path

    home_from = "SUPPORTKIT_HOME" if os.environ.get("SUPPORTKIT_HOME") else "default"
    store_from = "SUPPORTKIT_STORE" if os.environ.get("SUPPORTKIT_STORE") else home_from
    home = paths.home()
    return {
        "home": (home, home_from),
        "config": (paths.config_file(), home_from),
        "bundles": (paths.bundles_dir(), home_from),
        "tickets": (default_path(), store_from),
        "playbooks": (user_dir(), home_from),
        "kb": (kb.user_dir(), home_from),
        "examples": (home / "examples.tsv", home_from),
        "classification": (home / "classification.yaml", home_from),
        "shipped-playbooks": (paths.shipped_playbooks_dir(), "installed"),
    }


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", metavar="[NAME]", required=False, type=click.Choice(list(WHAT)))
@json_option
def paths(name: str | None, as_json: bool) -> None:
    """Where the config file, bundles, ticket store and your playbooks are.

    \b
    supportkit paths           every path, whether it exists, what it is for
    supportkit paths config    that one path alone (for scripts)
    supportkit paths --json    {"home": {"path", "exists", "from", "what"}, …}

    Nothing is created. "from" says what chose the path: SUPPORTKIT_HOME,
    SUPPORTKIT_STORE, the default user data folder, or the installation.
    """
    table = _table()
    if name is not None:
        table = {name: table[name]}
    if as_json:
        emit_json({key: {"path": str(path), "exists": path.exists(), "from": source,
                         "what": WHAT[key]} for key, (path, source) in table.items()})
        return
    if name is not None:
        click.echo(term(str(table[name][0])))
        return
    width = max(len(key) for key in table)
    for key, (path, _source) in table.items():
        mark = "" if path.exists() else "  (not there yet)"
        click.echo(term(f"{key:<{width}}  {path}{mark}"))
        click.echo(f"{'':<{width}}  {WHAT[key]}")
