"""How a run talks to the person at the keyboard — always on stderr.

``ConsoleUI`` prompts; ``HeadlessUI`` never reads stdin (``--non-interactive``,
no TTY, agents, CI) and takes answers from the answers file or defaults.
Collectors and the runner never print; they call one of these.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from toolkit.term import term

NO_ANSWER = object()


def _echo(text: str = "", nl: bool = True) -> None:
    click.echo(text, err=True, nl=nl)


class HeadlessUI:
    interactive = False

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def info(self, text: str) -> None:
        if not self.quiet:
            _echo(text)

    def step_started(self, label: str) -> None:
        pass

    def step_done(self, position: str, label: str, outcome: str, detail: str = "") -> None:
        if self.quiet:
            return
        colour = {"ok": "green", "skipped": "yellow", "failed": "red", "timed_out": "red",
                  "finding": "magenta"}.get(outcome)
        tag = click.style(f"{outcome:>9}", fg=colour) if sys.stderr.isatty() else f"{outcome:>9}"
        # A reason may quote a command's output: escaped like every untrusted text.
        _echo(f"{position:>7} {tag}  {term(label)}" + (f" — {term(detail)}" if detail else ""))

    def guide(self, number: int, text: str, resolves: bool) -> Any:
        self.info(f"  {number}. {text}")
        return NO_ANSWER

    def ask(self, prompt: str, default: Any, choices: tuple[Any, ...]) -> Any:
        return NO_ANSWER


class ConsoleUI(HeadlessUI):
    interactive = True

    def step_started(self, label: str) -> None:
        _echo(f"        running  {label} …")

    def guide(self, number: int, text: str, resolves: bool) -> Any:
        _echo()
        _echo(click.style(f"  Step {number}. ", bold=True) + text)
        if resolves:
            return click.confirm("  Did this fix it?", default=False, err=True)
        click.prompt("  Press Enter when done", default="", show_default=False, err=True)
        return NO_ANSWER

    def ask(self, prompt: str, default: Any, choices: tuple[Any, ...]) -> Any:
        kind = click.Choice([str(c) for c in choices]) if choices else None
        return click.prompt(f"  {prompt}", default=default, type=kind, err=True)
