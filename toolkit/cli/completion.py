"""Shell completion of playbook ids and ticket ids (click's ``shell_complete``).

Enabled per shell with one line in the shell's start-up file (README › Shell
completion), e.g. ``eval "$(_SUPPORTKIT_COMPLETE=bash_source supportkit)"``.
Completion runs on every Tab: it reads file names and the ticket store's ids,
never loads a playbook or starts a collector, and a store that cannot be opened
completes nothing rather than printing an error into the shell.

- ``run PLAYBOOK``, ``playbook show``, ``playbook lint``: playbook ids (yours and
  shipped); a word that looks like a path (``./``, ``~``, ``/``, ``.yaml``)
  completes as a file name instead.
- ``ticket show|note|move|… ID``, ``run --ticket``: the ids in the ticket store
  (``--store`` or ``SUPPORTKIT_STORE`` when given), each with its title as help
  where the shell shows one (zsh, fish). ``sup-`` and ``SUP-`` both complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.shell_completion import CompletionItem


def _looks_like_path(word: str) -> bool:
    return word.startswith((".", "~", "/")) or "/" in word or word.endswith((".yaml", ".yml"))


def playbook_ids() -> list[str]:
    """Every playbook id ``run`` accepts: the user's folder and the shipped ones."""
    from toolkit import playbook

    return sorted({p.stem for p in playbook.shipped()}
                  | {p.stem for p in playbook.user_dir().glob("*.yaml")})


def complete_playbooks(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    if _looks_like_path(incomplete):
        return [CompletionItem(incomplete, type="file")]
    try:
        ids = playbook_ids()
    except Exception:  # completion must never print a traceback into the shell
        return []
    found = [CompletionItem(i) for i in ids if i.startswith(incomplete)]
    # Nothing by that name: the shell offers file names (a playbook file in this folder).
    return found or [CompletionItem(incomplete, type="file")]


def complete_tickets(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    try:
        from toolkit.tickets.store import default_path, open_store

        given = (ctx.params.get("store_path") if ctx is not None else None) or None
        path = Path(given).expanduser() if given else default_path()
        db = path / "tickets.db" if path.is_dir() else path
        if not db.is_file():
            return []
        store = open_store(path)
        try:
            found = store.find((), None)
        finally:
            store.close()
    except Exception:  # completion must never print a traceback into the shell
        return []
    want = incomplete.upper()
    return [CompletionItem(tk.id, help=" ".join(tk.title.split())[:60])
            for tk in found if tk.id.startswith(want)]
