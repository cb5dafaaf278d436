"""Pieces shared by the command modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from toolkit.errors import BadInput
from toolkit.term import escape_json_text, say, term  # noqa: F401 - commands use these

F = Callable[..., Any]
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}



def dumps(value: Any) -> str:
    """JSON for the terminal (see ``escape_json_text``)."""
    return escape_json_text(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document on stdout and nothing else there.")(f)


def emit_json(value: Any) -> None:
    sys.stdout.write(dumps(value) + "\n")


def parse_pairs(pairs: tuple[str, ...], option: str = "-p") -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"{option} {pair!r} is not key=value", f"write it as {option} key=value")
        out.append((key.strip(), value))
    return out


def echo_plan(plan: dict[str, Any], indent: int) -> None:
    """A step's plan (``Plan.as_dict()``), one line per command, file, target and note."""
    import shlex

    lines = [("run", shlex.join(argv)) for argv in plan["commands"]] + \
        [("read", f) for f in plan["files"]] + [("net", n) for n in plan["network"]] + \
        [("note", n) for n in plan["notes"]]
    for label, value in lines:  # params and paths come from playbooks and -p: escaped
        say(f"{'':{indent}}{label:<5} {value}")
