"""``supportkit serve`` — the inbox for bundles sent with one-time upload links."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli._common import CONTEXT_SETTINGS, say
from toolkit.errors import BadInput


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--store", "store_path", type=click.Path(path_type=Path), envvar="SUPPORTKIT_STORE",
              metavar="PATH", help="Ticket store the bundles are attached to (default: "
              "$SUPPORTKIT_HOME/tickets.db; env SUPPORTKIT_STORE).")
@click.option("--max-size", default="2G", show_default=True, metavar="SIZE",
              help="The largest upload taken, whatever a link allows.")
@click.option("--tls-cert", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              metavar="FILE", help="Serve HTTPS with this certificate (PEM; with --tls-key).")
@click.option("--tls-key", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              metavar="FILE", help="The certificate's private key (PEM).")
@click.option("--push", "push_to", metavar="NAME",
              help="Push each ticket that receives a bundle on to this connector.")
@click.option("--require-signature", is_flag=True,
              help="Refuse bundles not signed by a key this machine trusts.")
def serve(host: str, port: int, store_path: Path | None, max_size: str, tls_cert: Path | None,
          tls_key: Path | None, push_to: str | None, require_signature: bool) -> None:
    """Receive bundles from user machines through one-time upload links.

    \b
    L2:    supportkit ticket upload-link SUP-000001      → prints a link
    User:  supportkit run general --upload LINK         (or: bundle upload FILE LINK)
    Each bundle is verified (layout, hashes, signature; sealed ones are opened with
    this machine's identity) and attached to the link's ticket. The API is described
    at /openapi.json. Without --tls-cert, serve on 127.0.0.1 behind a reverse proxy
    that terminates TLS (docs/security.md › The inbox).
    """
    from toolkit.serve import Listen, run
    from toolkit.serve.inbox import InboxConfig, prepare
    from toolkit.serve.tokens import inbox_dir, parse_size
    from toolkit.tickets.store import default_path, open_store

    if (tls_cert is None) != (tls_key is None):
        raise BadInput("--tls-cert and --tls-key go together", "give both, or neither")
    opened = open_store(store_path or default_path())  # not ours: refused before we listen
    store = opened.path
    opened.close()
    if push_to:
        from toolkit.connectors import config as cconfig

        cconfig.get(push_to)  # an unknown or broken connector is refused now, not per upload
    cfg = InboxConfig(store=store, folder=inbox_dir(store), max_size=parse_size(max_size),
                      push=push_to, require_signature=require_signature)
    identities, trusted = cfg.keys()  # an unsafe key folder or config is refused now
    for note in prepare(cfg):
        say(f"note: {note}", err=True)
    scheme = "https" if tls_cert else "http"
    say(f"Inbox for {store} on {scheme}://{host}:{port} (API: /openapi.json; "
        f"{len(identities)} identity(ies) to open sealed bundles, "
        f"{len(trusted)} trusted signer(s)). Ctrl-C stops it.", err=True)
    run(cfg, Listen(host, port, tls_cert, tls_key))
