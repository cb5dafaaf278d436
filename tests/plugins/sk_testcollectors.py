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


def exits(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    sys.exit(1)  # as a library may do, silently


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
    Collector("tests.exits", "calls sys.exit(1)", exits),
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


def env(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # What a worker starts with: the attack surface of issue 12 (folder, environment, cores).
    import os
    import resource

    import psutil

    parent = psutil.Process(os.getppid())
    return {"environ": sorted(os.environ), "cwd": os.getcwd(), "sys_path": sys.path,
            "now": time.time(),
            "isolated": sys.flags.isolated,
            "core": list(resource.getrlimit(resource.RLIMIT_CORE)),
            "parent_core": list(parent.rlimit(psutil.RLIMIT_CORE))
            if hasattr(psutil, "RLIMIT_CORE") else None}


def flood(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # A command that prints far more than anyone keeps; the worker's memory must not follow.

    got = ctx.run(["head", "-c", str(params["bytes"]), "/dev/zero"], save_as="flood.bin")
    kept = len(got.stdout)
    return {"record": got.record.as_dict(), "read_back": kept,
            "peak_rss_kb": _peak_rss_kb()}


def _peak_rss_kb() -> int:
    """This process's own peak (VmHWM). Not ru_maxrss: exec folds the peak of the parent
    it was forked from (a test runner that once held hundreds of MB) into that figure."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def daemon(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # A command that leaves a daemon behind (new session, parent gone at once), then waits.
    code = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(300)  # {params['mark']}'], start_new_session=True, "
            "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)")
    got = ctx.run([sys.executable, "-c", code], timeout=30)
    time.sleep(params["seconds"])
    return {"returncode": got.record.returncode}


def segv(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    # Crash the way a C extension does, in a folder the test watches for a core file.
    import os
    import signal

    os.chdir(params["dir"])
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


COLLECTORS += [
    Collector("tests.env", "reports the worker's environment, folder and limits", env),
    Collector("tests.flood", "runs a command that prints a lot", flood,
              params=(Param("bytes", "int", 2 * 1024 ** 3),)),
    Collector("tests.daemon", "starts a daemon through a command, then sleeps", daemon,
              params=(Param("mark", "str", "sk-daemon"), Param("seconds", "float", 0.0))),
    Collector("tests.segv", "crashes with SIGSEGV", segv, params=(Param("dir", "str", "."),)),
]
