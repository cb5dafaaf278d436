"""Saved-output parsers of network.ping / network.traceroute and ipconfig /all.

jc style: every ``tests/fixtures/<dir>/*.out`` is a real captured output with
the expected parse beside it as ``.json``; adding a case is adding two files.
The ``constructed__*`` Windows ping/tracert samples are NOT real captures
(none were available): they follow Microsoft's documented format.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from collectors._ipconfig import parse_ipconfig
from collectors._netparse import loss_starts_at, parse_ping, parse_traceroute
from toolkit.collector import Context, Failed

FIXTURES = Path(__file__).parent / "fixtures"
PARSERS = {"network.ping": parse_ping, "network.traceroute": parse_traceroute,
           "ipconfig": parse_ipconfig}
CASES = sorted((d, p) for d in PARSERS for p in (FIXTURES / d).glob("*.out"))


@pytest.mark.parametrize(("folder", "out"), CASES, ids=[f"{d}/{p.stem}" for d, p in CASES])
def test_fixture_pair(folder: str, out: Path) -> None:
    expected = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert PARSERS[folder](out.read_text(encoding="utf-8")) == expected


def test_every_fixture_has_its_source_line() -> None:
    for folder in PARSERS:
        sources = (FIXTURES / folder / "SOURCES.md").read_text(encoding="utf-8")
        for out in (FIXTURES / folder).glob("*.out"):
            if not out.name.startswith("constructed__"):
                assert f"| {out.name} |" in sources, out


@pytest.mark.parametrize("out", sorted((FIXTURES / "network.ping").glob("*.out")),
                         ids=lambda p: p.stem)
def test_ping_probes_agree_with_the_statistics(out: Path) -> None:
    # Where the output lost no lines, the probe list adds up to ping's own counters.
    got = parse_ping(out.read_text(encoding="utf-8"))
    replies = sum(1 for p in got["probes"] if p["status"] == "reply")
    if not got["unparsed"] and got["format"] != "windows" and "source-ip" not in out.name:
        assert replies == got["received"]
    assert got["loss_pct"] == round(100 * (got["sent"] - got["received"]) / got["sent"], 1)


def test_windows_ping_counts_unreachable_as_lost() -> None:
    got = parse_ping((FIXTURES / "network.ping/constructed__windows-ping-loss.out").read_text())
    assert (got["sent"], got["received"], got["loss_pct"]) == (4, 2, 50.0)


def test_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="not ping output"):
        parse_ping("hello\n")
    with pytest.raises(ValueError, match="not traceroute output"):
        parse_traceroute("hello\n")
    with pytest.raises(ValueError, match="not ipconfig output"):
        parse_ipconfig("hello\n")


def _hop(ttl: int, loss: float, answered: bool = True) -> dict:
    return {"ttl": ttl, "addresses": ["x"] if answered else [], "loss_pct": loss}


@pytest.mark.parametrize(("hops", "start"), [
    ([_hop(1, 0), _hop(2, 0), _hop(3, 0)], None),
    ([_hop(1, 0), _hop(2, 30), _hop(3, 20)], 2),
    ([_hop(1, 50), _hop(2, 0), _hop(3, 0)], None),        # rate-limited router, no real loss
    ([_hop(1, 0), _hop(2, 40), _hop(3, 100, False), _hop(4, 30)], 2),  # silent hop skipped
    ([_hop(1, 10), _hop(2, 0), _hop(3, 10)], 3),
])
def test_loss_starts_at(hops: list, start: int | None) -> None:
    assert loss_starts_at(hops) == start


def test_saved_outputs_through_the_collectors(tmp_path: Path) -> None:
    from collectors import net_ping, net_traceroute

    ctx = Context(workdir=tmp_path, deadline=1e12)
    ping = net_ping.COLLECTOR.collect(ctx, {
        **net_ping.COLLECTOR.defaults(),
        "source": str(FIXTURES / "network.ping/pi__ping-ip-O-D.out")})
    assert (ping["method"], ping["format"], ping["loss_pct"]) == ("saved", "iputils", 100.0)
    trace = net_traceroute.COLLECTOR.collect(ctx, {
        **net_traceroute.COLLECTOR.defaults(),
        "source": str(FIXTURES / "network.traceroute/freebsd12__traceroute.out")})
    assert trace["reached"] is True and trace["hops"][-1]["address"] == "8.8.8.8"
    with pytest.raises(Failed, match="not ping output"):
        net_ping.COLLECTOR.collect(ctx, {**net_ping.COLLECTOR.defaults(),
                                         "source": str(FIXTURES / "ipconfig/SOURCES.md")})


def test_unresolvable_name_fails_with_a_reason(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from collectors import net_ping

    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    ctx = Context(workdir=tmp_path, deadline=1e12)
    with pytest.raises(Failed, match="cannot resolve 'no-such-host.invalid'"):
        net_ping.gather(ctx, {**net_ping.COLLECTOR.defaults(), "host": "no-such-host.invalid"})


def test_collectors_are_registered_and_cheap_to_import() -> None:
    import subprocess
    import sys

    code = ("import sys, collectors.net_ping, collectors.net_traceroute; "
            "print(any(m.startswith('scapy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "False"
    from toolkit.plugins import load

    names = load().names()
    assert "network.ping" in names and "network.traceroute" in names


def _trace_hop(ttl: int, address: str, rtts: list[float], sent: int = 10,
               flags: list[str] | None = None) -> dict:
    hop = {"ttl": ttl, "address": address, "addresses": [address] if rtts else [],
           "rtts_ms": rtts, "sent": sent,
           "loss_pct": round(100.0 * (sent - len(rtts)) / sent, 1)}
    if flags:
        hop["flags"] = flags
    return hop


def test_a_router_answering_unreachable_ends_the_path_and_is_not_loss() -> None:
    from collectors.net_traceroute import path_loss_start, unreachable

    # A dead host behind router2: its "host unreachable" replies use up its ICMP rate
    # limit, so its own time-exceeded answers (hop 2) go missing too.
    hops = [_trace_hop(1, "10.200.1.1", [0.1] * 10),
            _trace_hop(2, "10.200.2.2", [0.2] * 7),
            _trace_hop(3, "10.200.2.2", [3000.0] * 2, flags=["!H", "!H"])]
    assert path_loss_start(hops, reached=False) is None
    assert unreachable(hops, reached=False) == {
        "ttl": 3, "address": "10.200.2.2", "flag": "!H", "meaning": "host unreachable",
        "count": 2}
    # The same loss on a path whose target answers is loss.
    reached = [*hops[:2], _trace_hop(3, "10.200.3.2", [0.3] * 6)]
    assert path_loss_start(reached, reached=True) == 2
    assert unreachable(reached, reached=True) is None


@pytest.mark.parametrize(("rtts", "start"), [
    ([[0.1], [0.2], [0.3]], None),                       # a fast path
    ([[0.1], [0.2], [400.1, 401.0]], (3, 399.9)),        # delay into the last hop
    ([[0.1], [80.0], [81.0], [80.5]], (2, 79.9)),        # a long-haul link at hop 2
    ([[0.1], [300.0, 0.2], [0.4]], None),                # a router slow to answer itself
    ([[0.1], [0.2, 900.0], [0.3]], None),                # one slow reply: best times rule
])
def test_delay_starts_at_the_hop_where_round_trips_jump_and_stay(rtts: list, start) -> None:  # type: ignore[no-untyped-def]
    from collectors.net_traceroute import delay_starts_at

    hops = [_trace_hop(n + 1, f"10.0.{n + 1}.1", r, sent=len(r)) for n, r in enumerate(rtts)]
    found = delay_starts_at(hops)
    if start is None:
        assert found is None, found
    else:
        assert (found["ttl"], found["added_ms"]) == start
