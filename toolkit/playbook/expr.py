"""Sandboxed expressions and templates for playbooks (jinja2 ``SandboxedEnvironment``).

Playbooks are data from other people: expressions can read ``inputs``,
``answers``, ``steps.<id>`` (collector results), ``outcomes.<id>``,
``findings``, ``lang`` (the run's language, ``en`` or ``zh``) and ``platform``
(``linux``, ``darwin`` or ``windows``: texts that differ per OS), use jinja2's
filters and tests and ``tr`` (a collector's English prose in the run's language),
and nothing else — no ``eval``, no attribute
access to Python internals, no I/O.

They are also bounded, since they run in the main process as root: every
evaluation has a deadline (``MAX_SECONDS``), and what would build something huge
is refused before it is built — ``'a' * 10**9``, ``[1] * 10**9``, ``10 ** 10**8``,
``'%0999999999d' % 1``, ``'x' | center(10**9)``, a ``~`` that doubles a string in
a loop. The deadline is checked at every call, attribute, operator and ``range``
item; on POSIX an interval timer also stops loops that call nothing (in the main
thread, where the runner evaluates). A limit hit raises ``ExprLimit``, which the
runner records like any failing expression: the check fails with the reason.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment

_WHOLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)

MAX_SECONDS = 5.0  # one expression or template
MAX_ITEMS = 10_000_000  # elements of a list or tuple built by an operator
MAX_CHARS = 64_000_000  # characters of a string built by an operator, filter or call
MAX_POWER_BITS = 100_000  # size of a number made by **
MAX_RANGE = 100_000  # items of range(), as jinja2's sandbox has it
# A width or precision in a format string ("%0999999999d", "{:>999999999}").
_HUGE_WIDTH = re.compile(r"\d{8,}")


class ExprLimit(Exception):
    """An expression went past a bound (time or size); the message says which."""


_state = threading.local()


def _tick() -> None:
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise ExprLimit(f"the expression ran longer than {MAX_SECONDS:g} s and was stopped")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else 0


def _check_size(value: Any) -> Any:
    n = _size(value)
    limit = MAX_CHARS if isinstance(value, (str, bytes)) else MAX_ITEMS
    if n > limit:
        raise ExprLimit(f"the expression built a value of {n:,} items (limit {limit:,})")
    return value


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a call whose arguments announce something huge (center(10**9))."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_CHARS:
            raise ExprLimit(f"the number {arg:,} is too large for an argument "
                            f"(limit {MAX_CHARS:,})")
        if isinstance(arg, str) and ("{" in arg or "%" in arg) and _HUGE_WIDTH.search(arg):
            raise ExprLimit("a format with a huge width or precision was refused")


def _bounded_range(*args: int) -> Iterator[int]:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise ExprLimit(f"range() of {len(rng):,} items (limit {MAX_RANGE:,})")
    for i in rng:
        _tick()
        yield i


class _Generator(CodeGenerator):
    """``a ~ b`` goes through ``environment.bounded_join``, so a string doubled in a
    loop stops at the limit instead of at the machine's memory."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _Generator
    intercepted_binops = frozenset(("*", "**", "+", "%"))

    def bounded_join(self, parts: tuple[Any, ...]) -> str:
        _tick()
        texts = [str(p) for p in parts]
        if sum(map(len, texts)) > MAX_CHARS:
            raise ExprLimit(f"a ~ joined more than {MAX_CHARS:,} characters")
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            seq, n = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(n, int) and _size(seq) * max(n, 0) > (
                    MAX_CHARS if isinstance(seq, (str, bytes)) else MAX_ITEMS):
                raise ExprLimit(f"repeating {_size(seq):,} items {n:,} times was refused")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(right) > 1:
                bits = abs(right) * max(1, abs(left)).bit_length()
                if bits > MAX_POWER_BITS:
                    raise ExprLimit(f"{left} ** {right} would be a number of about "
                                    f"{bits:,.0f} bits (limit {MAX_POWER_BITS:,})")
        elif operator == "+":
            if _size(left) + _size(right) > MAX_ITEMS + MAX_CHARS:
                raise ExprLimit("adding these would build a value that is too large")
        elif operator == "%" and isinstance(left, str) and _HUGE_WIDTH.search(left):
            raise ExprLimit("a format with a huge width or precision was refused")
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        _check_args(args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Any:
        # str.format / format_map, looked up on their format string: "{:>999999999}".
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format",
                                                                         "format_map"):
            _check_args((owner,), {})
        return super().wrap_str_format(value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)


def _bounded_filter(func: Any) -> Any:
    """A filter, with its arguments checked before and its result after (compiled
    templates call filters directly, not through the sandbox)."""
    import functools

    @functools.wraps(func)  # keeps jinja2's pass_context/pass_environment marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_args(args[1:], kwargs)
        return _check_size(func(*args, **kwargs))

    return bounded


@pass_context
def _tr(context: Any, value: Any) -> str:
    """``{{ reason | tr }}``: a collector's English prose (a SMART reason, an access
    verdict) in the run's language, through the message catalogue."""
    from toolkit.i18n import translate

    return translate(value, context.get("lang") or "en")


@lru_cache(maxsize=1)
def env() -> ImmutableSandboxedEnvironment:
    e = _BoundedEnvironment(undefined=StrictUndefined, autoescape=False)
    e.filters["round1"] = lambda v: round(float(v), 1)
    e.filters["tr"] = _tr
    e.filters = {name: _bounded_filter(f) for name, f in e.filters.items()}
    e.globals["range"] = _bounded_range
    return e


@contextmanager
def _bounded() -> Iterator[None]:
    """The deadline for one evaluation (nested evaluations share the outer one)."""
    if getattr(_state, "deadline", None) is not None:
        yield
        return
    _state.deadline = time.monotonic() + MAX_SECONDS
    alarm = _start_alarm()
    try:
        yield
    finally:
        _state.deadline = None
        if alarm is not None:
            alarm()


def _start_alarm() -> Any:
    """A hard stop for loops that call nothing: SIGALRM, where there is one and this is
    the main thread. Returns the function that restores what was there."""
    import signal

    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise ExprLimit(f"the expression ran longer than {MAX_SECONDS:g} s and was stopped")

    try:
        previous = signal.signal(signal.SIGALRM, stop)
    except ValueError:  # not the main interpreter
        return None
    signal.setitimer(signal.ITIMER_REAL, MAX_SECONDS + 0.5)

    def restore() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    return restore


def syntax_error(source: str, *, template: bool) -> str | None:
    """None if ``source`` parses as an expression (or template), else the message."""
    try:
        if template:
            env().parse(source)
        else:
            env().parse("{{ (" + source + ") }}")
    except TemplateSyntaxError as exc:
        return exc.message or str(exc)
    return None


def step_refs(source: str, *, template: bool) -> set[str]:
    """Names used as ``steps.<id>`` / ``outcomes.<id>`` in ``source`` (for lint)."""
    try:
        tree = env().parse(source if template else "{{ (" + source + ") }}")
    except TemplateSyntaxError:
        return set()
    return {n.attr for n in tree.find_all(nodes.Getattr)
            if isinstance(n.node, nodes.Name) and n.node.name in ("steps", "outcomes")}


def refs(source: str, roots: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(root, name)`` for each ``root.<name>`` an expression reads, in the order they
    appear (to explain a ``when:`` in words)."""
    try:
        tree = env().parse("{{ (" + source + ") }}")
    except TemplateSyntaxError:
        return []
    found = [(n.node.name, n.attr) for n in tree.find_all(nodes.Getattr)
             if isinstance(n.node, nodes.Name) and n.node.name in roots]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return env().compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=512)
def _template(source: str) -> Any:
    return env().from_string(source)


def evaluate(source: str, context: dict[str, Any]) -> Any:
    with _bounded():
        try:
            return _compiled(source)(**context)
        except (MemoryError, RecursionError) as exc:
            raise ExprLimit(f"the expression ran out of {type(exc).__name__[:-5].lower()}") \
                from None


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render a ``with:``/text value: a lone ``{{ expr }}`` keeps its type (a number
    stays a number); other strings are rendered as templates; others pass through."""
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if not isinstance(value, str) or "{" not in value:
        return value
    whole = _WHOLE_EXPR.match(value)
    if whole and "}}" not in whole.group(1) and "{{" not in whole.group(1):
        return evaluate(whole.group(1), context)
    with _bounded():
        try:
            return _check_size(_template(value).render(**context))
        except (MemoryError, RecursionError) as exc:
            raise ExprLimit(f"the template ran out of {type(exc).__name__[:-5].lower()}") \
                from None
