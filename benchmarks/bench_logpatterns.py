"""Recurring log patterns: grouping accuracy beside Drain3's, and speed beside Drain3's.

    python benchmarks/bench_logpatterns.py [--data DIR] [--size-mb 210] [--no-speed]
                                           [--drain3-venv DIR] [--keep FILE]

**Accuracy.** For every ``<D>_2k.log`` in ``--data`` (default ``../shared/realdata/logs``)
with ground truth in ``DIR/groundtruth/<D>_2k.log_structured_corrected.csv.gz`` (the
corrected loghub-2k templates of Khan et al., ICSE 2022): the grouping accuracy (GA,
Zhu et al., ICSE-SEIP 2019: a line counts only if its group holds exactly the lines of
its true template) of ``supportkit logs patterns FILE --json`` (each line's pattern id,
read from outside, no per-dataset setting), beside Drain3 0.9.11 with its default
settings fed (a) the ground truth's ``Content`` column — the message after loghub's
per-dataset header regex, an advantage supportkit does not get — and (b) each raw line.

**Speed.** OpenSSH_2k.log repeated to ``--size-mb`` (an error-heavy log: two thirds of
its lines are failures) — once as it is, once with each copy's addresses and ports
renumbered so that lines repeat exactly only as often as inside the sample — read
through by ``supportkit logs patterns FILE --json --no-lines`` and by ``supportkit
collect logs.files`` (slice + summary, the first file only), and fed line by line to
Drain3's ``TemplateMiner.add_log_message``: lines per CPU-second (user + system
of that process alone, start-up included) and peak RSS of each, in separate processes.

Drain3 runs in its own virtual environment (``--drain3-venv``, made with ``pip install
drain3==0.9.11`` on first use): supportkit itself does not depend on it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "realdata" / "logs"
DRAIN3 = "drain3==0.9.11"

# Drain3's side: one message per input line → one cluster id per line (JSON), or for
# the speed run just the count; its own rusage at the end.
_DRAIN = r"""
import json, logging, resource, sys, time
logging.disable(logging.CRITICAL)  # "config file not found": the defaults are what we want
from drain3 import TemplateMiner
miner = TemplateMiner()
ids = []
keep = sys.argv[2] == "ids"
n = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as fh:
    for line in fh:
        n += 1
        got = miner.add_log_message(line.rstrip("\r\n"))
        if keep:
            ids.append(got["cluster_id"])
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"ids": ids, "lines": n, "cpu": ru.ru_utime + ru.ru_stime,
                  "rss_kb": ru.ru_maxrss, "clusters": len(miner.drain.clusters)}))
"""

# supportkit's side for the speed run: the CLI in this process, its own rusage after.
_OURS = r"""
import json, os, resource, sys
sys.path.insert(0, sys.argv[1])
from toolkit.cli import main
out = sys.argv[2]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(fd, 1)
code = main(sys.argv[3:])
sys.stdout.flush()
# collect runs the collector in a worker process: count it too
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(json.dumps({"code": code, "rss_kb": max(me.ru_maxrss, kids.ru_maxrss),
                             "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime})
                 + "\n")
"""


def _env() -> dict[str, str]:
    """This checkout first on the path (collect's workers do not import from the
    current folder, so it goes by PYTHONPATH)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def drain3_python(venv: Path) -> Path:
    """The python of a venv holding Drain3 (made on first use)."""
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        print(f"making {venv} with {DRAIN3} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", DRAIN3], check=True)
    return py


def ga(truth: list[str], pred: list[object]) -> float:
    """Grouping accuracy: the share of lines whose predicted group is exactly the set of
    lines of their true template."""
    true_groups: dict[str, set[int]] = defaultdict(set)
    groups: dict[object, set[int]] = defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, pred, strict=True)):
        true_groups[t].add(i)
        groups[p].add(i)
    right = sum(len(lines) for lines in groups.values()
                if true_groups[truth[min(lines)]] == lines)
    return right / len(truth)


def run_drain(py: Path, lines: list[str], work: Path) -> list[object]:
    src = work / "drain-in.txt"
    src.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    out = subprocess.run([str(py), "-c", _DRAIN, str(src), "ids"], capture_output=True,
                         text=True, check=True)
    ids: list[object] = json.loads(out.stdout)["ids"]
    return ids


def ours_ids(log: Path) -> list[object]:
    out = subprocess.run([sys.executable, "-m", "toolkit", "logs", "patterns", str(log), "--json"],
                         cwd=log.parent, env=_env(), capture_output=True, text=True, check=True)
    ids = json.loads(out.stdout)["files"][0]["line_patterns"]
    # a line past the bounds (null) is a group of its own
    return [i if i is not None else f"none-{n}" for n, i in enumerate(ids)]


def accuracy(data: Path, py: Path | None, work: Path) -> None:
    rows_out = []
    for truth_file in sorted((data / "groundtruth").glob("*_structured_corrected.csv.gz")):
        name = truth_file.name.split("_2k")[0]
        log = data / f"{name}_2k.log"
        if not log.exists():
            continue
        with gzip.open(truth_file, "rt", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        truth = [r["EventId"] for r in rows]
        ours = ours_ids(log)
        if len(ours) != len(truth):
            raise SystemExit(f"{log}: {len(ours)} lines read, ground truth has {len(truth)}")
        row = [name, ga(truth, ours)]
        if py is not None:
            raw = log.read_text(encoding="utf-8", errors="replace").splitlines()
            row += [ga(truth, run_drain(py, [r["Content"] for r in rows], work)),
                    ga(truth, run_drain(py, raw, work))]
        rows_out.append(row)
    if not rows_out:
        raise SystemExit(f"no ground truth found under {data / 'groundtruth'}")
    head = f"{'dataset':<13}{'supportkit':>11}"
    if py is not None:
        head += f"{'Drain3 content':>16}{'Drain3 line':>13}"
    print(head)
    for row in rows_out:
        print(f"{row[0]:<13}" + "".join(f"{v:>{w}.3f}" for v, w in zip(row[1:], (11, 16, 13),
                                                                     strict=False)))
    means = [sum(r[i] for r in rows_out) / len(rows_out) for i in range(1, len(rows_out[0]))]
    print(f"{'mean':<13}" + "".join(f"{v:>{w}.3f}" for v, w in zip(means, (11, 16, 13),
                                                                  strict=False)))
    print(f"({len(rows_out)} datasets; no per-dataset setting on supportkit's side)")


_ADDRESS = re.compile(rb"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.)(\d{1,3})\b|\b(port )(\d+)")


def _renumbered(block: bytes, k: int) -> bytes:
    """Copy ``k`` of the sample with every IPv4 address and port moved by ``k``: lines
    repeat inside a copy as they do in the sample, not from one copy to the next."""
    def move(m: re.Match[bytes]) -> bytes:
        if m.group(1):
            return m.group(1) + str((int(m.group(2)) + k) % 256).encode()
        return m.group(3) + str((int(m.group(4)) + k) % 65536).encode()
    return _ADDRESS.sub(move, block)


def make_heavy(path: Path, size: int, data: Path, renumber: bool = False) -> int:
    block = (data / "OpenSSH_2k.log").read_bytes()
    if not block.endswith(b"\n"):
        block += b"\n"
    copies = max(1, -(-size // len(block)))
    with open(path, "wb") as out:
        for k in range(copies):
            out.write(_renumbered(block, k) if renumber and k else block)
    return copies * block.count(b"\n")


def _ours_speed(args: list[str], work: Path) -> dict[str, float]:
    started = time.perf_counter()
    got = subprocess.run([sys.executable, "-c", _OURS, str(ROOT), str(work / "out.json"), *args],
                         capture_output=True, text=True, check=True, cwd=work, env=_env())
    stats: dict[str, float] = json.loads(got.stderr.strip().splitlines()[-1])
    if stats["code"] != 0:
        raise SystemExit(f"supportkit {' '.join(args)} exited {stats['code']}: {got.stderr[:500]}")
    stats["wall"] = time.perf_counter() - started
    return stats


def speed(size_mb: int, data: Path, py: Path | None, work: Path, keep: Path | None,
          renumber: bool) -> None:
    log = keep or work / "openssh-heavy.log"
    lines = make_heavy(log, size_mb * 1024 * 1024, data, renumber)
    how = ("each copy with its addresses and ports renumbered: messages repeat only as "
           "often as in the sample" if renumber else "repeated")
    print(f"\n{log.stat().st_size / 1e6:.0f} MB, {lines:,} lines (OpenSSH_2k.log {how})")
    results = [("supportkit logs patterns", _ours_speed(
        ["logs", "patterns", str(log), "--json", "--no-lines"], work))]
    if not renumber:
        results.append(("supportkit collect logs.files", _ours_speed(
            ["collect", "logs.files", "-p", f"paths={log}", "-p", "max_bytes=1000000000",
             "-p", "max_total_bytes=1000000000", "--timeout", "3600", "--json"], work)))
    if py is not None:
        started = time.perf_counter()
        got = subprocess.run([str(py), "-c", _DRAIN, str(log), "count"], capture_output=True,
                             text=True, check=True)
        stats = json.loads(got.stdout)
        stats["wall"] = time.perf_counter() - started
        results.append(("Drain3 0.9.11 (defaults)", stats))
    drain = results[-1][1] if py is not None else None
    print(f"{'':<31}{'lines/CPU-s':>12}{'CPU s':>8}{'peak RSS':>10}{'vs Drain3':>10}")
    for label, st in results:
        rate = lines / st["cpu"]
        ratio = f"{rate / (lines / drain['cpu']):.2f}×" if drain else "-"
        print(f"{label:<31}{rate:>12,.0f}{st['cpu']:>8.1f}{st['rss_kb'] / 1024:>8.0f}MB"
              f"{ratio:>10}")
    if keep is None:
        log.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--size-mb", type=int, default=210)
    ap.add_argument("--no-speed", action="store_true", help="accuracy only")
    ap.add_argument("--no-drain3", action="store_true", help="supportkit only")
    ap.add_argument("--drain3-venv", type=Path,
                    default=Path(tempfile.gettempdir()) / "supportkit-bench-drain3")
    ap.add_argument("--keep", type=Path, help="write the large log here and keep it")
    args = ap.parse_args()
    py = None if args.no_drain3 else drain3_python(args.drain3_venv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        accuracy(args.data, py, work)
        if not args.no_speed:
            # as the issue measured it (exact repeats from the second copy on), then with
            # exact repeats no more frequent than in the real sample
            speed(args.size_mb, args.data, py, work, args.keep, renumber=False)
            speed(args.size_mb, args.data, py, work, None, renumber=True)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    main()
