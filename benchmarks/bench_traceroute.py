"""Whole-process wall time of ``supportkit collect network.traceroute`` against
``traceroute -n`` (a live host and a dead address) and of its 10-round loss
summary against ``mtr -n --report -c 10``, on the namespace topology of
tests/netns_topology.py (client — router1 — router2 — server; no packet leaves
the namespaces).

Run as root: ``python benchmarks/bench_traceroute.py [--repeat N]``. Needs the
Debian packages iproute2, traceroute and mtr-tiny. Every measurement gets a
fresh topology, so the routers' ICMP rate-limit budgets start full for each
tool alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from netns_topology import DEAD, SERVER, Topology  # noqa: E402


def _supportkit() -> list[str]:
    script = shutil.which("supportkit") or str(Path(sys.executable).parent / "supportkit")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "toolkit"]


CASES = [
    # (label, argv run in the client namespace)
    ("supportkit traceroute, live host",
     [*_supportkit(), "collect", "network.traceroute", "-p", f"host={SERVER}", "--json"]),
    ("traceroute -n, live host", ["traceroute", "-n", SERVER]),
    ("supportkit traceroute, dead address",
     [*_supportkit(), "collect", "network.traceroute", "-p", f"host={DEAD}", "--json"]),
    ("traceroute -n, dead address", ["traceroute", "-n", DEAD]),
    ("supportkit traceroute count=10",
     [*_supportkit(), "collect", "network.traceroute", "-p", f"host={SERVER}", "-p",
      "count=10", "--json"]),
    ("mtr -n --report -c 10", ["mtr", "-n", "--report", "-c", "10", SERVER]),
]


def measure(argv: list[str], tag: str) -> float:
    topo = Topology(tag=tag)
    topo.down()
    topo.up()
    try:
        t0 = time.monotonic()
        proc = subprocess.run(["ip", "netns", "exec", topo.client, *argv], capture_output=True,
                              timeout=300, check=False)
        took = time.monotonic() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode()[-500:]}")
        return took
    finally:
        topo.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median shown)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: network namespaces need it")
    for tool in ("ip", "traceroute", "mtr"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not installed (apt install iproute2 traceroute mtr-tiny)")
    medians: dict[str, float] = {}
    for label, argv in CASES:
        runs = [measure(argv, f"skb{os.getpid() % 10000}") for _ in range(args.repeat)]
        medians[label] = statistics.median(runs)
        print(f"{label:40s} {medians[label]:7.3f} s  (runs: "
              f"{', '.join(f'{r:.3f}' for r in runs)})")
    print()
    for ours, theirs in ((0, 1), (2, 3), (4, 5)):
        a, b = CASES[ours][0], CASES[theirs][0]
        print(f"{a} / {b}: {medians[a] / medians[b]:.2f}")


if __name__ == "__main__":
    main()
