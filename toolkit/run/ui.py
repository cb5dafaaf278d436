"""How a run talks to the person at the keyboard — always on stderr.

``ConsoleUI`` prompts; ``HeadlessUI`` never reads stdin (``--non-interactive``,
no TTY, agents, CI) and takes answers from the answers file or defaults.
Collectors and the runner never print; they call one of these.

Progress: while collect steps run, each has one line with its elapsed time. On a
terminal the lines of all running steps are redrawn in place (``Live``); elsewhere
a plain line is printed when a step starts and when it ends. Steps are reported
in playbook order whatever order they finish in. Every text comes from the message
catalogue (``toolkit.i18n``) in the run's language; colour only on a terminal and
never with ``NO_COLOR``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import click

from toolkit.i18n import t
from toolkit.term import term

NO_ANSWER = object()
COLOURS = {"ok": "green", "skipped": "yellow", "failed": "red", "timed_out": "red",
           "finding": "magenta", "fixed": "green", "not_fixed": "yellow"}


def _echo(text: str = "", nl: bool = True) -> None:
    click.echo(text, err=True, nl=nl)


def use_colour() -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR") and \
        os.environ.get("TERM") != "dumb"


def width(text: str) -> int:
    """Columns a text takes on a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return " " * max(0, columns - width(text)) + text


class Live:
    """The block of "running" lines at the bottom of the terminal, redrawn in place
    (cursor up, clear, draw) by a thread four times a second while steps run."""

    def __init__(self, render: Callable[[str, str, float | None], str]) -> None:
        self.render = render
        self.lock = threading.RLock()
        self.rows: dict[int, list[Any]] = {}  # index -> [position, label, started, ended]
        self.drawn = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _erase(self) -> None:
        if self.drawn:
            sys.stderr.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _draw(self) -> None:
        now = time.monotonic()
        lines = [self.render(pos, label, (ended or now) - started)
                 for _, (pos, label, started, ended) in sorted(self.rows.items())]
        for line in lines:
            sys.stderr.write(line + "\n")
        self.drawn = len(lines)
        sys.stderr.flush()

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            with self.lock:
                self._erase()
                self._draw()

    def start(self, index: int, position: str, label: str) -> None:
        with self.lock:
            self.rows[index] = [position, label, time.monotonic(), None]
            self._erase()
            self._draw()
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, daemon=True)
                self._thread.start()

    def ended(self, index: int) -> None:
        with self.lock:
            if index in self.rows:
                self.rows[index][3] = time.monotonic()

    def above(self, text: str, index: int | None = None) -> None:
        """Print a finished line above the block (and drop that step's live line)."""
        with self.lock:
            self._erase()
            if index is not None:
                self.rows.pop(index, None)
            sys.stderr.write(text + "\n")
            self._draw()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None
        with self.lock:
            self._erase()
            self.rows.clear()
            sys.stderr.flush()


class HeadlessUI:
    interactive = False

    def __init__(self, quiet: bool = False, lang: str = "en", debug: bool = False,
                 colour: bool | None = None) -> None:
        self.quiet, self.lang, self.debug = quiet, lang, debug
        self.colour = use_colour() if colour is None else colour
        self.live = Live(self._running_line) if sys.stderr.isatty() and not quiet else None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ text
    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.colour else text

    def info(self, text: str) -> None:
        if not self.quiet:
            _echo(text)

    def _tag(self, outcome: str) -> str:
        word = t(f"outcome.{outcome}", self.lang) if outcome in COLOURS else outcome
        return self.style(pad(word, 9), fg=COLOURS.get(outcome))

    def _running_line(self, position: str, label: str, elapsed: float | None) -> str:
        seconds = f" {elapsed:.1f}s" if elapsed is not None else ""
        return (f"{position:>7} {self.style(pad(t('ui.running', self.lang), 9), fg='cyan')}"
                f"  {term(label)} …{seconds}")

    # ------------------------------------------------------------------ progress
    def batch_started(self, steps: list[tuple[int, str, str]]) -> None:
        """Steps about to run side by side, in playbook order. Without a terminal each
        gets its "running" line now, in that order (they start in any order)."""
        if self.quiet or self.live is not None:
            return
        with self._lock:
            for _, position, label in steps:
                _echo(self._running_line(position, label, None))

    def step_started(self, index: int, position: str, label: str) -> None:
        if not self.quiet and self.live is not None:
            self.live.start(index, position, label)

    def step_ended(self, index: int) -> None:
        """A step finished; its line is printed later, in playbook order (step_done)."""
        if self.live is not None:
            self.live.ended(index)

    def step_done(self, position: str, label: str, outcome: str, detail: str = "",
                  index: int | None = None) -> None:
        if self.quiet:
            return
        # A reason may quote a command's output: escaped like every untrusted text.
        line = f"{position:>7} {self._tag(outcome)}  {term(label)}" + (
            f" — {term(detail)}" if detail else "")
        if self.live is not None:
            self.live.above(line, index)
        else:
            with self._lock:
                _echo(line)

    def batch_done(self) -> None:
        if self.live is not None:
            self.live.stop()

    # ------------------------------------------------------------------ questions
    def guide(self, number: int, text: str, resolves: bool, default: bool = False,
              article: str = "") -> Any:
        """Show self-help step ``number`` (and the knowledge-base article it points to);
        on a terminal, ask whether it fixed the problem when it ``resolves``."""
        self.info(f"  {number}. {text}")
        if article:
            self.info(f"     {article}")
        return NO_ANSWER

    def ask(self, prompt: str, default: Any, choices: tuple[Any, ...] = (),
            kind: str = "string", check: Callable[[Any], Any] | None = None,
            required: bool = False, note: str = "") -> Any:
        return NO_ANSWER


class ConsoleUI(HeadlessUI):
    interactive = True

    def guide(self, number: int, text: str, resolves: bool, default: bool = False,
              article: str = "") -> Any:
        from toolkit.run.answers import coerce

        _echo()
        _echo(self.style(f"  {t('ui.step', self.lang, n=number)} ", bold=True) + text)
        if article:
            _echo(f"  {self.style(article, fg='cyan')}")
        if resolves:
            return self.ask(t("ui.fixed", self.lang), default, (), "boolean",
                            lambda v: coerce(v, "boolean"))
        click.prompt(f"  {t('ui.enter', self.lang)}", default="", show_default=False, err=True)
        return NO_ANSWER

    def _suffix(self, default: Any, choices: tuple[Any, ...], kind: str, required: bool,
                note: str) -> str:
        parts = []
        if note:
            parts.append(note)
        if kind == "boolean":
            parts.append(t({True: "ui.yn_yes", False: "ui.yn_no"}.get(default, "ui.yn"),
                           self.lang))
        else:
            if choices:
                parts.append("(" + "/".join(map(str, choices)) + ")")
            if default not in (None, ""):
                parts.append(f"[{default}]")
            elif required:
                parts.append(t("ui.required_mark", self.lang))
        return (" " + " ".join(parts)) if parts else ""

    def ask(self, prompt: str, default: Any, choices: tuple[Any, ...] = (),
            kind: str = "string", check: Callable[[Any], Any] | None = None,
            required: bool = False, note: str = "") -> Any:
        """Ask until the answer is usable: a bad one is refused with the reason and asked
        again; Enter takes the default (for a required question without one, asks again)."""
        from toolkit.run.answers import AnswerError

        text = f"  {prompt}{self._suffix(default, choices, kind, required, note)}"
        while True:
            raw = click.prompt(text, default="", show_default=False, err=True)
            value = default if not str(raw).strip() else raw
            if check is None:
                return value
            try:
                return check(value)
            except AnswerError as exc:
                _echo(self.style("  ✗ " + t("ui.retry", self.lang, reason=exc.text(self.lang)),
                                 fg="red"))
