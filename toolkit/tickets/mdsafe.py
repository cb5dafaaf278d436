"""Ticket and bundle text embedded in Markdown, escaped so that it stays text.

A title, a description or an error message is whatever the user typed or a
tracker sent: a newline followed by ``## Solution`` would start a section of
its own, a line of ``|`` a table row, three backticks would close the code
block around an error message. What is embedded goes through one of these:

* ``inline`` — one line (newlines flattened), for headings and sentences;
* ``cell`` — a table cell (``|`` escaped, line breaks as ``<br>``);
* ``lines`` — text that may span lines, each line kept from starting a block
  (heading, quote, list, table, fence, HTML, thematic break);
* ``fence`` — a code block whose fence is longer than any backtick run in the
  text (CommonMark: a fence closes only on a run at least as long).

Backslash escapes (CommonMark §2.4) keep the text readable where it is not rendered.
"""

from __future__ import annotations

import re
from typing import Any

_NEWLINES = re.compile(r"\r\n|\r|\n")
# Raw HTML and autolinks start with "<", links and images with "[", table cells end at
# "|"; a backslash before any of them would undo its escape, so it is escaped first.
_INLINE = re.compile(r"([\\<\[\]|])")
# What opens a block at the start of a line (after up to three spaces, which are dropped).
_BLOCK_START = re.compile(r"^(?:[#>+=_~`*-]|\d{1,9}(?=[.)]))")


def _escape(text: str) -> str:
    return _INLINE.sub(r"\\\1", text)


def inline(value: Any) -> str:
    """One line of text: line breaks become spaces, markup characters are escaped."""
    return _escape(" ".join(_NEWLINES.split(str(value))))


def cell(value: Any) -> str:
    """A table cell: ``|`` escaped, line breaks kept as ``<br>``."""
    return "<br>".join(_escape(part) for part in _NEWLINES.split(str(value)))


def _line(text: str) -> str:
    text = _escape(text.lstrip(" \t"))
    m = _BLOCK_START.match(text)
    if m is None:
        return text
    if m.group(0).isdigit():  # "1." or "1)" starts an ordered list: escape the mark
        end = m.end()
        return f"{text[:end]}\\{text[end:]}"
    return "\\" + text


def lines(value: Any) -> list[str]:
    """Text that may span lines: its lines, none of which can open a block."""
    return [_line(line) for line in _NEWLINES.split(str(value))]


def fence(value: Any) -> list[str]:
    """A fenced code block holding ``value`` verbatim (line endings normalised)."""
    text = "\n".join(_NEWLINES.split(str(value)))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark, *text.split("\n"), mark]
