"""Does the report of a big bundle still open fast? Size and time, small vs ~50 MB bundle.

    python benchmarks/bench_report.py [--mb 50]

Builds two bundles of the ``general`` playbook, one plain and one with a
generated log of ``--mb`` megabytes attached (real log lines from
tests/fixtures, repeated), then prints for each: bundle size, report.html
size, the time to re-render the report (``supportkit bundle report``), and
the time headless Chromium takes to load it (``--dump-dom``), if installed.
Large raw data stays in the bundle's files; the report links, never inlines it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "tests" / "fixtures" / "account.auth_failures" / "OpenSSH_2k.log"


def supportkit(*args: str, env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True,
                         text=True, env=env, check=True, stdin=subprocess.DEVNULL)
    return out.stdout


def measure(bundle: Path, work: Path, env: dict[str, str]) -> dict[str, float]:
    html = work / f"{bundle.stem}.html"
    t0 = time.perf_counter()
    supportkit("bundle", "report", str(bundle), "--out", str(html), env=env)
    render = time.perf_counter() - t0
    figures = {"bundle_mb": bundle.stat().st_size / 1e6, "report_kb": html.stat().st_size / 1e3,
               "render_s": render}
    chromium = shutil.which("chromium")
    if chromium:
        t0 = time.perf_counter()
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={work / 'p'}",
                        "--dump-dom", html.as_uri()], capture_output=True, check=True)
        figures["chromium_load_s"] = time.perf_counter() - t0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    env = {**os.environ, "SUPPORTKIT_HOME": str(work / "home")}
    big = work / "app.log"
    lines = LOG.read_bytes()
    with open(big, "wb") as fh:
        while fh.tell() < args.mb * 1_000_000:
            fh.write(lines)
    rows = {}
    for name, extra in (("small", []), (f"{args.mb} MB log", ["--attach", str(big)])):
        out = supportkit("run", "general", "--non-interactive", "--json", "--out",
                         str(work / "b"), *extra, env=env)
        rows[name] = measure(Path(json.loads(out)["bundle"]), work, env)
    for name, fig in rows.items():
        cells = ", ".join(f"{k} {v:.2f}" for k, v in fig.items())
        print(f"{name:>10}: {cells}")
    small, large = rows["small"], rows[f"{args.mb} MB log"]
    if "chromium_load_s" in small:
        print(f"ratio: report load {large['chromium_load_s'] / small['chromium_load_s']:.2f}x "
              f"the small bundle's, report size {large['report_kb'] / small['report_kb']:.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
