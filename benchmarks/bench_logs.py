"""Log gathering with ``since`` on a large generated log: time and peak memory.

    python benchmarks/bench_logs.py [--size-mb 2048] [--keep FILE] [--window-min 60]

The log is the real lines of ``tests/fixtures/logs.files/`` (loghub samples)
re-stamped with ISO 8601 times one to a few milliseconds apart, in time
order, as an application log grows. ``logs.files`` then gathers the last
``--window-min`` minutes of it (``since``), exactly as ``supportkit collect
logs.files -p paths=FILE -p since=…`` does, in a fresh process so that its
peak RSS (``resource.getrusage``) is the collector's alone. The generated
file is deleted afterwards unless ``--keep`` names it.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "fixtures" / "logs.files"

_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from collectors import logs_files
from toolkit.collector import Context
work = Path(sys.argv[2])
ctx = Context(workdir=work, deadline=time.monotonic() + 3600)
params = logs_files.COLLECTOR.resolve_params(
    {"paths": [sys.argv[3]], "since": sys.argv[4], "max_bytes": 1 << 30,
     "max_total_bytes": 1 << 30})
start = time.perf_counter()
result = logs_files.gather(ctx, params)
took = time.perf_counter() - start
print(json.dumps({"seconds": took, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "file": result["files"][0], "top": result["summary"]["top_errors"][:1]}))
"""


def generate(path: Path, size: int, seed: int = 11) -> tuple[int, float]:
    """Write ``size`` bytes of time-ordered log lines; returns bytes and the last time."""
    rng = random.Random(seed)
    real = [line.split(" ", 3)[-1] for f in sorted(SOURCES.glob("*.log"))
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    levels = ["INFO"] * 20 + ["WARN"] * 3 + ["ERROR"]
    when = datetime(2024, 11, 1).timestamp()
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < size:
            block = []
            for _ in range(10_000):
                when += rng.uniform(0.001, 0.004)
                stamp = datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S")
                block.append(f"{stamp},{int(when * 1000) % 1000:03d} {rng.choice(levels)} "
                             f"{rng.choice(real)}")
            text = "\n".join(block) + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
    return written, when


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=2048, help="size of the generated log")
    ap.add_argument("--keep", type=Path, help="reuse or keep the generated log at this path")
    ap.add_argument("--window-min", type=float, default=60, help="gather the last N minutes")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        log = args.keep or Path(tmp) / "generated.log"
        if log.exists():
            with open(log, "rb") as fh:
                fh.seek(max(0, log.stat().st_size - 4096))
                tail = fh.read().splitlines()[-1].decode()  # a kept log: its last line
            last = datetime.fromisoformat(tail[:19]).timestamp()
        else:
            start = time.perf_counter()
            _, last = generate(log, int(args.size_mb * 1024 * 1024))
            print(f"generated in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        since = datetime.fromtimestamp(last - args.window_min * 60).isoformat(timespec="seconds")
        work = Path(tmp) / "step"
        work.mkdir()
        cmd = [sys.executable, "-c", _CHILD, str(ROOT), str(work), str(log), since]
        print("command: logs.files paths=" + str(log) + " since=" + since, file=sys.stderr)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        got = json.loads(out)
        size = log.stat().st_size
        entry = got["file"]
        print(f"log: {size / 1e6:.0f} MB; window: last {args.window_min:g} min (since {since})")
        print(f"logs.files since: {got['seconds']:.2f} s, peak RSS {got['rss_kb'] / 1024:.0f} MB,"
              f" kept {entry['lines_kept']} lines / {entry['bytes_kept'] / 1e6:.1f} MB")
        if not args.keep:
            log.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
