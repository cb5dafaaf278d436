"""A DNS server for the diagnosis suite, run inside a test namespace:
``python dns_serve.py ADDRESS PORT`` answers server.test with the test network's
server (10.200.3.2), the rest as net_servers.dns_reply does (ok.test, missing.test
NXDOMAIN, broken.test SERVFAIL, anything else silent) until killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from net_servers import UdpResponder, dns_reply  # noqa: E402
from netns_topology import SERVER  # noqa: E402


def reply(data: bytes) -> bytes | None:
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    query = DNS(data)
    if query[DNSQR].qname.decode().rstrip(".") == "server.test" and query[DNSQR].qtype == 1:
        return bytes(DNS(id=query.id, qr=1, aa=1, rd=query.rd, ra=1, qd=query.qd,
                         an=[DNSRR(rrname="server.test.", type="A", ttl=60, rdata=SERVER)]))
    if query[DNSQR].qname.decode().rstrip(".") == "server.test":
        return bytes(DNS(id=query.id, qr=1, aa=1, rd=query.rd, ra=1, qd=query.qd))  # nodata
    return dns_reply(data)

if __name__ == "__main__":
    with UdpResponder(reply, host=sys.argv[1], port=int(sys.argv[2])):
        while True:
            time.sleep(3600)
