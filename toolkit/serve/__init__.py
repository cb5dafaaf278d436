"""The inbox: ``supportkit serve`` takes bundles from user machines for the local store.

``tokens`` (one-time upload links, stored hashed), ``inbox`` (open, verify, attach,
push on), ``app`` (the HTTP API on Starlette), ``openapi`` (its OpenAPI document),
``client`` (the user's side: ``run --upload``, ``bundle upload``; no web framework).
Starlette and uvicorn come with the ``[serve]`` extra and are imported only by
``serve`` itself, never by ``supportkit --help`` or the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import SupportkitError
from toolkit.serve.inbox import InboxConfig


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None


def run(cfg: InboxConfig, listen: Listen) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM end it cleanly; uploads under way are cut
    off, and their partial files removed)."""
    try:
        import uvicorn

        from toolkit.serve.app import create_app
    except ImportError as exc:
        raise SupportkitError(f"supportkit serve needs the [serve] extra ({exc.name} is "
                              "missing)", "pip install 'supportkit[serve]'") from None
    config = uvicorn.Config(
        create_app(cfg), host=listen.host, port=listen.port, log_level="warning",
        access_log=False,  # an access log would be the one place a token could land
        server_header=False, timeout_keep_alive=5, lifespan="off",
        ssl_certfile=str(listen.tls_cert) if listen.tls_cert else None,
        ssl_keyfile=str(listen.tls_key) if listen.tls_key else None)
    uvicorn.Server(config).run()
