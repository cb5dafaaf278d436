"""Redaction throughput and peak memory on a generated log, against ``sos clean``.

    python benchmarks/bench_redact.py [--size-mb 200] [--keep FILE] [--no-sos]

The log is made of the real lines in ``tests/fixtures/logs.files/`` (ten
loghub samples of different systems) in random order, with about one line
in a hundred carrying a planted secret (password, bearer, JWT, AWS, GitHub,
URL credentials, vendor tokens, command-line flags, hashes…). Redaction streams
the file through ``toolkit.redact.content.prepare`` with the full catalogue,
exactly as the bundle writer does (the bytes are sniffed, scanned once for every
rule's triggers, and only lines holding one are decoded; output written to a
file), so the figures are those of a real run.

``sos clean`` (Debian package ``sosreport``) is timed on the same file packed
as an sos archive: ``sos clean sosreport-bench-1.tar.gz --batch --tmp-dir TMP``. It does
other work (it pseudonymises IPs, MACs and host names rather than removing
secrets), so the comparison is of throughput on the same input, not of
features. Peak RSS of each side is read with ``resource.getrusage``.
"""

from __future__ import annotations

import argparse
import random
import resource
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "fixtures" / "logs.files"
sys.path.insert(0, str(ROOT))


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _secret_lines() -> list[str]:
    up = string.ascii_uppercase + string.digits
    return [
        f"2024-11-03 10:00:01,120 INFO  db: connect user=app password={_rand(14)} host=db1",
        f"Nov  3 10:00:02 web nginx: Authorization: Bearer {_rand(40)}",
        f"2024-11-03T10:00:03Z api token=eyJ{_rand(20)}.eyJ{_rand(30)}.{_rand(43)}",
        f"aws_access_key_id = AKIA{_rand(16, up)}",
        f"2024-11-03 10:00:04 git: push with ghp_{_rand(36)}",
        f"2024-11-03 10:00:05 sync: postgres://svc:{_rand(12)}@10.0.0.5:5432/app",
        f"[03/Nov/2024:10:00:06 +0000] \"GET /cb?access_token={_rand(32)} HTTP/1.1\" 200",
        f"2024-11-03 10:00:07 deploy: mysql -u root -p{_rand(12)} app < dump.sql",
        f"2024-11-03 10:00:08 ci: export STRIPE_SECRET=sk_live_{_rand(24)}",
        f"Nov  3 10:00:09 host sshd[1]: user alice hash $6${_rand(16)}${_rand(86)}",
        f"2024-11-03 10:00:10 app: {{\"name\": \"DB_PASSWORD\", \"value\": \"{_rand(14)}\"}}",
        f"2024-11-03 10:00:11 proxy: Cookie: session={_rand(32)}; theme=dark",
    ]


def generate(path: Path, size: int, seed: int = 7) -> int:
    """Write ``size`` bytes of log lines to ``path``; returns the bytes written."""
    rng = random.Random(seed)
    real = [line for f in sorted(SOURCES.glob("*.log"))
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    planted = _secret_lines()
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < size:
            block = [rng.choice(planted) if rng.random() < 0.01 else rng.choice(real)
                     for _ in range(10_000)]
            text = "\n".join(block) + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
    return written


def redact_file(src: Path, dst: Path, force_regex: bool = False
                ) -> tuple[float, float, dict[str, int]]:
    """Wall seconds, CPU seconds of this process, and hits per rule."""
    from toolkit.redact import Redactor
    from toolkit.redact.content import prepare

    red = Redactor(force_regex=force_regex)
    start, cpu = time.perf_counter(), time.process_time()
    with open(src, "rb") as raw, open(dst, "wb") as out:
        plan = prepare(raw, "attachments/generated.log", red)
        assert plan.chunks is not None
        for chunk in plan.chunks:
            out.write(chunk)
    return time.perf_counter() - start, time.process_time() - cpu, dict(red.counts)


def sos_clean(src: Path) -> tuple[float, float, int] | None:
    """Wall and CPU seconds and peak RSS (KB) of ``sos clean`` on an sos-style archive
    holding ``src``.

    sos 4.0 only accepts an ``sosreport-*.tar.*`` archive (its folder mode is
    broken: it tries to untar the folder), so the log is packed as
    ``var/log/messages`` of a gzip tarball first; packing is not timed, while
    sos's own unpack and repack are, as part of what ``sos clean`` does.
    """
    sos = shutil.which("sos")
    if sos is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-sos-") as tmp:
        top = Path(tmp) / "sosreport-bench-1"
        (top / "var" / "log").mkdir(parents=True)
        (top / "sos_logs").mkdir()
        shutil.copy(src, top / "var" / "log" / "messages")
        archive = Path(tmp) / "sosreport-bench-1.tar.gz"
        subprocess.run(["tar", "czf", str(archive), "-C", tmp, top.name], check=True)
        shutil.rmtree(top)
        work = Path(tmp) / "work"
        work.mkdir()
        argv = [sos, "clean", str(archive), "--batch", "--tmp-dir", str(work)]
        print("  command:", " ".join(argv), file=sys.stderr)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return took, cpu, after.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=200, help="size of the generated log")
    ap.add_argument("--keep", type=Path, help="reuse or keep the generated log at this path")
    ap.add_argument("--no-sos", action="store_true", help="do not run sos clean")
    ap.add_argument("--regex-scan", action="store_true",
                    help="the regex scan the engine falls back to without ahocorasick_rs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-redact-") as tmp:
        log = args.keep or Path(tmp) / "generated.log"
        if not log.exists():
            generate(log, int(args.size_mb * 1024 * 1024))
        size = log.stat().st_size
        took, cpu, counts = redact_file(log, Path(tmp) / "redacted.log", args.regex_scan)
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"log: {size / 1e6:.1f} MB, {log}")
        from toolkit.redact.rules import catalogue

        # CPU time is what one core gives, whatever else the machine runs meanwhile.
        print(f"supportkit redact ({len(catalogue())} rules): {took:.1f} s, "
              f"{size / 1e6 / took:.1f} MB/s ({size / 1e6 / cpu:.1f} MB/s of CPU time), "
              f"peak RSS {rss_kb / 1024:.0f} MB, hits {sum(counts.values())}")
        if not args.no_sos:
            got = sos_clean(log)
            if got is None:
                print("sos clean: not installed (apt install sosreport)")
            else:
                sos_took, sos_cpu, sos_rss = got
                print(f"sos clean: {sos_took:.1f} s, {size / 1e6 / sos_took:.1f} MB/s "
                      f"({size / 1e6 / sos_cpu:.1f} MB/s of CPU time), peak RSS "
                      f"{sos_rss / 1024:.0f} MB; supportkit is {sos_took / took:.1f}x faster "
                      f"({sos_cpu / cpu:.1f}x in CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
