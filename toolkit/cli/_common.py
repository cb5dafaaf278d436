"""Pieces shared by the command modules."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

import click

from toolkit.errors import BadInput

F = Callable[..., Any]
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# What a terminal may act on rather than show: C0 controls (ESC starts a sequence, CR
# rewrites the line), DEL, C1 controls (U+009B is a one-character CSI on some
# terminals), the bidi embeddings, overrides and isolates that reorder the text around
# them (U+202A–U+202E, U+2066–U+2069), and lone surrogates (from undecodable bytes),
# which no terminal encoding can print. Tab stays; newline stays where a field is
# meant to span lines.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_LINE = re.compile(f"[{_UNSAFE}\n]")
_UNSAFE_LINES = re.compile(f"[{_UNSAFE}]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def term(text: Any, multiline: bool = False) -> str:
    """``text`` safe to print on a terminal: every control character shown as an escape
    (``\\x1b``, ``\\u202e``) instead of acting. Use it on anything from a bundle, a
    ticket, a tracker or a log; ``multiline`` keeps newlines."""
    pattern = _UNSAFE_LINES if multiline else _UNSAFE_LINE
    return pattern.sub(_visible, str(text))


def say(text: Any, err: bool = False, multiline: bool = False) -> None:
    """``click.echo`` of a line that carries untrusted data (see ``term``)."""
    click.echo(term(text, multiline), err=err)


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group(0)):04x}"


def escape_json_text(text: str) -> str:
    """A JSON document made safe for the terminal: the C1 controls, bidi controls and lone
    surrogates that ``json.dumps(ensure_ascii=False)`` leaves raw (it escapes only C0)
    become ``\\uXXXX`` escapes. They only occur inside strings, so the document parses
    to the same value."""
    return _UNSAFE_LINES.sub(_json_escape, text)


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
