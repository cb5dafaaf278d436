"""``plan()``: what a step would touch, before it runs (``run --plan``, ``collect --plan``).

Every collector's plan is well-formed data and never touches the machine; for the
collectors that wrap commands, a live run here records only commands the plan named
(by executable). ``run network-connectivity --plan`` lists each collect step's
commands, files and network targets, in text and in JSON."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from toolkit import _platform
from toolkit.collector import Collector, Needs, Plan
from toolkit.plans import problems
from toolkit.plugins import load


def _builtin() -> dict[str, Collector]:
    import collectors

    return {c.name: c for c in collectors.supportkit_collectors() if isinstance(c, Collector)}


BUILTIN = _builtin()
# Parameters a step might well be given, beside the defaults: the plan must cope.
GIVEN: dict[str, dict[str, Any]] = {
    "account.access": {"path": "/etc/hostname", "need": "write"},
    "disk.health": {"devices": ["/dev/sda"], "kernel_log": False},
    "disk.largest": {"path": "/var"},
    "logs.files": {"paths": ["/var/log/syslog", "/var/log/app/*.log"], "rotated": False},
    "logs.journal": {"since": "2h", "units": ["ssh.service"], "file": "/tmp/x.journal"},
    "network.capture": {"filter": "host 127.0.0.1", "interface": "lo"},
    "network.clock": {"server": "127.0.0.1:1123"},
    "network.dns": {"names": ["example.test", "127.0.0.1"], "servers": ["127.0.0.1:5353"]},
    "network.http": {"url": "http://127.0.0.1:8080/x", "proxy": "none"},
    "network.ping": {"host": "::1", "method": "system_ping"},
    "network.tcp": {"host": "127.0.0.1", "port": 22},
    "network.traceroute": {"host": "127.0.0.1", "mode": "tcp", "port": 443, "count": 3},
}


def _touch_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"plan() touched the machine: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(socket.socket, "__init__", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_plan_is_well_formed_and_touches_nothing(name: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    col = BUILTIN[name]
    assert col.plan is not None, f"{name} declares no plan()"
    templated = {p.name: "{{ steps.earlier.value }}" for p in col.params if p.name != "source"}
    cases = [col.defaults(), col.resolve_params(GIVEN.get(name, {})),
             {**col.defaults(), **templated}]  # before the run, as run --plan has them
    _touch_nothing(monkeypatch)
    for params in cases:
        got = col.planned(params)
        assert problems(got) == [], (params, got)
        json.dumps(got.as_dict())
        assert got.commands or got.files or got.network or got.notes, params


def test_a_plan_shows_the_params_it_is_given() -> None:
    ping = BUILTIN["network.ping"].planned(BUILTIN["network.ping"].resolve_params(
        {"host": "127.0.0.9", "count": 7}))
    assert ping.commands[0][0] == "ping" and ping.commands[0][-1] == "127.0.0.9"
    assert "7" in ping.commands[0] and ping.network == ["127.0.0.9/icmp"]
    files = BUILTIN["logs.files"].planned({"paths": ["/var/log/a.log", "/srv/*.log"]})
    assert files.files == ["/var/log/a.log", "/srv/*.log"] and not files.commands
    tcp = BUILTIN["network.tcp"].planned({"host": "::1", "port": 22, "count": 3})
    assert tcp.network == ["[::1]:22/tcp"]
    # a template is shown as written
    gw = BUILTIN["network.ping"].planned({**BUILTIN["network.ping"].defaults(),
                                          "host": "{{ steps.routes.default_gateway }}"})
    assert gw.commands[0][-1] == "{{ steps.routes.default_gateway }}"


def test_source_mode_reads_the_file_and_nothing_else(tmp_path: Path) -> None:
    for name, col in BUILTIN.items():
        if not col.sources:
            continue
        got = col.planned({**col.defaults(), "source": str(tmp_path / "saved.txt")})
        assert (got.commands, got.files, got.network) == ([], [str(tmp_path / "saved.txt")],
                                                          []), name


def _gather(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {}


def test_without_a_plan_the_needs_are_the_plan() -> None:
    col = Collector("x.y", "x", _gather, needs=Needs(commands=("frob", "zap")))
    got = col.planned({})
    assert got.commands == [["frob"], ["zap"]] and "declares no plan" in got.notes[0]
    assert Collector("x.z", "x", _gather).planned({}) == Plan()


def _broken_plan(params: dict[str, Any]) -> Any:
    return {"commands": "rm -rf /"}


def test_a_malformed_plan_is_refused() -> None:
    col = Collector("x.y", "x", _gather, plan=_broken_plan)
    with pytest.raises(TypeError, match="not a Plan"):
        col.planned({})
    assert problems(Plan(commands=[["ping", 3]], network=["host"])) == [
        "command ['ping', 3] is not a non-empty argv list of strings",
        "network target 'host' is not host:port/tcp|udp or host/icmp"]


# --- live: the commands a run records are among those planned ---------------------------

LIVE: dict[str, dict[str, Any]] = {
    "account.access": {"path": "/etc/hostname"},
    "account.auth_failures": {"hours": 1},
    "account.identity": {},
    "crash.dumps": {"days": 1},
    "disk.health": {},
    # a journal file that is not there: journalctl still runs, and says so
    "logs.journal": {"file": "/nonexistent/none-*.journal", "since": "1h"},
    "network.ping": {"host": "127.0.0.1", "count": 2, "interval": 0.2, "timeout": 1,
                     "method": "system_ping"},
    "network.routes": {},
    "network.traceroute": {"host": "127.0.0.1", "method": "system", "max_hops": 3,
                           "timeout": 1},
    "system.services": {},
}


def test_every_collector_that_plans_commands_is_run_live() -> None:
    planning = {n for n, c in BUILTIN.items() if c.planned(c.defaults()).commands}
    assert planning and planning <= set(LIVE)


def _names(argvs: list[list[str]]) -> set[str]:
    return {Path(argv[0]).name for argv in argvs}


@pytest.mark.live
@pytest.mark.parametrize("name", sorted(LIVE))
def test_a_live_run_records_only_planned_commands(name: str, tmp_path: Path) -> None:
    from toolkit.run.isolation import execute, scope
    from toolkit.run.runner import platform_skip

    col = load().get(name)
    params = col.resolve_params(LIVE[name])
    if platform_skip(col, params):
        pytest.skip(platform_skip(col, params) or "")
    with scope():
        got = execute(col, params, tmp_path / "step", 120)
    if not got.commands:
        assert got.outcome == "skipped", (got.outcome, got.reason)  # skipped before running
        pytest.skip(f"{name} does not run here: {got.reason}")
    ran = _names([c["argv"] for c in got.commands])
    planned = _names(col.planned(params).commands)
    assert ran <= planned, f"{name} ran {ran - planned} that its plan does not name"


# --- the CLI ------------------------------------------------------------------------------

def test_run_plan_lists_each_collect_steps_commands_and_files(cli, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text('{"target": "127.0.0.1"}')  # the failing host has no default
    r = cli("run", "network-connectivity", "--plan", "--json", "--answers", str(answers))
    assert r.code == 0, r.err
    steps = json.loads(r.out)["steps"]
    collect = {s["id"]: s for s in steps if s["kind"] == "collect"}
    assert set(collect) == {"link", "routes", "dns", "ping", "trace", "tcp", "gateway_ping",
                            "capture"}
    for step in collect.values():
        assert problems(Plan(**step["plan"])) == [], step
    assert all("plan" not in s for s in steps if s["kind"] != "collect")
    assert collect["routes"]["plan"]["commands"] == [list(a) for _, a in
                                                     _platform.ROUTE_COMMANDS]
    assert collect["dns"]["plan"]["files"] == list(_platform.RESOLVER_FILES)
    # inputs are known before the run (answers, defaults): the target is filled in …
    ping = collect["ping"]["plan"]
    assert _names(ping["commands"]) == {"ping"} and ping["commands"][0][-1] == "127.0.0.1"
    assert ping["network"] == ["127.0.0.1/icmp"]
    assert collect["ping"]["params"]["host"] == "{{ inputs.target }}"  # params as written
    assert _names(collect["trace"]["plan"]["commands"]) == {"traceroute"}
    # … another step's result is not: shown as written
    gateway = collect["gateway_ping"]["plan"]
    assert gateway["commands"][0][-1] == "{{ steps.routes.default_gateway }}"
    assert any("psutil" in n for n in collect["link"]["plan"]["notes"])

    text = cli("run", "network-connectivity", "--plan", "--answers", str(answers))
    assert text.code == 0
    blocks: dict[str, list[str]] = {}
    for line in text.out.splitlines()[1:]:
        fields = line.split()
        if fields[0].rstrip(".").isdigit():
            blocks[fields[2]] = current = []
        else:
            current.append(line.strip())
    for step_id, step in collect.items():
        expected = [f"run   {shlex.join(a)}" for a in step["plan"]["commands"]] + \
            [f"read  {f}" for f in step["plan"]["files"]] + \
            [f"net   {n}" for n in step["plan"]["network"]]
        assert [ln for ln in blocks[step_id] if not ln.startswith("note")] == expected, step_id
    assert "run   ip -j -4 route show" in blocks["routes"]


def test_run_plan_takes_answers_and_overrides(cli, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("target: 127.0.0.3\n")
    r = cli("run", "network-connectivity", "--plan", "--json", "--answers", str(answers),
            "-p", "ping.count=4")
    steps = {s["id"]: s for s in json.loads(r.out)["steps"]}
    ping = steps["ping"]["plan"]["commands"][0]
    assert ping[-1] == "127.0.0.3" and ping[ping.index("-c") + 1] == "4"
    assert steps["trace"]["plan"]["commands"][0][-1] == "127.0.0.3"


def test_collect_plan_runs_nothing(cli) -> None:
    r = cli("collect", "network.routes", "--plan", "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert doc["collector"] == "network.routes" and "outcome" not in doc
    assert doc["plan"]["commands"] == [list(a) for _, a in _platform.ROUTE_COMMANDS]
    text = cli("collect", "network.tcp", "-p", "host=127.0.0.1", "-p", "port=22", "--plan")
    assert text.out.splitlines()[1:] == ["  net   127.0.0.1:22/tcp",
                                         "  note  3 connects, no data sent; the name is "
                                         "resolved first"]
