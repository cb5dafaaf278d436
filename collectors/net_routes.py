"""network.routes — the default gateway(s) and the routing table.

Live, from the platform's own dump: ``ip -j route`` for IPv4 and IPv6 on Linux,
``netstat -rn`` on macOS, ``route print`` on Windows. With ``source=FILE`` a
saved output is analysed instead: ``ip -j [-6] route``, Linux ``route -n``,
``route -6 -n``, ``netstat -rn[e]`` (names as printed without ``-n`` stay
names), macOS ``netstat -rn`` and Windows ``route print``.

Output::

    {
      "source": "live" | "<path>", "format": "ip-json" | "route-n" | "netstat" | "route-print",
      "routes": [{"destination": "default" | "10.0.0.0/24", "gateway": "10.0.0.1" | null,
                  "interface": "eth0", "family": "ipv4" | "ipv6", "metric": 100 | null,
                  "flags": "UG", "default": true}],     # + protocol/scope/prefsrc/type from
                                                        # ip -j, reject (!) from route -n
      "default_gateways": [{"gateway": "10.0.0.1", "interface": "eth0",
                            "family": "ipv4", "metric": 100}],   # lowest metric first
      "default_gateway": "10.0.0.1" | null              # the first of them, for checks
    }

A null ``gateway`` means on-link (reached directly on that interface). BSD and
Windows link-layer cache entries are neighbours, not routes, and are left out.
"""

from __future__ import annotations

from typing import Any

from collectors import _routeparse
from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, STR, arr, enum, nullable, obj, opt
from toolkit.sources import SavedOutput, Source

_FAMILY = enum("ipv4", "ipv6")
OUTPUT = obj(
    source=STR, format=enum("ip-json", "route-n", "netstat", "route-print"),
    routes=arr(obj(destination=STR, gateway=nullable(STR), interface=nullable(STR),
                   family=_FAMILY, metric=nullable(INT), flags=STR, default=BOOL,
                   protocol=opt(STR), scope=opt(STR), prefsrc=opt(STR), type=opt(STR),
                   reject=opt(BOOL))),
    default_gateways=arr(obj(gateway=STR, interface=nullable(STR), family=_FAMILY,
                             metric=nullable(INT))),
    default_gateway=nullable(STR),
)


def summarise(routes: list[dict[str, Any]], source: str, fmt: str) -> dict[str, Any]:
    gateways = _routeparse.default_gateways(routes)
    return {"source": source, "format": fmt, "routes": routes,
            "default_gateways": gateways,
            "default_gateway": gateways[0]["gateway"] if gateways else None}


def _live(ctx: Context) -> dict[str, Any]:
    from toolkit import _platform

    routes: list[dict[str, Any]] = []
    fmt = ""
    for n, (fmt, argv) in enumerate(_platform.ROUTE_COMMANDS, 1):
        ctx.require(argv[0], _platform.ROUTE_PACKAGE)
        res = ctx.run(argv, timeout=15, save_as=f"routes-{n}.txt", env={"LC_ALL": "C"})
        if not res.ok:
            err = res.stderr.decode("utf-8", errors="replace").strip()
            if "-6" in argv and routes:
                continue  # IPv6 switched off in the kernel: IPv4 is the whole answer
            raise Failed(f"{' '.join(argv)} failed (exit {res.record.returncode}): "
                         f"{err[:300] or res.record.error or 'no output'}")
        family = "ipv6" if "-6" in argv else "ipv4" if "-4" in argv else None
        try:
            if fmt == "ip-json":
                routes += _routeparse.parse_ip_json(res.text, family)
            else:
                routes += _routeparse.parse(res.text, fmt)
        except ValueError as exc:
            raise Failed(f"{' '.join(argv)}: {exc}") from None
    return summarise(routes, "live", fmt)


def _head(head: bytes) -> str:
    return head.decode("utf-8", errors="replace")


def is_ip_json(head: bytes) -> bool:
    return _routeparse.guess(_head(head)) == "ip-json"


def is_route_n(head: bytes) -> bool:
    return _routeparse.guess(_head(head)) == "route-n"


def is_netstat(head: bytes) -> bool:
    return _routeparse.guess(_head(head)) == "netstat"


def _saved(saved: SavedOutput, fmt: str) -> dict[str, Any]:
    return summarise(_routeparse.parse(saved.text, fmt), saved.path, fmt)


def saved_ip_json(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "ip-json")


def saved_route_n(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "route-n")


def saved_netstat(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, "netstat")


def saved_route_print(saved: SavedOutput) -> dict[str, Any]:
    # Last, so it takes what the others did not: sniff says why it is no routing table.
    return _saved(saved, _routeparse.sniff(saved.text))


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    return Plan(commands=[list(argv) for _, argv in _platform.ROUTE_COMMANDS])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return _live(ctx)


COLLECTOR = Collector(
    name="network.routes",
    output=OUTPUT,
    summary="Default gateway(s) and the routing table",
    gather=gather,
    params=(Param("source", "str", None,
                  "analyse a saved ip -j route / route -n / netstat -rn / route print "
                  "output instead"),),
    sources=(
        Source("ip-json", saved_ip_json, "ip -j route output", detect=is_ip_json),
        Source("route-n", saved_route_n, "route -n / netstat -rn output (Linux)",
               detect=is_route_n),
        Source("netstat", saved_netstat, "netstat -rn output (macOS, BSD)", detect=is_netstat),
        Source("route-print", saved_route_print, "Windows route print output"),
    ),
    plan=plan,
    doc=__doc__ or "",
)
