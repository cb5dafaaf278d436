"""The one-file build against the pip-installed CLI: size, build time, start-up.

    python benchmarks/bench_binary.py [--binary FILE | --build] [--runs 10]

``--build`` runs ``scripts/build-binary`` into a temporary folder first and times it
(the build's virtual environment, ``.build-venv``, is kept between builds: the first
build also installs PyInstaller). Without either, the newest ``dist/supportkit-*``.

For each of ``--version``, ``--help``, ``collect system.info --json`` and ``run
general --non-interactive`` it prints the median and best whole-process wall time of
the build and of the ``supportkit`` on PATH (the wheel, installed by pip), and their
ratio. A one-file build unpacks itself into a temporary folder at every start: that,
not Python, is most of its start-up; its collect workers are the same file started
again from the folder already unpacked.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, check=True, env=env)
        out.append(time.perf_counter() - t0)
    return out


def build(out: Path) -> tuple[Path, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([str(ROOT / "scripts" / "build-binary"), "--out", str(out)],
                          stdout=subprocess.PIPE, text=True, check=True,
                          stdin=subprocess.DEVNULL)
    return Path(proc.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, help="the one-file build to measure")
    parser.add_argument("--build", action="store_true", help="build it first, timed")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    pip_cli = shutil.which("supportkit")
    if not pip_cli:
        sys.exit("bench_binary: no supportkit on PATH (pip install . in a venv first)")
    with tempfile.TemporaryDirectory(prefix="bench-binary.") as tmp:
        work = Path(tmp)
        if args.build:
            binary, seconds = build(work / "dist")
            print(f"build             : {seconds:6.1f} s  (scripts/build-binary)")
        elif args.binary:
            binary = args.binary.resolve()
        else:
            found = sorted((p for p in (ROOT / "dist").glob("supportkit-*") if p.is_file()
                            and p.suffix not in (".sha256", ".whl") and os.access(p, os.X_OK)),
                           key=lambda p: p.stat().st_mtime)
            if not found:
                sys.exit("bench_binary: no build in dist/ (--build, or --binary FILE)")
            binary = found[-1]
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        print(f"build             : {version}")
        print(f"size              : {binary.stat().st_size / 1e6:6.1f} MB  ({binary})")
        env = {**os.environ, "SUPPORTKIT_HOME": str(work / "home"), "TMPDIR": str(work)}
        out = str(work / "out")
        cases = [("--version", ["--version"], args.runs),
                 ("--help", ["--help"], args.runs),
                 ("collect system.info", ["collect", "system.info", "--json"], args.runs),
                 ("run general", ["run", "general", "--non-interactive", "--quiet",
                                  "--out", out], max(3, args.runs // 3))]
        for label, argv, runs in cases:
            timed([str(binary), *argv], 1, env)  # warm the page cache
            timed([pip_cli, *argv], 1, env)
            one = timed([str(binary), *argv], runs, env)
            wheel = timed([pip_cli, *argv], runs, env)
            m1, m2 = statistics.median(one), statistics.median(wheel)
            print(f"{label:<18}: one-file median {m1 * 1000:6.0f} ms (best {min(one) * 1000:5.0f})"
                  f" | pip CLI median {m2 * 1000:6.0f} ms (best {min(wheel) * 1000:5.0f})"
                  f" | {m1 / m2:.2f}x  ({runs} runs)")


if __name__ == "__main__":
    main()
