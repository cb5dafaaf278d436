"""Text from strangers, made safe to print on a terminal.

Bundles, tickets, trackers and logs may carry control sequences: ESC starts a
sequence that can move the cursor or rewrite what a command printed, CR rewrites the
line, U+009B is a one-character CSI on some terminals, and the bidi embeddings,
overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder the text around them.
``term`` shows each as an escape (``\\x1b``, ``\\u202e``) instead; lone surrogates
(from undecodable bytes), which no terminal encoding can print, too. Tab stays;
newline stays where a field is meant to span lines.
"""

from __future__ import annotations

import re
from typing import Any

import click

_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_LINE = re.compile(f"[{_UNSAFE}\n]")
_UNSAFE_LINES = re.compile(f"[{_UNSAFE}]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def term(text: Any, multiline: bool = False) -> str:
    """``text`` safe to print on a terminal. Use it on anything from a bundle, a ticket,
    a tracker or a log; ``multiline`` keeps newlines."""
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
