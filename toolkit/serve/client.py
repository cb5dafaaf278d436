"""The user's side of the inbox: send a bundle to an upload link.

A link is ``http(s)://HOST[:PORT][/PREFIX]/v1/tickets/<ID>/bundle#<TOKEN>``. The token
sits in the fragment, which no browser, proxy or server log ever sees: the client sends
it as ``Authorization: Bearer``, and the inbox logs no header. The request goes through
the connectors' HTTP client (``connectors/http.py``): streamed from the file 1 MiB at
a time with an exact length, through the proxy the OS gives, the server's certificate
checked (``SSL_CERT_FILE`` names a private CA's), never retried once the body went out,
no redirect followed. Nothing here needs the ``[serve]`` extra.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from toolkit.connectors.http import FileBody
from toolkit.errors import BadInput, SupportkitError

_PATH = re.compile(r"^(?P<prefix>.*)/v1/tickets/(?P<ticket>[^/]+)/bundle$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,200}$")


@dataclass(frozen=True)
class Link:
    base_url: str  # scheme://host:port/prefix
    ticket: str
    token: str

    @property
    def path(self) -> str:
        return f"/v1/tickets/{quote(self.ticket, safe='')}/bundle"

    def shown(self) -> str:
        """The link without its token, for messages."""
        return f"{self.base_url}{self.path}"


def make_link(base_url: str, ticket: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v1/tickets/{quote(ticket, safe='')}/bundle#{token}"


def parse_link(url: str) -> Link:
    bad = BadInput("not an upload link (it looks like https://HOST/v1/tickets/ID/bundle#TOKEN)",
                   "copy the whole link 'supportkit ticket upload-link' printed")
    parts = urlsplit(url.strip())
    found = _PATH.match(parts.path or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or not found:
        raise bad
    if not TOKEN_RE.match(parts.fragment or ""):
        raise BadInput("the upload link has no token after '#'",
                       "copy the whole link, with the part after '#'")
    base = f"{parts.scheme}://{parts.netloc}{found.group('prefix')}"
    return Link(base, unquote(found.group("ticket")), parts.fragment)


class _Progress(FileBody):
    """The file as the body, saying how far it got every 5 % (and at the end)."""

    def __init__(self, path: Path, say: Callable[[str], None] | None) -> None:
        super().__init__(path)
        self.say = say

    def chunks(self) -> Iterator[bytes]:
        total, sent, shown = max(self.length(), 1), 0, -5
        for chunk in super().chunks():
            yield chunk
            sent += len(chunk)
            pct = sent * 100 // total
            if self.say is not None and (pct >= shown + 5 or sent == total):
                shown = pct
                self.say(f"  uploading {self.path.name}: {pct}% of {total / 1e6:.1f} MB")


def upload(path: Path, url: str, progress: Callable[[str], None] | None = None,
           timeout_s: float = 300.0) -> dict[str, Any]:
    """Send ``path`` to the link; the inbox's answer (``{"ticket", "attachment", …}``)."""
    from toolkit.connectors.base import ConnectorError
    from toolkit.connectors.http import Client, HttpError

    link = parse_link(url)
    if not path.is_file():
        raise BadInput(f"{path}: no such file", "give the bundle's path")
    client = Client("the inbox", link.base_url, {"Authorization": f"Bearer {link.token}"},
                    secrets=(link.token,), timeout_s=timeout_s, retries=2,
                    progress=progress or (lambda line: None))
    try:
        response = client.request("PUT", link.path, body=_Progress(path, progress),
                                  headers={"X-Bundle-Name": quote(path.name, safe="")},
                                  creates=True)
    except HttpError as exc:
        doc = exc.response.json()
        what = doc.get("error") if isinstance(doc, dict) else None
        fix = doc.get("fix") if isinstance(doc, dict) else None
        text = client.scrub(str(what or exc.response.text()))
        raise SupportkitError(f"the inbox refused the bundle (HTTP {exc.status}): {text}",
                              client.scrub(str(fix or "ask support for a new link"))) from None
    except ConnectorError as exc:
        raise SupportkitError(exc.what, exc.fix) from None
    answer = response.json()
    if not isinstance(answer, dict) or "ticket" not in answer:
        raise SupportkitError(f"{link.shown()} did not answer like a supportkit inbox",
                              "check the link")
    return answer
