"""``ticket upload-link`` — a one-time link through which the user sends a bundle to
this ticket (received by ``supportkit serve``)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option
from toolkit.cli.ticket import _open, _who, by_option, store_option, ticket
from toolkit.errors import BadInput

DEFAULT_URL = "http://127.0.0.1:8765"


def _base_url(given: str | None) -> str:
    """--url, else ``serve: {url: …}`` in config.yaml, else the local default. The
    configuration decides where users send their data: one that others could write is
    refused, as for trust."""
    if given:
        return given
    from toolkit import config

    try:
        _, section = config.section("serve")
    except config.ConfigFileError as exc:
        raise BadInput(str(exc), "fix config.yaml") from None
    url = section.get("url") if isinstance(section, dict) else None
    if not url:
        return DEFAULT_URL
    why = config.check_safe()
    if why:
        raise BadInput(f"{config.file()} is not safe to use: {why}",
                       "chmod go-w it and its folder (and chown them to yourself)")
    return str(url)


@ticket.command(name="upload-link", context_settings=CONTEXT_SETTINGS)
@click.argument("ticket_id", metavar="ID")
@click.option("--expires", default="24h", show_default=True, metavar="DURATION",
              help="How long the link works: 30m, 24h, 7d (at most 30d).")
@click.option("--max-size", default="500M", show_default=True, metavar="SIZE",
              help="The largest bundle the link takes (500M, 2G).")
@click.option("--url", "base_url", metavar="URL", help="The inbox's public address (default: "
              f"serve.url in config.yaml, else {DEFAULT_URL}).")
@by_option
@store_option
@json_option
def upload_link(ticket_id: str, expires: str, max_size: str, base_url: str | None,
                by: str | None, store_path: Path | None, as_json: bool) -> None:
    """Print a one-time link that takes one bundle for ticket ID.

    \b
    Give it to the user, who runs:  supportkit run PLAYBOOK --upload LINK
                              or:  supportkit bundle upload BUNDLE LINK
    It works once, for this ticket only, until it expires; only its hash is kept
    (beside the store, in <store>-inbox/). 'supportkit serve' receives the bundle.
    """
    from toolkit.serve.client import make_link, parse_link
    from toolkit.serve.tokens import TokenStore, inbox_dir, parse_duration, parse_size

    store = _open(store_path)
    t = store.get(ticket_id)  # the store's own id: "3" → SUP-000003
    ttl, cap = parse_duration(expires), parse_size(max_size)
    now = datetime.now(timezone.utc)
    token, until = TokenStore(inbox_dir(store.path)).issue(t.id, _who(by), ttl, cap, now)
    link = make_link(_base_url(base_url), t.id, token)
    parse_link(link)  # a --url that cannot make a link is refused before it is shown
    if as_json:
        emit_json({"ticket": t.id, "url": link, "expires_at": until, "max_size": cap})
        return
    click.echo(f"One-time upload link for {t.id}, until {until}, up to {cap / 1e6:.0f} MB "
               "(shown once: keep it out of shared chats):", err=True)
    click.echo(link)
