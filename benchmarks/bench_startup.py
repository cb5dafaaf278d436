"""How fast does ``supportkit --help`` answer? Whole-process wall time.

    python benchmarks/bench_startup.py [--runs 20]

Prints the median and best of N runs of ``supportkit --help`` and of a bare
``python -c pass`` (the floor any Python CLI pays), and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def timed(argv: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    exe = shutil.which("supportkit")
    cli = [exe, "--help"] if exe else [sys.executable, "-m", "toolkit", "--help"]
    timed(cli, 2)  # warm the page cache
    help_s = timed(cli, args.runs)
    bare_s = timed([sys.executable, "-c", "pass"], args.runs)
    med_help, med_bare = statistics.median(help_s), statistics.median(bare_s)
    print(f"supportkit --help : median {med_help * 1000:6.1f} ms, best {min(help_s) * 1000:6.1f} ms"
          f" ({args.runs} runs)")
    print(f"python -c pass    : median {med_bare * 1000:6.1f} ms, "
          f"best {min(bare_s) * 1000:6.1f} ms")
    print(f"ratio             : {med_help / med_bare:.1f}x bare Python start-up")


if __name__ == "__main__":
    main()
