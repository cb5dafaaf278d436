"""``supportkit kb search TEXT | show ID`` — the knowledge base."""

from __future__ import annotations

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say


@click.group(context_settings=CONTEXT_SETTINGS)
def kb() -> None:
    """Knowledge-base articles: shipped self-help, and your own in $SUPPORTKIT_HOME/kb/."""


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@json_option
def search(text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Find articles by words in their keywords, title or text (English or Chinese)."""
    from toolkit.kb import search as find

    hits = find(" ".join(text), limit)
    if as_json:
        emit_json(hits)
        return
    if not hits:
        click.echo("No article matches.", err=True)
        return
    for h in hits:
        title = h["title"].get("en") or next(iter(h["title"].values()), "")
        zh = h["title"].get("zh")
        say(f"{h['id']:<14} {title}" + (f" / {zh}" if zh else ""))


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.argument("article_id", metavar="ID")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default: locale).")
@json_option
def show(article_id: str, lang: str | None, as_json: bool) -> None:
    """Show one article."""
    from toolkit.kb import get
    from toolkit.lang import default_lang

    art = get(article_id)
    if as_json:
        emit_json(art.as_json())
        return
    lang = lang or default_lang()
    # Drafts carry ticket text and articles are files anyone may have edited: escaped.
    say(f"# {art.id} — {art.text(lang, 'title')}")
    if art.extra.get("draft"):
        say(f"(draft from {art.extra.get('source_ticket', 'a ticket')}; edit {art.path})")
    click.echo("")
    say(art.text(lang), multiline=True)
