"""``ticket list`` on a terminal: a table with a header, one row a ticket — its
priority, status, level, each clock (response, resolution, L2's response when it
was escalated) and what is left of the nearest one.

Colour only on a terminal, never when stdout is a file or a pipe, nor with
``NO_COLOR`` set (https://no-color.org) or ``TERM=dumb``: red is breached, yellow
due within the hour (or met late), cyan paused, green met. Ticket text (the title)
is shown escaped, as everywhere (``term``); only the table's own words are styled.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from toolkit.cli._common import term
from toolkit.tickets.export import span

HEADER = ("ID", "PRIORITY", "STATUS", "LEVEL", "RESPONSE", "RESOLUTION", "L2", "LEFT", "TITLE")
CLOCK_NAMES = {"response": "response", "resolution": "resolution", "escalation": "L2"}
TITLE_MAX = 60
SOON_S = 3600


def colour_wanted() -> bool:
    return (sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb")


def _short(iso: str) -> str:
    """``2026-11-26T10:00:00+01:00`` → ``11-26 10:00`` (the due time's own zone)."""
    return f"{iso[5:10]} {iso[11:16]}"


def clock_cell(c: dict[str, Any] | None) -> tuple[str, str | None]:
    """One clock as a cell, and its colour."""
    state = (c or {}).get("state")
    if c is None or not state:
        return "—", None
    if state == "met":
        return "met", "green"
    if state == "late":
        return "met late", "yellow"
    if state == "paused":
        return "paused", "cyan"
    if state == "breached":
        return "breached", "red"
    return f"due {_short(c['due'])}", "yellow" if c.get("left_s", 0) < SOON_S else None


def left_cell(clocks: dict[str, Any]) -> tuple[str, str | None]:
    """The nearest clock: the oldest breach, else the soonest due, else a paused one."""
    def of(state: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, c) for k, c in clocks.items() if c.get("state") == state]
    breached = of("breached")
    if breached:
        name, c = min(breached, key=lambda kc: kc[1]["left_s"])
        return f"breached {span(-c['left_s'])} ago ({CLOCK_NAMES[name]})", "red"
    pending = of("pending")
    if pending:
        name, c = min(pending, key=lambda kc: kc[1]["left_s"])
        soon = c["left_s"] < SOON_S
        return f"{span(c['left_s'])} left ({CLOCK_NAMES[name]})", "yellow" if soon else None
    paused = of("paused")
    if paused:
        name, c = min(paused, key=lambda kc: kc[1]["left_s"])
        return f"paused, {span(c['left_s'])} left ({CLOCK_NAMES[name]})", "cyan"
    return "—", None


def rows(found: list[tuple[Any, dict[str, Any]]]) -> list[list[tuple[str, str | None]]]:
    out = []
    for t, clocks in found:
        out.append([(t.id, None), (t.priority, "red" if t.priority == "urgent" else None),
                    (t.status, None), (t.level, None), clock_cell(clocks.get("response")),
                    clock_cell(clocks.get("resolution")), clock_cell(clocks.get("escalation")),
                    left_cell(clocks), (t.title[:TITLE_MAX], None)])
    return out


def render(found: list[tuple[Any, dict[str, Any]]], colour: bool) -> list[str]:
    """The table's lines: the header, then one a ticket, columns padded to fit."""
    body = [[(term(text), c) for text, c in row] for row in rows(found)]
    widths = [max(len(h), *(len(row[i][0]) for row in body)) for i, h in enumerate(HEADER)]
    lines = []
    head = "  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)).rstrip()
    lines.append(click.style(head, bold=True) if colour else head)
    for row in body:
        cells = []
        for i, (text, c) in enumerate(row):
            plain = text if i == len(row) - 1 else text.ljust(widths[i])
            cells.append(click.style(plain, fg=c) if colour and c else plain)
        lines.append("  ".join(cells).rstrip())
    return lines
