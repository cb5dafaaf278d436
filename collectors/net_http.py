"""network.http — fetch a URL the way an application would, and time each phase.

One request (``GET`` by default) per URL in the redirect chain, on a fresh
connection, with Python's ``http.client`` and ``ssl`` on a socket opened here
so each phase can be timed: name lookup, TCP connect, TLS handshake, and the
wait from sending the request to the first byte of the answer. Redirects are
followed (up to ``max_redirects``) and listed. The TLS certificate is always
described — subject, issuer, validity, days to expiry, names — also when it
fails verification (then it is read from a second, unverified handshake, and
the request is not sent: an application would stop there too).

A proxy is used as applications do: ``proxy=auto`` takes it from the
environment (``https_proxy``/``http_proxy``/``all_proxy``, honouring
``no_proxy``) but never for loopback targets; ``proxy=none`` goes direct;
``proxy=http://HOST:PORT`` forces one. HTTPS goes through it with ``CONNECT``.

Output::

    {
      "url": "https://api.example/v1/health", "final_url": "https://…",
      "host": "api.example", "port": 443,   # of the URL asked (for DNS and TCP steps)
      "ok": true,                       # an HTTP answer below 400 arrived
      "status": 200 | null, "reason": "OK", "http_version": "HTTP/1.1",
      "address": "10.0.0.7",            # the address connected to (the proxy's when used)
      "headers": {"server": "nginx", "content-type": "…", "content-length": "12",
                  "location": null},
      "timing_ms": {"dns": 1.1, "connect": 0.3, "tls": 4.2, "first_byte": 12.5,
                    "total": 19.0},     # phases of the last request, not cumulative
      "redirects": [{"url": "http://…", "status": 301, "location": "https://…"}],
      "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
              "verified": true, "verify_error": null,
              "certificate": {"subject": "CN=api.example", "issuer": "CN=R3, O=…",
                              "common_name": "api.example", "self_signed": false,
                              "not_before": "…", "not_after": "2026-01-01T00:00:00+00:00",
                              "expires_in_days": 41.5, "san": ["DNS:api.example"],
                              "serial": "…"}} | null,
      "proxy": {"url": "http://proxy:3128" | null, "source": "https_proxy" | "param" | null,
                "used": false, "note": "…"},
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
from toolkit.collector import Collector, Context, Failed, Param

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


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_proxy(host: str, setting: str) -> bool:
    """Does a no_proxy list (``*``, names and domain suffixes) exempt ``host``?"""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower().lstrip("*").lstrip(".") for e in setting.split(",")):
        if entry == "" and "*" in setting:
            return True
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def choose_proxy(scheme: str, host: str, setting: str) -> dict[str, Any]:
    """Which proxy a request to ``host`` goes through, and why (``used`` decides)."""
    if setting == "none":
        return {"url": None, "source": None, "used": False, "note": "proxy=none"}
    if setting != "auto":
        return {"url": setting, "source": "param", "used": True, "note": ""}
    found = {"url": None, "source": None, "used": False, "note": "no proxy in the environment"}
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
        if os.environ.get(name):
            found.update(url=os.environ[name], source=name, used=True, note="")
            break
    if found["used"] and _loopback(host):
        found.update(used=False, note="loopback targets are never sent through a proxy")
    elif found["used"] and _no_proxy(host, os.environ.get("no_proxy") or
                                     os.environ.get("NO_PROXY") or ""):
        found.update(used=False, note="the host is listed in no_proxy")
    return found


def _public(url: str | None) -> str | None:
    """A proxy URL without its user:password part."""
    if not url:
        return url
    parts = urllib.parse.urlsplit(url if "//" in url else f"http://{url}")
    netloc = parts.hostname or ""
    netloc = f"[{netloc}]" if ":" in netloc else netloc
    return urllib.parse.urlunsplit((parts.scheme, netloc + (f":{parts.port}" if parts.port
                                                            else ""), parts.path, "", ""))


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


def _tunnel(sock: socket.socket, host: str, port: int) -> None:
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode("ascii"))
    reply = b""
    while b"\r\n\r\n" not in reply and len(reply) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    status = reply.split(b"\r\n", 1)[0].decode("latin-1", errors="replace")
    if len(status.split()) < 2 or status.split()[1] != "200":
        raise _Stop("proxy", "error", f"the proxy refused CONNECT {target}: "
                    f"{status or 'no answer'}")


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


def _open(parts: urllib.parse.SplitResult, proxy: dict[str, Any], opts: Options,
          out: dict[str, Any]) -> socket.socket:
    """A connected (and, for https, TLS-wrapped) socket; fills timing and tls in ``out``."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timing = out["timing_ms"]
    if proxy["used"]:
        p = urllib.parse.urlsplit(proxy["url"] if "//" in proxy["url"]
                                  else f"http://{proxy['url']}")
        sock = _connect(p.hostname or "", p.port or 8080, opts.timeout, timing)
        if parts.scheme == "https":
            _tunnel(sock, host, port)
    else:
        sock = _connect(host, port, opts.timeout, timing)
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
            _open(parts, proxy, Options(opts.method, opts.timeout, False, None, opts.proxy),
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
    proxy = choose_proxy(parts.scheme, parts.hostname, opts.proxy)
    out["proxy"] = {**proxy, "url": _public(proxy["url"])}
    out["timing_ms"], out["tls"] = {}, None
    t_start = time.monotonic()
    sock = _open(parts, proxy, opts, out)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=opts.timeout)
    conn.sock = sock
    # Through a plain-HTTP proxy the request line carries the whole URL.
    target = url if proxy["used"] and parts.scheme == "http" else \
        urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    try:
        conn.request(opts.method, target, headers={"User-Agent": "supportkit network.http",
                                                   "Accept": "*/*", "Connection": "close"})
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
        Param("proxy", "str", "auto", "auto (from the environment), none, or a proxy URL"),
    ),
    doc=__doc__ or "",
)
