"""The hand-written DNS reply parser against dnspython and Scapy: robustness, cost, size.

    python benchmarks/bench_dnswire.py [--mutations 16000] [--seed 1] [--runs 15]
                                       [--wire OLD_DNSWIRE.py]

Run from the repository (it reads ``tests/fixtures/network.dns/``) with an interpreter
that has dnspython and scapy installed to compare with them (either may be missing;
its rows are then skipped). Prints, for each parser:

- robustness on the test corpus — every prefix of every real reply plus N random
  mutations (flips, insertions, deletions; the tests' mutator): how many read, how many
  raised the parser's own error type, and how many raised anything else (a crash);
- the import cost, from ``python -X importtime`` in fresh processes (median; on top of
  the standard modules the collector imports anyway), and the mean time to read a reply;
- the installed size of the code that would ship.

The collector uses ``collectors/_dnswire.py``; docs/decisions.md records the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "network.dns"
WIRE = ROOT / "collectors" / "_dnswire.py"  # --wire: another version, e.g. from git show


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.5 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op < 0.75:
            out.insert(rng.randrange(len(out) + 1), rng.randrange(256))
        elif out:
            del out[rng.randrange(len(out))]
    return bytes(out)


def corpus(mutations: int, seed: int) -> list[bytes]:
    replies = [p.read_bytes() for p in sorted(FIX.glob("*.bin"))]
    rng = random.Random(seed)
    cases = [r[:n] for r in replies for n in range(len(r))]
    return cases + [mutate(rng, rng.choice(replies)) for _ in range(mutations)]


def load_wire(path: Path) -> Any:
    # By path: importing the ``collectors`` package would bring the plugin machinery.
    spec = importlib.util.spec_from_file_location("_dnswire", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parsers(wire_path: Path) -> dict[str, tuple[Any, tuple[type[BaseException], ...]]]:
    """name → (parse(bytes), the exception types that parser documents as its own)."""
    wire = load_wire(wire_path)
    found: dict[str, tuple[Any, tuple[type[BaseException], ...]]] = {
        # Before ReplyError, the module's own error was ValueError.
        "hand-written": (wire.parse_response, (getattr(wire, "ReplyError", ValueError),))}
    try:
        import dns.exception
        import dns.message

        found["dnspython"] = (dns.message.from_wire, (dns.exception.DNSException,))
    except ImportError:
        pass
    try:
        from scapy.config import conf
        from scapy.error import Scapy_Exception
        from scapy.layers.dns import DNS

        conf.debug_dissector = True  # raise instead of hiding the error in a Raw layer
        found["scapy"] = (DNS, (Scapy_Exception,))
    except ImportError:
        pass
    return found


def robustness(parse: Any, own: tuple[type[BaseException], ...], cases: list[bytes]
               ) -> Counter[str]:
    counts: Counter[str] = Counter()
    for data in cases:
        try:
            parse(data)
            counts["read"] += 1
        except own:
            counts["own error"] += 1
        except Exception as exc:  # what the comparison is about
            counts[f"crash {type(exc).__name__}"] += 1
    return counts


# What the collector's process has imported before it needs a parser (network.dns's own
# standard-library imports): only the parser's cost on top of them counts.
BASE = "import errno, ipaddress, os, pathlib, re, select, socket, struct, time, typing"


def import_ms(statement: str, runs: int) -> float:
    """Median over fresh processes of the import cost ``-X importtime`` reports for
    ``statement`` in a process that has imported ``BASE``, with byte-code cached (as
    pip leaves an installed package)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def tops(code: str) -> dict[str, int]:
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                             capture_output=True, text=True, check=True, cwd=ROOT,
                             env=env).stderr
        out = {}
        for line in err.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _, cumulative, name = line[12:].split("|")
            if not name[1:].startswith(" "):  # a top-level import, not one nested in another
                out[name.strip()] = int(cumulative)
        return out

    base = set(tops(BASE))
    tops(f"{BASE}; {statement}")  # writes the byte-code caches
    totals = [sum(us for name, us in tops(f"{BASE}; {statement}").items() if name not in base)
              for _ in range(runs)]
    return statistics.median(totals) / 1000


def read_all_ms(parse: Any, replies: list[bytes], rounds: int = 200) -> float:
    t0 = time.perf_counter()
    for _ in range(rounds):
        for data in replies:
            parse(data)
    return (time.perf_counter() - t0) / rounds / len(replies) * 1000


def dist_kib(name: str) -> float | None:
    try:
        files = metadata.distribution(name).files or []
    except metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files if "__pycache__" not in str(f)) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutations", type=int, default=16000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--wire", type=Path, default=WIRE, help="the hand-written parser to test")
    args = ap.parse_args()
    wire = args.wire.resolve()
    cases = corpus(args.mutations, args.seed)
    replies = [p.read_bytes() for p in sorted(FIX.glob("*.bin"))]
    print(f"corpus: {len(cases)} cases (every prefix of {len(replies)} real replies, "
          f"{args.mutations} mutations, seed {args.seed})\n")
    # The module alone, as a top-level one: through ``collectors`` it would bring the
    # plugin machinery, which the collector's worker has loaded already.
    imports = {"hand-written": f"import sys; sys.path.insert(0, {str(wire.parent)!r}); "
                               "import _dnswire",
               "dnspython": "import dns.message",
               "scapy": "import scapy.layers.dns"}
    sizes = {"hand-written": wire.stat().st_size / 1024, "dnspython": dist_kib("dnspython"),
             "scapy": dist_kib("scapy")}
    for name, (parse, own) in parsers(wire).items():
        counts = robustness(parse, own, cases)
        crashes = sum(v for k, v in counts.items() if k.startswith("crash"))
        # dnspython loads each record type's module on first use: reading the fixtures
        # once in the same process is part of what the collector would pay.
        first_use = (imports[name] + "; import pathlib; [__import__('dns.message').message"
                     ".from_wire(p.read_bytes()) for p in pathlib.Path("
                     f"{str(FIX)!r}).glob('*.bin') if 'mdns__g' not in p.name]"
                     if name == "dnspython" else imports[name])
        size = sizes[name]
        print(f"{name}:")
        print(f"  robustness   read {counts['read']}, own error {counts['own error']}, "
              f"crashes {crashes} {dict((k, v) for k, v in counts.items() if 'crash' in k)}")
        print(f"  import       {import_ms(imports[name], args.runs):.1f} ms"
              + (f" ({import_ms(first_use, args.runs):.1f} ms with the record types "
                 "of the fixtures loaded)" if first_use != imports[name] else ""))
        readable = [r for r in replies if _reads(parse, r)]
        print(f"  read a reply {read_all_ms(parse, readable) * 1000:.0f} µs "
              f"(mean over {len(readable)} fixtures)")
        print(f"  installed    {size:.0f} KiB" if size is not None else "  installed    ?")
        print()


def _reads(parse: Any, data: bytes) -> bool:
    try:
        parse(data)
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
