"""Shell completion of playbook ids and ticket ids (click's ``shell_complete``).

Enabled per shell as the README says (``eval "$(_SUPPORTKIT_COMPLETE=bash_source
supportkit)"``). Completion runs on every Tab: it reads file names and the ticket
store's ids, never loads a playbook or starts a collector, and a store that
cannot be opened completes nothing rather than printing an error into the shell.
"""

from __future__ import annotations

from typing import Any

from click.shell_completion import CompletionItem


def complete_playbooks(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    from toolkit import playbook

    ids = {p.stem for p in playbook.shipped()} | {p.stem for p in playbook.user_dir().glob(
        "*.yaml")}
    return [CompletionItem(i) for i in sorted(ids) if i.startswith(incomplete)]


def complete_tickets(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    try:
        from toolkit.tickets.store import default_path, open_store

        path = default_path()
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
    return [CompletionItem(tk.id, help=tk.title[:60]) for tk in found if tk.id.startswith(want)]
