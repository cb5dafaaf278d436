"""Which proxy a request goes through, and how to talk to it (network.http, connectors).

**Which proxy.** ``proxy=auto`` (the default everywhere) takes the proxy the
OS gives, as ``urllib.request.getproxies()`` does:

1. the environment on every OS: ``<scheme>_proxy`` for the URL's scheme
   (``https_proxy`` for https://), else ``all_proxy``; lower case wins over
   upper case, and ``HTTP_PROXY`` is ignored when ``REQUEST_METHOD`` is set
   (CGI, CVE-2016-1000110) — the stdlib's rules, read through its
   ``getproxies_environment()``. Recorded as ``env:<the variable's name>``.
2. else the system settings where the OS has them (``toolkit._platform``):
   Windows Internet Options in the registry (``windows-registry``), macOS
   System Settings › Network › Proxies (``macos-system``). Linux has none
   that Python reads: there the environment is the setting.

One difference from ``getproxies()``: that function ignores the Windows and
macOS settings as soon as *any* ``*_proxy`` variable is set (a lone
``no_proxy`` hides the system proxy); here the system settings still apply
when the environment names no proxy for the scheme.

**Who goes direct.** The exception list of the same source: ``no_proxy`` for
the environment (comma-separated; ``*`` alone is everything; ``name``,
``.name`` and ``*.name`` mean the name and every name under it; IP addresses
and CIDR ranges such as ``10.0.0.0/8``; ``:PORT`` limits an entry to a
port), the Windows/macOS exception list for the system (globs like
``*.corp.example``, addresses and ranges, and ``<local>`` / "exclude simple
hostnames" for names without a dot). Addresses and ranges match only a
host written as an address: no name is looked up to decide (a lookup sends
traffic, and hangs where DNS is what is broken). **Loopback targets**
(``localhost``, ``*.localhost``, 127.0.0.0/8, ::1) are never sent through a
proxy found this way: a proxy elsewhere would reach its own loopback, not
this machine's. An explicit proxy (``proxy=URL``, source ``param``) is used
for every target; ``proxy=none`` goes direct.

**How.** Only HTTP proxies (``http://[USER:PASSWORD@]HOST[:PORT]``; no scheme
means http://, no port means 80 as in any http:// URL). HTTPS goes through a
``CONNECT`` tunnel, with TLS to the origin inside it and the certificate
checked against the origin's name; plain HTTP is sent to the proxy with the
absolute URL on the request line. A user and password in the proxy URL are
sent as ``Proxy-Authorization: Basic`` and are never shown: ``Proxy.url`` and
``Choice.as_json()`` carry the URL without them, and ``Proxy.secrets()``
lists every form (raw, URL-encoded, base64) for callers to scrub from error
texts.
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import os
import re
import socket
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from toolkit.errors import BadInput

_MAX_REPLY = 65536  # the proxy's answer to CONNECT is read up to this many bytes


class ProxyConfigError(BadInput):
    """A proxy setting that cannot be used (not an http:// proxy, a bad port)."""


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy. Its repr and ``url`` never show the credentials."""

    host: str
    port: int
    source: str  # env:https_proxy, windows-registry, macos-system, param
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    written: str = field(default="", repr=False)  # the user:password part as written

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def describe(self) -> str:
        return f"{self.url} (from {self.source})"

    @property
    def has_credentials(self) -> bool:
        return bool(self.user or self.password)

    def headers(self) -> dict[str, str]:
        """``Proxy-Authorization`` when the URL carries credentials, else nothing."""
        if not self.has_credentials:
            return {}
        pair = f"{self.user}:{self.password}".encode()
        return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def secrets(self) -> tuple[str, ...]:
        """Every form the credentials can take in a text, longest first (scrub them all)."""
        if not self.has_credentials:
            return ()
        pair = f"{self.user}:{self.password}"
        forms = {self.written, self.written.partition(":")[2], pair, self.password,
                 quote(self.password, safe=""), quote(pair, safe=":"),
                 base64.b64encode(pair.encode()).decode("ascii")}
        return tuple(sorted((f for f in forms if f), key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for s in self.secrets():
            text = text.replace(s, "[REDACTED]")
        return text


def public(url: str | None) -> str | None:
    """A URL without its user:password part, for display (never raises)."""
    if not url:
        return url
    text = url if "//" in url else f"http://{url}"
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return re.sub(r"//[^/@]*@", "//", text)
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def parse(url: str, source: str) -> Proxy:
    """A proxy URL as the environment, the OS or a parameter gives it."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    shown = public(text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme != "http":
        raise ProxyConfigError(
            f"the proxy {shown} (from {source}) is a {scheme}:// proxy, which supportkit does "
            "not speak", "give an HTTP proxy (http://HOST:PORT), or proxy=none to go direct")
    try:
        port = parts.port or 80
    except ValueError:
        raise ProxyConfigError(f"the proxy {shown} (from {source}) has no valid port",
                               "write it like http://proxy.example:3128") from None
    if not parts.hostname:
        raise ProxyConfigError(f"the proxy {shown!r} (from {source}) names no host",
                               "write it like http://proxy.example:3128")
    written = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    return Proxy(parts.hostname, port, source, unquote(parts.username or ""),
                 unquote(parts.password or ""), written)


# ----------------------------------------------------------------- choosing

@dataclass(frozen=True)
class Choice:
    """What was found and whether it is used; ``as_json()`` is the recorded shape."""

    proxy: Proxy | None  # what was found (also when not used), None when nothing was
    used: bool
    note: str

    def as_json(self) -> dict[str, Any]:
        p = self.proxy
        return {"url": p.url if p else None, "source": p.source if p else None,
                "used": self.used, "note": self.note}

    @property
    def via(self) -> Proxy | None:
        """The proxy to connect to, None to go direct."""
        return self.proxy if self.used else None


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761 §6.3
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _network(entry: str, short_forms: bool) -> ipaddress.IPv4Network | ipaddress.IPv6Network \
        | None:
    """An address or range entry; macOS also writes ranges short: ``169.254/16``, ``10.1``."""
    entry = entry.strip("[]")
    m = re.fullmatch(r"(\d+(?:\.\d+){0,3})(?:/(\d+))?", entry) if short_forms else None
    if m and m.group(1).count(".") < 3:
        octets = m.group(1).split(".")
        entry = ".".join(octets + ["0"] * (4 - len(octets))) + \
            f"/{m.group(2) or 8 * len(octets)}"
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"(\[[^\]]+\]|[^:]+):(\d+)", entry)  # name:port, [v6]:port, not a bare v6
    return (m.group(1).strip("[]"), int(m.group(2))) if m else (entry, None)


def bypassed(host: str, port: int | None, entries: list[str] | tuple[str, ...], *,
             globs: bool, simple: bool = False) -> bool:
    """Does an exception list exempt ``host``? ``globs``: the Windows/macOS syntax
    (``*.corp.example`` is a glob, a plain name only itself); else no_proxy's (a name
    covers the names under it). ``simple``: names without a dot go direct."""
    host = host.lower().rstrip(".").strip("[]")
    addr = _address(host)
    if simple and addr is None and "." not in host:
        return True
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        net = _network(entry, short_forms=globs)
        if net is None:
            entry, wanted_port = _split_port(entry)
            net = _network(entry, short_forms=globs)
        else:
            wanted_port = None
        if wanted_port is not None and port != wanted_port:
            continue
        if net is not None:
            if addr is not None and addr.version == net.version and addr in net:
                return True
            continue
        if globs:
            if fnmatch.fnmatchcase(host, entry):
                return True
            continue
        name = entry.removeprefix("*").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _variable(key: str, value: str) -> str:
    """The environment variable getproxies_environment() took ``value`` from."""
    names = [n for n in os.environ if n.lower() == f"{key}_proxy" and os.environ[n] == value]
    return f"{key}_proxy" if f"{key}_proxy" in names else (names[0] if names else
                                                            f"{key}_proxy")


def choose(scheme: str, host: str, port: int | None = None, setting: str = "auto") -> Choice:
    """The proxy a request to ``scheme://host:port`` goes through, and why (module
    docstring). Raises ``ProxyConfigError`` for a proxy that cannot be used."""
    from toolkit import _platform

    if setting == "none":
        return Choice(None, False, "proxy=none")
    port = port or (443 if scheme == "https" else 80)
    if setting != "auto":
        return Choice(parse(setting, "param"), True, "")
    env = urllib.request.getproxies_environment()
    key = scheme if env.get(scheme) else "all" if env.get("all") else None
    proxy: Proxy | None = None
    if key is not None:
        proxy = parse(env[key], f"env:{_variable(key, env[key])}")
        exempt = bypassed(host, port, env.get("no", "").split(","), globs=False)
        listed = "no_proxy"
    else:
        system = _platform.system_proxy()
        found = system.proxies.get(scheme) if system else None
        if system is None or not found:
            where = f"the environment or {system.source}" if system else "the environment"
            where = f"{scheme} proxy in {where}"
            pac = f"; the system names a PAC script ({public(system.pac_url)}), which " \
                "supportkit does not evaluate" if system and system.pac_url else ""
            return Choice(None, False, f"no {where}{pac}")
        proxy = parse(found, system.source)
        exempt = bypassed(host, port, system.bypass, globs=True, simple=system.bypass_simple)
        listed = f"the proxy exceptions of {system.source}"
    if is_loopback(host):
        return Choice(proxy, False, "loopback targets are never sent through a proxy")
    if exempt:
        return Choice(proxy, False, f"the host is listed in {listed}")
    return Choice(proxy, True, "with the credentials in the proxy URL (not shown)"
                  if proxy.has_credentials else "")


# ----------------------------------------------------------------- talking

class ProxyUnreachable(OSError):
    """No connection to the proxy itself."""

    def __init__(self, proxy: Proxy, reason: str) -> None:
        super().__init__(f"cannot connect to the proxy {proxy.describe()}: {reason}")
        self.proxy = proxy
        self.reason = reason


class ProxyRefused(OSError):
    """The proxy answered CONNECT with something other than 2xx (or not at all)."""

    def __init__(self, proxy: Proxy, target: str, status: int | None, reason: str) -> None:
        said = f"HTTP {status} {reason}".strip() if status else reason
        super().__init__(f"the proxy {proxy.describe()} refused CONNECT {target}: {said}")
        self.proxy = proxy
        self.target = target
        self.status = status
        self.said = said

    def advice(self) -> str:
        """What to do, by status."""
        if self.status == 407:
            if self.proxy.has_credentials:
                return "the proxy did not accept the user and password in the proxy URL: " \
                    "check them with IT"
            return "the proxy wants a login: put it in the proxy URL " \
                "(http://USER:PASSWORD@HOST:PORT) or ask IT for access"
        if self.status == 403:
            return "the proxy does not allow this host or port: ask IT to allow it, or list " \
                "the host in NO_PROXY if it is reachable without the proxy"
        if self.status is not None and self.status >= 500:
            return "the proxy could not reach the host: check the host name and port, or " \
                "list the host in NO_PROXY if it is reachable without the proxy"
        return "check the proxy setting (HTTPS_PROXY, or the system's proxy settings)"


def open_socket(proxy: Proxy, timeout: float | None) -> socket.socket:
    """A TCP connection to the proxy; ``ProxyUnreachable`` when there is none."""
    try:
        sock = socket.create_connection((proxy.host, proxy.port), timeout)
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else \
            (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
        raise ProxyUnreachable(proxy, reason) from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def tunnel(sock: socket.socket, host: str, port: int, proxy: Proxy,
           user_agent: str | None = None) -> None:
    """Ask the proxy on ``sock`` for a tunnel to ``host:port``; returns when it is open.
    Raises ``ProxyRefused`` for a refusal, ``OSError`` when the connection fails."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if user_agent:
        lines.append(f"User-Agent: {user_agent}")
    lines += [f"{k}: {v}" for k, v in proxy.headers().items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    reply = b""
    while b"\r\n\r\n" not in reply and len(reply) < _MAX_REPLY:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    head, sep, rest = reply.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    # The proxy's words are shown: bounded, and scrubbed (some echo request headers).
    words = proxy.scrub(" ".join(status_line.split()))[:200]
    fields = words.split(" ", 2)
    if not sep or len(fields) < 2 or not fields[0].startswith("HTTP/") \
            or not fields[1].isdigit():
        raise ProxyRefused(proxy, target, None, f"no HTTP answer ({words or 'closed'})")
    status = int(fields[1])
    if not 200 <= status < 300:
        raise ProxyRefused(proxy, target, status, fields[2] if len(fields) > 2 else "")
    if rest:  # the origin speaks only after our TLS hello: anything here is not it
        raise ProxyRefused(proxy, target, status, "data before the tunnel was open")
