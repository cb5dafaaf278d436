"""supportkit: guided diagnostic playbooks and verifiable evidence bundles.

Kept import-light on purpose: ``supportkit --help`` must answer fast, so
heavy modules (psutil, jinja2, yaml, jsonschema) are imported where used.
"""

__version__ = "0.1.0"

# Written by scripts/build-binary into the one-file build, never into the wheel.
BUILD_FILE = "_build.json"


def build_name() -> str:
    """What this copy of supportkit is: ``""`` for an installed package (a wheel),
    else the name ``scripts/build-binary`` gave the one-file build (OS, machine,
    Python, bundler, the hash of the wheel it was made from), e.g.
    ``one-file linux-x86_64 python3.11.7 pyinstaller6.11.1 wheel:1f2e3d4c``.

    ``supportkit --version`` prints it; ``supportkit remote`` compares whole version
    lines to decide whether a supportkit already on a remote machine is the same."""
    import sys

    if not getattr(sys, "frozen", False):
        return ""
    import json
    import os

    try:
        with open(os.path.join(os.path.dirname(__file__), BUILD_FILE), encoding="utf-8") as fh:
            return str(json.load(fh).get("name") or "one-file")
    except (OSError, ValueError):
        return "one-file"


def version_line() -> str:
    """``supportkit --version``: ``supportkit, version X`` and, for a one-file build,
    its build name in parentheses (the wheel's line stays what it always was)."""
    build = build_name()
    return f"supportkit, version {__version__}" + (f" ({build})" if build else "")
