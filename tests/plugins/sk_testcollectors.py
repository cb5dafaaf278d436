"""Collectors that misbehave on purpose, loaded with SUPPORTKIT_PLUGINS in tests."""

from __future__ import annotations

import sys
import time
from typing import Any

from toolkit.collector import Collector, Context, Needs, Param, Skipped
from toolkit.plugins import hookimpl


def sleep(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    time.sleep(params["seconds"])
    return {"slept": params["seconds"]}


def crash(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("planted crash in tests.crash")


def skip(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raise Skipped("frobnicator not installed: apt install frobnicator")


def hang_command(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # A child command that never ends: the runner must kill it with the worker.
    ctx.run([sys.executable, "-c", f"import time; time.sleep({params['seconds']})  # sk-hang"])
    return {}


def leak(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.save("app.log", f"connecting as bob password={params['secret']} to db\nall fine\n")
    return {"token": params["secret"], "line": f"Authorization: Bearer {params['secret']}"}


def echo(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"value": params["value"], "items": [{"n": i} for i in range(params["count"])]}


SECONDS = Param("seconds", "float", 1000.0, "how long")
COLLECTORS = [
    Collector("tests.sleep", "sleeps", sleep, params=(SECONDS,)),
    Collector("tests.crash", "raises", crash),
    Collector("tests.skip", "skips", skip),
    Collector("tests.hang_command", "runs a command that hangs", hang_command,
              params=(SECONDS,)),
    Collector("tests.leak", "returns and saves a secret", leak,
              params=(Param("secret", "str", "hunter2-secret"),)),
    Collector("tests.echo", "echoes", echo,
              params=(Param("value", "str", "x"), Param("count", "int", 2))),
]


@hookimpl
def supportkit_collectors() -> list[Collector]:
    return COLLECTORS


def partial_output(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    got = ctx.run([sys.executable, "-c", "import sys, time; print('first line', flush=True); "
                   "time.sleep(60)"], timeout=1, save_as="partial.txt")
    return {"timed_out": got.record.timed_out, "text": got.text}


COLLECTORS.append(Collector("tests.partial_output", "a command that prints, then hangs",
                            partial_output))


def run_any(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    got = ctx.run(params["argv"])
    return {"returncode": got.record.returncode, "stdout": got.text}


# A collector that runs whatever command it is given: it must declare the power, and
# then only trusted playbooks may use it.
COLLECTORS.append(Collector("tests.run_any", "runs the command it is given", run_any,
                            needs=Needs(powers=("run-any-command",)),
                            params=(Param("argv", "list", ("true",)),)))
