"""How much time and memory does reading a hostile bundle cost? Two cases from issue 12.

    python benchmarks/bench_bundle_read.py [--toolkit DIR] [--gib 10] [--results 20] [--mb 50]

1. A member of ``--gib`` GiB of zeros (about 10 MB compressed), written with zipfile's
   streaming writes: once in place of a listed member (the manifest unchanged: "grown"),
   once added with its true size and sha256 in the manifest ("declared"). Prints the
   wall time and peak memory of ``supportkit bundle verify``.
2. ``--results`` collector results of ``--mb`` MB of JSON each, listed with their
   hashes (the bundle verifies). Prints the peak memory of ``bundle show``, ``bundle
   report`` and ``ticket attach``.

``--toolkit DIR`` runs the ``toolkit`` package found in DIR (e.g. an older commit:
``git archive COMMIT | tar -x -C DIR``) instead of the installed one. The big files
live in a temporary folder only while they are measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, stdin=subprocess.DEVNULL); "
        "print(p.returncode, time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def measure(env: dict[str, str], *args: str) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of ``supportkit ARGS`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", WRAP, sys.executable, "-m", "toolkit", *args],
                         capture_output=True, text=True, env=env, check=True,
                         cwd=env["SUPPORTKIT_HOME"]).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024


def _copy(src: Path, dst: Path, skip: set[str]) -> tuple[zipfile.ZipFile, str, dict[str, Any]]:
    """Start ``dst`` with the members of ``src`` but the manifest and ``skip``."""
    zin = zipfile.ZipFile(src)
    top = zin.namelist()[0].split("/")[0]
    manifest = json.loads(zin.read(f"{top}/manifest.json"))
    zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
    for info in zin.infolist():
        rel = info.filename[len(top) + 1:]
        if rel != "manifest.json" and rel not in skip:
            zout.writestr(info, zin.read(info))
    zin.close()
    return zout, top, manifest


def _stream(zout: zipfile.ZipFile, name: str, size: int, make: Any = None) -> str:
    digest = hashlib.sha256()
    zeros = bytes(CHUNK)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zout.open(info, "w", force_zip64=True) as fh:
        left = size
        while left:
            chunk = make(min(CHUNK, left)) if make else zeros[:min(CHUNK, left)]
            digest.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def zeros_case(base: Path, work: Path, env: dict[str, str], gib: int) -> None:
    size = gib << 30
    victim = next(f for f in json.loads(zipfile.ZipFile(base).read(
        f"{zipfile.ZipFile(base).namelist()[0].split('/')[0]}/manifest.json"))["files"]
        if f["path"].endswith("result.json"))["path"]
    for case in ("grown", "declared"):
        path = work / f"{case}.zip"
        t0 = time.perf_counter()
        zout, top, manifest = _copy(base, path, {victim} if case == "grown" else set())
        rel = victim if case == "grown" else "attachments/zeros.bin"
        sha = _stream(zout, f"{top}/{rel}", size)
        if case == "declared":
            manifest["files"].append({"path": rel, "size": size, "sha256": sha})
        zout.writestr(f"{top}/manifest.json", json.dumps(manifest))
        zout.close()
        built = time.perf_counter() - t0
        code, secs, rss = measure(env, "bundle", "verify", str(path))
        print(f"{gib} GiB zeros ({case}, {path.stat().st_size / 1e6:.0f} MB zip, built in "
              f"{built:.0f} s): verify exit {code} in {secs:.1f} s, peak {rss:.0f} MB")
        path.unlink()


def results_case(base: Path, work: Path, env: dict[str, str], count: int, mb: int) -> None:
    path = work / "results.zip"
    zout, top, manifest = _copy(base, path, set())
    rows_per_mb = 1_000_000 // 48
    for n in range(count):
        index = 50 + n
        doc = {"filesystems": [], "entries": [{"line": os.urandom(12).hex(), "n": i}
                                              for i in range(rows_per_mb * mb)]}
        data = json.dumps(doc).encode()
        rel = f"steps/{index:02d}-disk.usage/result.json"
        zout.writestr(f"{top}/{rel}", data)
        manifest["files"].append({"path": rel, "size": len(data),
                                  "sha256": hashlib.sha256(data).hexdigest()})
        manifest["steps"].append({"index": index, "id": f"r{n}", "kind": "collect",
                                  "collector": "disk.usage", "outcome": "ok", "reason": "",
                                  "duration_s": 0.1})
    zout.writestr(f"{top}/manifest.json", json.dumps(manifest))
    zout.close()
    print(f"{count} results of {mb} MB ({path.stat().st_size / 1e6:.0f} MB zip):")
    for args in (("bundle", "show", str(path)),
                 ("bundle", "report", str(path), "--out", str(work / "r.html"))):
        code, secs, rss = measure(env, *args)
        print(f"  {' '.join(args[:2]):<14} exit {code} in {secs:.1f} s, peak {rss:.0f} MB")
    subprocess.run([sys.executable, "-m", "toolkit", "ticket", "new", "--title", "bench",
                    "--no-collect"], env=env, check=True, capture_output=True, cwd=work)
    code, secs, rss = measure(env, "ticket", "attach", "1", str(path))
    print(f"  {'ticket attach':<14} exit {code} in {secs:.1f} s, peak {rss:.0f} MB")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolkit", type=Path, help="run the toolkit package in this folder")
    parser.add_argument("--gib", type=int, default=10)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bundle-read-"))
    env = {**os.environ, "SUPPORTKIT_HOME": str(work / "home"),
           "SUPPORTKIT_DISABLE_ENTRYPOINTS": "1"}
    (work / "home").mkdir()  # also the working folder: python -m must not find ./toolkit
    if args.toolkit:
        env["PYTHONPATH"] = str(args.toolkit.resolve())
    try:
        out = subprocess.run([sys.executable, "-m", "toolkit", "run", "general",
                              "--non-interactive", "--only", "disk", "--json", "--out",
                              str(work / "b")], env=env, check=True, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, cwd=work).stdout
        base = Path(json.loads(out)["bundle"])
        if args.gib:
            zeros_case(base, work, env, args.gib)
        if args.results:
            results_case(base, work, env, args.results, args.mb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
