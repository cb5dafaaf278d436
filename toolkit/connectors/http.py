"""A small HTTP client for the connectors: stdlib only, streamed uploads, retries.

Why not urllib.request: it follows redirects with the Authorization header
to wherever the server points, reads no body on an early error, and streams
multipart bodies only by hand anyway. ``http.client`` does exactly one
request per call, so here:

* bodies are **streamed** from the file in 1 MiB chunks with an exact
  ``Content-Length`` (a 2 GB bundle never sits in memory);
* **429 and 5xx are retried** with exponential backoff and jitter, waiting
  what ``Retry-After`` asks (seconds or an HTTP date) when it is given;
  a POST that creates something is retried only on 429 and 503, which say
  the request was not processed — a 502 after a create may hide a success;
* **redirects are not followed**: the error names the new location, so an
  ``http://`` URL that moves to ``https://`` is fixed in the config, and the
  credentials never travel to another host;
* the secret is never part of an error message: server text is scrubbed
  of it before it is shown (some proxies echo request headers);
* the **proxy** the OS gives is used (``toolkit/proxy.py``: the environment,
  else the Windows or macOS settings, with their exception lists): HTTPS
  through a ``CONNECT`` tunnel with TLS to the tracker inside it, plain HTTP
  with the absolute URL; credentials in the proxy URL go as
  ``Proxy-Authorization`` and are scrubbed like the token. A tracker on a
  loopback address is always reached directly — a proxy elsewhere would
  reach its own loopback, not this machine's. ``Client.proxy`` says what
  was chosen; errors name the proxy (never its credentials).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from toolkit import __version__
from toolkit.connectors.base import ConnectorConfigError, ConnectorError

# The bodies live in bodies.py; connectors and plugins import them from here.
from toolkit.connectors.bodies import Body as Body
from toolkit.connectors.bodies import BytesBody as BytesBody
from toolkit.connectors.bodies import FileBody as FileBody
from toolkit.connectors.bodies import MultipartBody as MultipartBody
from toolkit.proxy import (
    Choice,
    Proxy,
    ProxyConfigError,
    ProxyRefused,
    ProxyUnreachable,
    choose,
    open_socket,
    tunnel,
)

MAX_WAIT_S = 120.0  # a Retry-After longer than this is reported, not waited for
USER_AGENT = f"supportkit/{__version__}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def text(self, limit: int = 300) -> str:
        return " ".join(self.body[:limit].decode("utf-8", "replace").split())


class HttpError(Exception):
    """A non-2xx answer, for the connector to explain in its own words."""

    def __init__(self, method: str, path: str, response: Response) -> None:
        super().__init__(f"{method} {path}: HTTP {response.status}")
        self.method = method
        self.path = path
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status


@dataclass
class Client:
    """Requests to one service. ``auth`` headers are added to every request and never
    shown; ``secrets`` are scrubbed from any text that reaches an error message."""

    service: str  # "Redmine", "Jira", "Zendesk": used in messages
    base_url: str
    auth: dict[str, str]
    secrets: tuple[str, ...] = ()
    timeout_s: float = 60.0
    retries: int = 5
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = lambda line: None
    proxy: Choice = field(init=False, repr=False)  # the proxy chosen for base_url

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectorConfigError(f"{self.service} url {self.base_url!r} is not an "
                                       "http(s) URL", "write it like https://tracker.example.com")
        if parts.username or parts.password:
            raise ConnectorConfigError(f"the {self.service} url carries credentials",
                                       "remove them from the URL; give the token through the "
                                       "environment or the keyring")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        try:
            self.proxy = choose(self._scheme, self._host, self._port)
        except ProxyConfigError as exc:
            raise ConnectorConfigError(f"{self.service}: {exc.what}", exc.fix) from None
        if self.proxy.via is not None:
            self.secrets = (*self.secrets, *self.proxy.via.secrets())

    def scrub(self, text: str) -> str:
        """``text`` without any form (raw, base64, URL- or JSON-encoded) of a secret or an
        auth header this client holds: servers echo them encoded (``connectors/scrub.py``)."""
        from toolkit.connectors.scrub import scrub

        return scrub(text, (*self.secrets, *self.auth.values()))

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"

    # ----------------------------------------------------------------- plumbing
    def _connection(self) -> http.client.HTTPConnection:
        via = self.proxy.via
        if self._scheme == "https":
            if via is not None:
                return _Tunnelled(self._host, self._port, via, self.timeout_s,
                                  ssl.create_default_context())
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout_s,
                                               context=ssl.create_default_context())
        if via is not None:
            return _ToProxy(via, self.timeout_s)
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)

    def _unreachable(self, exc: BaseException) -> ConnectorError:
        """One line for a request that got no answer from the tracker."""
        where = f"cannot reach {self.service} at {self.base_url}"
        if isinstance(exc, ProxyRefused):
            return ConnectorError(f"{where}: {self.scrub(str(exc))}", exc.advice())
        if isinstance(exc, ProxyUnreachable):
            return ConnectorError(f"{where}: {self.scrub(str(exc))}",
                                  "check the proxy setting (HTTPS_PROXY/HTTP_PROXY, or the "
                                  "system's proxy settings), or list the tracker's host in "
                                  "NO_PROXY if it is reachable without the proxy")
        via = self.proxy.via
        through = f" through the proxy {via.describe()}" if via is not None else ""
        return ConnectorError(f"{where}{through}: {self.scrub(_reason(exc))}",
                              "check the url in config.yaml and the network (proxy, firewall)")

    def _once(self, method: str, target: str, headers: dict[str, str],
              body: Body | None) -> Response:
        conn = self._connection()
        try:
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                for k, v in headers.items():
                    conn.putheader(k, v)
                conn.endheaders()
                if body is not None:
                    for chunk in body.chunks():
                        conn.send(chunk)
            except OSError as exc:
                # The server may answer (413, 422, 401) and close before the body is
                # all sent: its answer says more than "connection reset".
                if conn.sock is None:  # never connected: nothing to read
                    raise
                try:
                    resp = conn.getresponse()
                except (OSError, http.client.HTTPException):
                    raise exc from None
                return Response(resp.status, _headers(resp), resp.read())
            resp = conn.getresponse()
            return Response(resp.status, _headers(resp), resp.read())
        finally:
            conn.close()

    def _wait(self, response: Response | None, attempt: int) -> float:
        """Seconds to wait before the next attempt: Retry-After when given, else
        exponential backoff (1, 2, 4, … s, capped at 30) with ±50 % jitter."""
        given = _retry_after(response.headers.get("retry-after", "")) if response else None
        if given is not None:
            return given
        return min(30.0, 2.0 ** attempt) * random.uniform(0.5, 1.5)

    # ----------------------------------------------------------------- API
    def request(self, method: str, path: str, *, json_body: Any = None,
                body: Body | None = None, query: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, creates: bool = False) -> Response:
        """One call, retried as the module docstring says; a non-2xx answer raises
        ``HttpError``, a network failure ``ConnectorError``. ``creates`` marks a POST
        whose repetition would create a second object."""
        if json_body is not None:
            body = BytesBody(json.dumps(json_body, ensure_ascii=False).encode("utf-8"))
        target = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json",
                       **self.auth, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = body.content_type
            all_headers["Content-Length"] = str(body.length())
        elif method in ("POST", "PUT"):
            all_headers["Content-Length"] = "0"
        via = self.proxy.via
        if via is not None and self._scheme == "http":
            # A proxy for plain HTTP takes the absolute URL (RFC 9112 §3.2.2) and its login.
            target = self._origin + target
            all_headers.update(via.headers())
        attempt = 0
        while True:
            response: Response | None = None
            try:
                response = self._once(method, target, all_headers, body)
            except (OSError, http.client.HTTPException) as exc:
                # A refused connection sent nothing, nor did a failed proxy or tunnel: even
                # a create may be tried again. A proxy's 4xx to CONNECT will not change.
                unsent = isinstance(exc, (ConnectionRefusedError, ProxyUnreachable,
                                          ProxyRefused))
                final = isinstance(exc, ProxyRefused) and exc.status is not None \
                    and exc.status < 500
                if final or attempt >= self.retries or (creates and not unsent):
                    raise self._unreachable(exc) from None
            if response is not None:
                if 200 <= response.status < 300:
                    return response
                if response.status == 407 and via is not None:
                    refused = ProxyRefused(via, f"{self._host}:{self._port or 80}", 407,
                                           "Proxy Authentication Required")
                    raise ConnectorError(f"cannot reach {self.service} at {self.base_url}: "
                                         f"the proxy {via.describe()} answered HTTP 407 Proxy "
                                         "Authentication Required", refused.advice())
                if 300 <= response.status < 400:
                    where = response.headers.get("location", "elsewhere")
                    raise ConnectorConfigError(
                        f"{self.service} redirects {method} {path} to {self.scrub(where)}",
                        "put the final address (often https://) as url in config.yaml")
                retriable = response.status == 429 or (
                    response.status >= 500 and (not creates or response.status == 503))
                if not retriable or attempt >= self.retries:
                    raise HttpError(method, path, response)
            wait = self._wait(response, attempt)
            if wait > MAX_WAIT_S:
                raise ConnectorError(f"{self.service} asks to wait {wait:.0f} s before the next "
                                     f"request (HTTP {response.status if response else '-'})",
                                     "try again later")
            what = f"HTTP {response.status}" if response else "no answer"
            self.progress(f"{self.service}: {what} for {method} {path}; retrying in "
                          f"{wait:.1f} s ({attempt + 1}/{self.retries})")
            self.sleep(wait)
            attempt += 1


class _Tunnelled(http.client.HTTPSConnection):
    """HTTPS to the tracker inside a CONNECT tunnel through ``via``. TLS is negotiated with
    the tracker, and its certificate checked against the tracker's name (``self.host``):
    the proxy only relays bytes. (http.client's own set_tunnel reports a refusal only as
    an OSError text, which would not say what to do.)"""

    def __init__(self, host: str, port: int | None, via: Proxy, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.via = via
        self.tls = context

    def connect(self) -> None:
        sock = open_socket(self.via, self.timeout)
        try:
            tunnel(sock, self.host, self.port, self.via, USER_AGENT)
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


class _ToProxy(http.client.HTTPConnection):
    """Plain HTTP sent to the proxy (the request line carries the tracker's URL)."""

    def __init__(self, via: Proxy, timeout: float) -> None:
        super().__init__(via.host, via.port, timeout=timeout)
        self.via = via

    def connect(self) -> None:
        self.sock = open_socket(self.via, self.timeout)


def _headers(resp: http.client.HTTPResponse) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.getheaders()}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _retry_after(value: str) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_text(response: Response) -> str:
    """The server's own words from the usual JSON error shapes, else the body's start."""
    doc = response.json()
    found: list[str] = []
    if isinstance(doc, dict):
        for key in ("errors", "errorMessages"):
            value = doc.get(key)
            if isinstance(value, list):
                found += [str(v) for v in value]
            elif isinstance(value, dict):  # Jira: {"errors": {"field": "message"}}
                found += [f"{k}: {v}" for k, v in value.items()]
        for key in ("description", "error", "message"):
            if isinstance(doc.get(key), str) and doc[key] not in found:
                found.append(doc[key])
        details = doc.get("details")
        if isinstance(details, dict):  # Zendesk: {"details": {"base": [{"description"}]}}
            for items in details.values():
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict) and item.get("description"):
                        found.append(str(item["description"]))
    return "; ".join(found) if found else response.text()

