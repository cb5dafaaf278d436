"""``ticket close --kb``: a knowledge-base draft from a solved case (docs/support-process.md
step 6 — the solution becomes an article future self-help points to).

The draft goes to ``$SUPPORTKIT_HOME/kb/KB-<ticket id>.md`` with ``draft: true``;
a person edits it, removes the flag and gives it a lasting id. An existing
file is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from toolkit.tickets import mdsafe
from toolkit.tickets.model import Ticket


def _body(t: Ticket) -> str:
    """The article text. Ticket text is escaped (``mdsafe``): a description line such as
    ``<!-- zh -->`` or ``---`` must not start a language section or front matter."""
    sol = t.solution or {}
    i = mdsafe.inline
    lines = [f"**Symptom.** {i(t.title)}."]
    if t.description:
        lines += ["", *mdsafe.lines(t.description)]
    if t.error_message:
        lines += ["", "Error message:", "", *mdsafe.fence(t.error_message)]
    env = {k: v for k, v in t.environment.items() if k in ("os", "kernel", "machine") and v}
    if env:
        lines += ["", "Seen on: " + ", ".join(f"{k} {i(v)}" for k, v in env.items()) + "."]
    findings = t.findings()
    if findings:
        lines += ["", "**What the evidence showed.**", ""]
        lines += [f"- [{i(f.get('severity'))}] {i(f.get('finding'))}" for f in findings]
    tried = t.tried()
    if tried:
        lines += ["", "**Did not help.**", ""]
        lines += [f"- {i(x['what'])}" for x in tried]
    lines += ["", "**Solution.**", ""]
    lines += [f"{n}. {i(s)}" for n, s in enumerate(sol.get("steps") or [sol.get("text", "")], 1)]
    if sol.get("backup"):
        lines += ["", f"Before the change: {i(sol['backup'])}"]
    if sol.get("rollback"):
        lines += [f"To undo it: {i(sol['rollback'])}"]
    if sol.get("risky"):
        lines += ["", "This is a risky change: have a second person check it."]
    return "\n".join(lines)


def write(t: Ticket) -> tuple[str, Path, bool]:
    """(article id, path, created) — ``created`` False when the draft existed."""
    from toolkit.kb import user_dir

    article_id = f"KB-{t.id}"
    folder = user_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # drafts quote tickets: private
    path = folder / f"{article_id}.md"
    if path.exists():
        return article_id, path, False
    keywords = list(dict.fromkeys([*(t.classification.get("matched") or []),
                                   *(x for x in (t.category, t.subcategory) if x)]))
    meta = {"id": article_id, "title": {"en": t.title}, "category": t.category or "",
            "keywords": keywords, "draft": True, "source_ticket": t.id}
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
    text = f"---\n{head}\n---\n<!-- en -->\n{_body(t)}\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # O_EXCL never follows a link planted under the temporary name; 0600 like the store.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return article_id, path, True
