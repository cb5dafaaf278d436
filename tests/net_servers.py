"""Servers the network tests start on loopback themselves: HTTPS (with
certificates made here by the openssl command line), an HTTP proxy, UDP and TCP
DNS responders, an SNTP responder, and TCP ports that listen or are closed.

Nothing here sends a packet anywhere but 127.0.0.1 (or the namespace address
a netns test binds it to).
"""

from __future__ import annotations

import http.server
import select
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# --- certificates ------------------------------------------------------------

_CA_CONF = """[ ca ]
default_ca = d
[ d ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
[ p ]
commonName = supplied
"""


def make_cert(folder: Path, name: str, *, expired: bool = False,
              san: str = "DNS:localhost,IP:127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for CN=localhost (and its key); ``expired`` dates it
    2020-01-01 to 2020-02-01 (``openssl ca`` takes explicit dates, ``req -x509`` not)."""
    folder.mkdir(parents=True, exist_ok=True)
    key, cert, csr = folder / f"{name}.key", folder / f"{name}.pem", folder / f"{name}.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(csr), "-subj", "/CN=localhost", "-addext",
                    f"subjectAltName={san}"], check=True, capture_output=True, timeout=60)
    (folder / "ca.cnf").write_text(_CA_CONF)
    (folder / "index.txt").write_text("")
    (folder / "serial").write_text("01\n")
    dates = ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"] if expired \
        else ["-days", "30"]
    subprocess.run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile",
                    key.name, "-in", csr.name, "-out", cert.name, "-notext", *dates],
                   check=True, capture_output=True, timeout=60, cwd=folder)
    return cert, key


# --- HTTP(S) -----------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/hop")
            self.end_headers()
            return
        if self.path == "/hop":
            self.send_response(301)
            self.send_header("Location", "/final")
            self.end_headers()
            return
        if self.path == "/broken":
            self.send_response(503)
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(0.3)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HttpServer:
    """A threaded HTTP server on ``host``; HTTPS when a certificate is given."""

    def __init__(self, host: str = "127.0.0.1", cert: tuple[Path, Path] | None = None) -> None:
        self.server = http.server.ThreadingHTTPServer((host, 0), _Handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- HTTP proxy --------------------------------------------------------------

@dataclass
class Seen:
    """One request the proxy received, as it arrived."""

    method: str
    target: str  # "host:port" for CONNECT, the absolute URL otherwise
    headers: dict[str, str]  # names in lower case
    answer: int = 0  # the status the proxy gave itself (200: tunnel open); 0: forwarded


class HttpProxy:
    """A threaded HTTP proxy on 127.0.0.1: ``CONNECT`` tunnels, and absolute-form
    requests (``GET http://host:port/path``) forwarded to the origin.

    ``hosts`` maps the names it may connect to onto addresses (it never looks a
    name up: a test names its origin ``origin.test`` so that no client rule
    takes it for loopback, and nothing leaves 127.0.0.1); an address literal
    is connected to as is. ``auth`` is the ``Proxy-Authorization`` value it
    requires (else 407); ``refuse`` is a status it answers every request
    with. Everything it received is in ``seen``; a request in origin form (a
    client that took it for the origin) is answered 400 and kept in
    ``problems``.
    """

    def __init__(self, hosts: dict[str, str] | None = None, auth: str | None = None,
                 refuse: int | None = None) -> None:
        self.hosts = hosts or {}
        self.auth = auth
        self.refuse = refuse
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _gate(self) -> Seen | None:
                seen = Seen(self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()})
                proxy.seen.append(seen)
                status = proxy.refuse
                if status is None and proxy.auth is not None and \
                        seen.headers.get("proxy-authorization") != proxy.auth:
                    status = 407
                if status is not None:
                    seen.answer = status
                    self.send_response(status)
                    if status == 407:
                        self.send_header("Proxy-Authenticate", 'Basic realm="test proxy"')
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    return None
                return seen

            def _origin(self, host: str, port: int) -> socket.socket | None:
                addr = proxy.hosts.get(host.lower(), host)
                try:
                    socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
                    return socket.create_connection((addr, port), timeout=10)
                except OSError:  # not an address (we look up no names) or nothing there
                    return None

            def do_CONNECT(self) -> None:  # noqa: N802 - the stdlib's name
                seen = self._gate()
                if seen is None:
                    return
                host, _, port = self.path.rpartition(":")
                origin = self._origin(host.strip("[]"), int(port or 443))
                if origin is None:
                    seen.answer = 502
                    self.send_error(502, f"cannot connect to {self.path}")
                    return
                seen.answer = 200
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                _relay(self.connection, origin)

            def _forward(self) -> None:
                seen = self._gate()
                if seen is None:
                    return
                parts = urllib.parse.urlsplit(self.path)
                if parts.scheme != "http" or not parts.hostname:
                    proxy.problems.append(f"{self.command} {self.path}: not in absolute form")
                    seen.answer = 400
                    self.send_error(400, "absolute URL expected")
                    return
                origin = self._origin(parts.hostname, parts.port or 80)
                if origin is None:
                    seen.answer = 502
                    self.send_error(502, f"cannot connect to {parts.netloc}")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
                # Hop-by-hop and proxy headers stop here (RFC 9110 §7.6.1).
                drop = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
                head = [f"{self.command} {path} HTTP/1.1"] + [
                    f"{k}: {v}" for k, v in self.headers.items() if k.lower() not in drop]
                head.append("Connection: close")
                with origin:
                    origin.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
                    # The origin's answer is relayed as it comes (seen.answer stays 0).
                    while chunk := origin.recv(65536):
                        self.wfile.write(chunk)
                self.close_connection = True

            do_GET = do_POST = do_PUT = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def connects(self) -> list[str]:
        """The targets of the tunnels it opened."""
        return [s.target for s in self.seen if s.method == "CONNECT" and s.answer == 200]

    def __enter__(self) -> HttpProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    with b:
        socks = [a, b]
        while True:
            readable, _, _ = select.select(socks, [], [], 10)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)


# --- UDP responders ----------------------------------------------------------

class UdpResponder:
    """Answers each datagram with ``reply(data) -> bytes | None`` (None: stay silent), or
    with several datagrams in turn when ``reply`` returns a list."""

    def __init__(self, reply: Callable[[bytes], bytes | list[bytes] | None],
                 host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.reply = reply
        self.received: list[tuple[float, bytes]] = []  # (time.monotonic(), datagram)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.last_peer: Any = None  # who sent the datagram ``reply`` is answering
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self.received.append((time.monotonic(), data))
            self.last_peer = peer
            answer = self.reply(data)
            for datagram in [answer] if isinstance(answer, bytes) else answer or []:
                self.sock.sendto(datagram, peer)

    def __enter__(self) -> UdpResponder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


DNS_ZONE = {"ok.test": "192.0.2.10", "alias.test": "192.0.2.11"}


def dns_reply(data: bytes) -> bytes | None:
    """A resolver built with scapy's DNS layer (an implementation independent of the
    collector's): ok.test answers, alias.test is a CNAME, missing.test is NXDOMAIN,
    broken.test SERVFAIL, refused.test REFUSED, anything else stays silent."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    query = DNS(data)
    qname = query[DNSQR].qname.decode().rstrip(".")
    rcode = {"missing.test": 3, "broken.test": 2, "refused.test": 5}.get(qname)
    if qname in DNS_ZONE:
        records = [DNSRR(rrname=f"{qname}.", type="A", ttl=60, rdata=DNS_ZONE[qname])]
        if qname == "alias.test":
            records = [DNSRR(rrname="alias.test.", type="CNAME", ttl=30, rdata="real.test."),
                       DNSRR(rrname="real.test.", type="A", ttl=60, rdata=DNS_ZONE[qname])]
        return bytes(DNS(id=query.id, qr=1, aa=1, rd=query.rd, ra=1, qd=query.qd,
                         an=records))
    if rcode is None:
        return None
    return bytes(DNS(id=query.id, qr=1, rd=query.rd, ra=1, rcode=rcode, qd=query.qd))


def dns_big_reply(data: bytes, *, truncate: bool) -> bytes:
    """big.test: 40 A records (732 bytes), more than a UDP reply without EDNS may carry
    (512, RFC 1035 §4.2.1). ``truncate``: the UDP reply a server sends instead — TC set,
    no records (as NSD and BIND do)."""
    from scapy.layers.dns import DNS, DNSRR

    query = DNS(data)
    if truncate:
        return bytes(DNS(id=query.id, qr=1, aa=1, tc=1, rd=query.rd, qd=query.qd))
    return bytes(DNS(id=query.id, qr=1, aa=1, rd=query.rd, qd=query.qd, an=[
        DNSRR(rrname="big.test.", type="A", ttl=60, rdata=ip) for ip in BIG_ZONE]))


BIG_ZONE = [f"198.51.100.{n}" for n in range(1, 41)]


class TcpDnsResponder:
    """DNS over TCP on ``port`` (RFC 1035 §4.2.2: each message after a two-byte length):
    answers each query with ``reply(query) -> bytes | None`` (None: close unanswered)."""

    def __init__(self, reply: Callable[[bytes], bytes | None], port: int,
                 host: str = "127.0.0.1") -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _read(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    size = struct.unpack("!H", self._read(conn, 2))[0]
                    query = self._read(conn, size)
                    self.received.append(query)
                    answer = self.reply(query)
                    if answer is not None:
                        conn.sendall(struct.pack("!H", len(answer)) + answer)
                except (OSError, struct.error):
                    continue

    def __enter__(self) -> TcpDnsResponder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def dns_pair(udp: Callable[[bytes], bytes | None], tcp: Callable[[bytes], bytes | None]
             ) -> tuple[UdpResponder, TcpDnsResponder]:
    """A UDP and a TCP responder on one port number, as a DNS server listens: the UDP
    port is chosen by the system, then the same number taken for TCP (tried again with
    another if something already listens on it)."""
    for _ in range(20):
        udp_server = UdpResponder(udp)
        try:
            return udp_server, TcpDnsResponder(tcp, udp_server.port)
        except OSError:
            udp_server.sock.close()
    raise RuntimeError("no port number free for both UDP and TCP on 127.0.0.1")


NTP_EPOCH = 2208988800


def sntp_reply(skew_s: float = 0.0, stratum: int = 2, leap: int = 0,
               kiss: bytes = b"") -> Callable[[bytes], bytes | None]:
    """An SNTP server whose clock is ``skew_s`` ahead of this one."""

    def reply(data: bytes) -> bytes | None:
        if len(data) < 48:
            return None
        now = time.time() + skew_s
        stamp = int((now + NTP_EPOCH) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF  # eras wrap (2036)
        refid = kiss or socket.inet_aton("127.0.0.1")
        return struct.pack("!BBbbII4sQQQQ", (leap << 6) | (4 << 3) | 4,
                           0 if kiss else stratum, 6, -20, 0, 0, refid, stamp,
                           struct.unpack("!Q", data[40:48])[0], stamp, stamp)

    return reply


# --- TCP ---------------------------------------------------------------------

def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Listener:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sock.close()


# --- name lookups ------------------------------------------------------------

def pin_names(monkeypatch: Any, names: dict[str, str]) -> list[str]:
    """Make ``socket.getaddrinfo`` answer ``names`` (name → address) and refuse every
    other name, so that a test sends no DNS query anywhere; address literals pass. The
    names asked are returned (a list filled as lookups happen): a client that should
    have left a name to its proxy shows up there."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        except OSError:
            asked.append(name)
            if name.lower() not in names:
                raise socket.gaierror(socket.EAI_NONAME, f"{name}: not a test name") from None
            name = names[name.lower()]
        return real(name, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked
