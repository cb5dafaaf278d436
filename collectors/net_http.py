"""network.http — fetch a URL the way an application would, and time each phase.

One request (``GET`` by default) per URL in the redirect chain, on a fresh
connection, with Python's ``http.client`` and ``ssl`` on a socket opened here
so each phase can be timed: name lookup, TCP connect, TLS handshake, and the
wait from sending the request to the first byte of the answer. Redirects are
followed (up to ``max_redirects``) and listed. The TLS certificate is always
described — subject, issuer, validity, days to expiry, names — also when it
fails verification (then it is read from a second, unverified handshake, and
the request is not sent: an application would stop there too).

A proxy is used as applications do (``toolkit/proxy.py`` has the rules):
``proxy=auto`` takes the one the OS gives — the environment
(``https_proxy``/``http_proxy``/``all_proxy``, exceptions in ``no_proxy``:
names, domain suffixes, ``*``, addresses and CIDR ranges), else the Windows
registry or macOS System Settings with their exception lists — but never
for loopback targets; ``proxy=none`` goes direct; ``proxy=http://HOST:PORT``
forces one. HTTPS goes through it with ``CONNECT`` (TLS with the origin
inside the tunnel, its certificate checked against the origin's name), plain
HTTP with the whole URL on the request line; a user and password in the
proxy URL are sent as ``Proxy-Authorization`` and never recorded. ``proxy``
in the result says which was found, where from (``source``: ``env:`` and
the variable's name, ``windows-registry``, ``macos-system``, ``param``) and
whether it was used (``note`` says why not); a proxy that refuses the
tunnel is an error at stage ``proxy`` naming its answer and what to do.

Output::

    {
      "url": "https://api.example/v1/health", "final_url": "https://…",
      "host": "api.example", "port": 443,   # of the URL asked (for DNS and TCP steps)
      "ok": true,                       # an HTTP answer below 400 arrived
      "status": 200 | null, "reason": "OK", "http_version": "HTTP/1.1",
      "address": "10.0.0.7" | null,     # the address connected to, or tried (the proxy's
                                        # when used)
      "headers": {"server": "nginx", "content-type": "…", "content-length": "12",
                  "location": null},    # {} until an answer came
      "timing_ms": {"dns": 1.1, "connect": 0.3, "tls": 4.2, "first_byte": 12.5,
                    "total": 19.0},     # phases of the last request, not cumulative;
                                        # only those that were reached
      "redirects": [{"url": "http://…", "status": 301, "location": "https://…"}],
      "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
              "verified": true, "verify_error": null,
              "certificate": {"subject": "CN=api.example", "issuer": "CN=R3, O=…",
                              "common_name": "api.example", "self_signed": false,
                              "not_before": "…", "not_after": "2026-01-01T00:00:00+00:00",
                              "expires_in_days": 41.5, "san": ["DNS:api.example"],
                              "serial": "…"} | {"error": "could not read …"} | null}
             | null,
      "proxy": {"url": "http://proxy:3128" | null,   # never with its user:password
                "source": "env:https_proxy" | "windows-registry" | "macos-system" | "param"
                          | null,
                "used": false, "note": "…"} | null,   # null: the URL was not usable
      "error": null | {"stage": "dns" | "connect" | "proxy" | "tls" | "http",
                       "kind": "refused" | "filtered" | "unreachable" | "timeout" |
                               "verify" | "error", "detail": "…"}
    }
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import os
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from collectors._x509 import parse_der
from collectors.net_tcp import classify
from toolkit import proxy
from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, host_port, known, text
from toolkit.schema import BOOL, INT, NUM, STR, any_of, arr, enum, nullable, obj, opt

_CERTIFICATE = obj(subject=STR, issuer=STR, common_name=nullable(STR), self_signed=BOOL,
                   serial=STR, not_before=STR, not_after=STR, expires_in_days=NUM,
                   san=arr(STR))
OUTPUT = obj(
    url=STR, final_url=STR, host=nullable(STR), port=nullable(INT), ok=BOOL,
    status=nullable(INT), reason=nullable(STR), http_version=nullable(STR),
    address=nullable(STR),
    headers=obj({h: opt(nullable(STR))  # {} until an answer came
                 for h in ("server", "content-type", "content-length", "location")}),
    timing_ms=obj(dns=opt(NUM), connect=opt(NUM), tls=opt(NUM), first_byte=opt(NUM),
                  total=opt(NUM)),  # the phases that were reached
    redirects=arr(obj(url=STR, status=INT, location=STR)),
    tls=nullable(obj(version=nullable(STR), cipher=nullable(STR), verified=BOOL,
                     verify_error=nullable(STR),
                     certificate=nullable(any_of(_CERTIFICATE, obj(error=STR))))),
    proxy=nullable(obj(url=nullable(STR), source=nullable(STR), used=BOOL, note=STR)),
    error=nullable(obj(stage=enum("dns", "connect", "proxy", "tls", "http"),
                       kind=enum("refused", "filtered", "unreachable", "timeout", "verify",
                                 "error"),
                       detail=STR)),
)

_REDIRECTS = (301, 302, 303, 307, 308)
_KEEP_HEADERS = ("server", "content-type", "content-length", "location")
_MAX_BODY = 4 * 1024 * 1024  # read (and drop) at most this much to time the transfer


class _Stop(Exception):
    """A phase failed: ``error`` says which and why."""

    def __init__(self, stage: str, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.error = {"stage": stage, "kind": kind, "detail": detail}


@dataclass(frozen=True)
class Options:
    method: str
    timeout: float
    verify: bool
    ca_file: str | None
    proxy: str


def _ms(t0: float) -> float:
    return round((time.monotonic() - t0) * 1000, 3)


def _choose(parts: urllib.parse.SplitResult, setting: str) -> proxy.Choice:
    try:
        port = parts.port
    except ValueError:
        raise _Stop("http", "error", f"not a valid port in {parts.netloc}") from None
    try:
        return proxy.choose(parts.scheme, parts.hostname or "", port, setting)
    except proxy.ProxyConfigError as exc:
        raise _Stop("proxy", "error", exc.one_line()) from None


def _connect(host: str, port: int, timeout: float, timing: dict[str, Any]) -> socket.socket:
    t0 = time.monotonic()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Stop("dns", "error", f"cannot resolve {host}: "
                    f"{getattr(exc, 'strerror', None) or exc}") from None
    timing["dns"] = _ms(t0)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, addr = infos[0]
    timing["address"] = str(addr[0])
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    t0 = time.monotonic()
    try:
        sock.connect(addr)
    except OSError as exc:
        sock.close()
        kind, detail = classify(exc)
        raise _Stop("connect", kind, f"{addr[0]}:{port}: {detail}") from None
    timing["connect"] = _ms(t0)
    return sock


def _tunnel(sock: socket.socket, host: str, port: int, via: proxy.Proxy) -> None:
    try:
        proxy.tunnel(sock, host, port, via)
    except proxy.ProxyRefused as exc:
        sock.close()
        raise _Stop("proxy", "error", f"{exc} — {exc.advice()}") from None
    except OSError as exc:
        sock.close()
        kind = "timeout" if isinstance(exc, TimeoutError) else "error"
        raise _Stop("proxy", kind, f"the proxy {via.describe()} did not open the tunnel: "
                    f"{via.scrub(str(exc) or type(exc).__name__)}") from None


def _tls_context(opts: Options, verify: bool) -> ssl.SSLContext:
    if not verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=opts.ca_file)


def _handshake(sock: socket.socket, host: str, opts: Options, verify: bool,
               timing: dict[str, Any]) -> ssl.SSLSocket:
    t0 = time.monotonic()
    sni = None if _is_ip(host) else host
    tls = _tls_context(opts, verify).wrap_socket(sock, server_hostname=sni or host)
    timing["tls"] = _ms(t0)
    return tls


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _tls_info(tls: ssl.SSLSocket, verified: bool, error: str | None) -> dict[str, Any]:
    der = tls.getpeercert(binary_form=True)
    cipher = tls.cipher()
    try:
        cert = parse_der(der) if der else None
    except (ValueError, IndexError) as exc:
        cert = {"error": f"could not read the certificate: {exc}"}
    return {"version": tls.version(), "cipher": cipher[0] if cipher else None,
            "verified": verified, "verify_error": error, "certificate": cert}


def _open(parts: urllib.parse.SplitResult, via: proxy.Proxy | None, opts: Options,
          out: dict[str, Any]) -> socket.socket:
    """A connected (and, for https, TLS-wrapped) socket; fills timing and tls in ``out``."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timing = out["timing_ms"]
    try:
        if via is not None:
            try:
                sock = _connect(via.host, via.port, opts.timeout, timing)
            except _Stop as stop:  # say that it was the proxy that could not be reached
                stop.error["detail"] = f"proxy {via.describe()}: {stop.error['detail']}"
                raise
            if parts.scheme == "https":
                _tunnel(sock, host, port, via)
        else:
            sock = _connect(host, port, opts.timeout, timing)
    finally:  # also when connecting failed: the address is no timing (timing_ms is numbers)
        out["address"] = timing.pop("address", None)
    if parts.scheme != "https":
        return sock
    try:
        tls = _handshake(sock, host, opts, opts.verify, timing)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        reason = exc.verify_message or str(exc)
        # Look at the certificate that was refused, without trusting it.
        look: dict[str, Any] = {"timing_ms": {}}
        try:
            _open(parts, via, Options(opts.method, opts.timeout, False, None, opts.proxy),
                  look).close()
            out["tls"] = {**look["tls"], "verified": False, "verify_error": reason}
        except (_Stop, OSError):
            pass
        raise _Stop("tls", "verify", f"certificate not accepted: {reason}") from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        kind = "timeout" if isinstance(exc, TimeoutError) else "error"
        raise _Stop("tls", kind, f"TLS handshake failed: {exc}") from None
    out["tls"] = _tls_info(tls, opts.verify, None)
    return tls


class _Prefixed:
    """A socket whose stream starts with bytes already read from it (for HTTPResponse)."""

    def __init__(self, sock: socket.socket, first: bytes) -> None:
        self.sock, self.first = sock, first

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_PrefixedRaw(self.sock, self.first))


class _PrefixedRaw(io.RawIOBase):
    def __init__(self, sock: socket.socket, first: bytes) -> None:
        self.sock, self.pending = sock, first

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self.pending:
            n = min(len(buf), len(self.pending))
            buf[:n], self.pending = self.pending[:n], self.pending[n:]
            return n
        return self.sock.recv_into(buf)


def _request(url: str, opts: Options, out: dict[str, Any]) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Stop("http", "error", f"not an http(s) URL: {url}")
    choice = _choose(parts, opts.proxy)
    out["proxy"] = choice.as_json()
    out["timing_ms"], out["tls"] = {}, None
    t_start = time.monotonic()
    sock = _open(parts, choice.via, opts, out)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=opts.timeout)
    conn.sock = sock
    headers = {"User-Agent": "supportkit network.http", "Accept": "*/*", "Connection": "close"}
    # Through a plain-HTTP proxy the request line carries the whole URL (RFC 9112 §3.2.2).
    if choice.via is not None and parts.scheme == "http":
        target = urllib.parse.urlunsplit(("http", parts.netloc.rpartition("@")[2],
                                          parts.path or "/", parts.query, ""))
        headers.update(choice.via.headers())
    else:
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    try:
        conn.request(opts.method, target, headers=headers)
        t0 = time.monotonic()
        # Read the first byte ourselves: with TLS 1.3 the socket is readable before
        # the answer (session tickets), so select() would time nothing.
        first = sock.recv(1)
        out["timing_ms"]["first_byte"] = _ms(t0)
        if not first:
            raise _Stop("http", "error", "the server closed the connection without answering")
        resp = http.client.HTTPResponse(_Prefixed(sock, first),  # type: ignore[arg-type]
                                        method=opts.method)
        resp.begin()
        if opts.method != "HEAD":
            resp.read(_MAX_BODY)
    except (http.client.HTTPException, OSError) as exc:
        conn.close()
        kind = "timeout" if isinstance(exc, TimeoutError) else "error"
        raise _Stop("http", kind, f"{type(exc).__name__}: {exc}") from None
    out["timing_ms"]["total"] = _ms(t_start)
    conn.close()
    return resp


def fetch(url: str, opts: Options, max_redirects: int) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    out: dict[str, Any] = {"url": url, "host": parts.hostname, "port": port,
                           "final_url": url, "ok": False, "status": None,
                           "reason": None, "http_version": None, "address": None,
                           "headers": {}, "timing_ms": {}, "redirects": [], "tls": None,
                           "proxy": None, "error": None}
    current = url
    try:
        for _ in range(max_redirects + 1):
            resp = _request(current, opts, out)
            out.update(final_url=current, status=resp.status, reason=resp.reason,
                       http_version="HTTP/1.0" if resp.version == 10 else "HTTP/1.1",
                       headers={h: resp.getheader(h) for h in _KEEP_HEADERS})
            location = resp.getheader("location")
            if resp.status not in _REDIRECTS or not location:
                break
            nxt = urllib.parse.urljoin(current, location)
            out["redirects"].append({"url": current, "status": resp.status, "location": nxt})
            current = nxt
        else:
            out["error"] = {"stage": "http", "kind": "error",
                            "detail": f"more than {max_redirects} redirects"}
    except _Stop as stop:
        out["error"] = stop.error
    out["ok"] = out["error"] is None and out["status"] is not None and out["status"] < 400
    return out


def plan(params: dict[str, Any]) -> Plan:
    url = text(params.get("url"), "URL")
    url = url if "//" in url else f"https://{url}"
    host: str | None = None
    port = 443
    if known(params.get("url")):
        try:
            parts = urllib.parse.urlsplit(url)
            host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # refused when the step runs
            pass
    host = host or url.partition("//")[2].partition("/")[0] or "HOST"
    network = [host_port(host, port, "tcp")]
    via = text(params.get("proxy"), "auto")
    if via == "auto":
        notes = ["through the proxy the OS names (environment, Windows/macOS settings) "
                 "when one applies to this URL"]
    elif via == "none":
        notes = ["directly, never through a proxy"]
    else:
        notes = [f"through the proxy {via}"]
    notes.append(f"{text(params.get('method'), 'GET')} {url}, following up to "
                 f"{text(params.get('max_redirects'))} redirects (each to its own host)")
    ca_file = params.get("ca_file")
    return Plan(files=[text(ca_file)] if known(ca_file) else [], network=network, notes=notes)


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    url = (params.get("url") or "").strip()
    if not url:
        raise Failed("no URL given — pass -p url=https://HOST/PATH")
    if "//" not in url:
        url = f"https://{url}"
    if params["timeout"] <= 0 or not 0 <= params["max_redirects"] <= 30:
        raise Failed("timeout must be above 0 and max_redirects 0-30")
    ca_file = params.get("ca_file")
    if ca_file and not os.path.isfile(ca_file):
        raise Failed(f"ca_file {ca_file} does not exist")
    opts = Options(method=params["method"], timeout=min(params["timeout"], ctx.remaining()),
                   verify=params["verify"], ca_file=ca_file, proxy=params["proxy"] or "auto")
    return fetch(url, opts, params["max_redirects"])


COLLECTOR = Collector(
    name="network.http",
    output=OUTPUT,
    summary="HTTP(S) request: status, DNS/connect/TLS/first-byte times, redirects, "
            "certificate, proxy",
    gather=gather,
    params=(
        Param("url", "str", None, "the URL to fetch (https:// is assumed without a scheme)"),
        Param("method", "str", "GET", "request method", choices=("GET", "HEAD")),
        Param("timeout", "float", 10.0, "seconds allowed for each phase", min=0.1),
        Param("max_redirects", "int", 5, "redirects followed", min=0),
        Param("verify", "bool", True, "verify the TLS certificate (as applications do)"),
        Param("ca_file", "str", None, "a PEM file of CA certificates to trust instead of "
              "the system's (an internal CA)"),
        Param("proxy", "str", "auto", "auto (the OS's: environment, else Windows/macOS "
              "settings), none, or a proxy URL"),
    ),
    plan=plan,
    doc=__doc__ or "",
)
