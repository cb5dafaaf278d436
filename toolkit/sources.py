"""Saved outputs (``-p source=FILE``): declared by a collector, handled by the framework.

L2 often has a pasted ``smartctl -j`` or ``tracert`` output rather than a live machine.
A collector declares the saved formats it reads as data::

    sources=(Source("df", from_df, "saved df / df -h output"),)

and the worker, before it would call ``gather``, sees ``source`` set and does the rest
(``collect``): reads the file with ``read_source`` (a regular file, within a bound),
keeps a copy as a raw file of the step, picks the format (the first whose ``detect``
says yes to the file's first bytes; a format without ``detect`` takes whatever is left,
so it comes last), and returns what its pure parser makes of it — ``gather`` never runs.
A file no format recognises, or one its parser refuses (``ValueError``), fails the step
with the formats accepted.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.collector import Context, Failed, Param, read_source

HEAD = 64 * 1024  # what ``detect`` sees: enough for a Windows route print's interface list


@dataclass(frozen=True)
class SavedOutput:
    """What a parser is given: the file as read, the step's parameters (``source`` among
    them) and the time it was read (relative windows such as ``since=2h`` need one)."""

    path: str  # as the user gave it: results report it as their "source"
    data: bytes
    params: Mapping[str, Any]
    now: float

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Parsed:
    """A parser's result with raw files to keep beside it (a bounded slice of a log, say)."""

    result: dict[str, Any]
    files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """One saved-output format a collector reads.

    ``parse`` and ``detect`` are module-level functions (the worker imports them by
    name, as it does ``gather``); ``parse`` is pure and raises ``ValueError`` for a file
    that is not in its format. ``keep``: a copy of the file goes into the step's folder,
    as ``save_as`` (default ``source`` + the file's suffix) — off where the parser keeps
    its own bounded part instead."""

    format: str
    parse: Callable[[SavedOutput], dict[str, Any] | Parsed]
    help: str = ""
    detect: Callable[[bytes], bool] | None = None
    save_as: str | None = None
    keep: bool = True

    def __post_init__(self) -> None:
        for func in (self.parse, self.detect):
            if func is not None and "<" in getattr(func, "__qualname__", "<"):
                raise TypeError(f"source format {self.format!r}: {func!r} is not a "
                                "module-level function, and the worker imports it by name")

    def describe(self) -> dict[str, Any]:
        return {"format": self.format, "help": self.help, "detected": self.detect is not None}


def check(collector_name: str, sources: tuple[Source, ...], params: tuple[Param, ...]) -> None:
    """Refuse a declaration the framework could not honour (raised at import: a plugin
    with it is reported, not loaded)."""
    if not sources:
        return
    if not any(p.name == "source" for p in params):
        raise ValueError(f"{collector_name} declares saved formats but no 'source' parameter: "
                         "add Param('source', 'str', None, 'analyse a saved … output')")
    for s in sources[:-1]:
        if s.detect is None:
            raise ValueError(f"{collector_name}: source format {s.format!r} has no detect() "
                             "and would hide the formats after it — put it last")


# --- the worker's side --------------------------------------------------------------------

def _target(func: Callable[..., Any] | None) -> str | None:
    return f"{func.__module__}:{func.__qualname__}" if func is not None else None


def load(target: str) -> Any:
    """A function named ``module:qualname`` (how the worker finds gather and parsers)."""
    module_name, _, qualname = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def to_request(sources: tuple[Source, ...]) -> list[dict[str, Any]]:
    return [{"format": s.format, "help": s.help, "parse": _target(s.parse),
             "detect": _target(s.detect), "save_as": s.save_as, "keep": s.keep}
            for s in sources]


def from_request(items: list[dict[str, Any]]) -> tuple[Source, ...]:
    return tuple(Source(i["format"], load(i["parse"]), i.get("help", ""),
                        load(i["detect"]) if i.get("detect") else None,
                        i.get("save_as"), bool(i.get("keep", True))) for i in items)


def modules(sources: tuple[Source, ...]) -> list[str]:
    """The modules the worker imports for these formats."""
    return sorted({f.__module__ for s in sources for f in (s.parse, s.detect) if f is not None})


def _copy_name(source: Source, path: str) -> str:
    if source.save_as:
        return source.save_as
    suffix = Path(path).suffix
    return "source" + (suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ".txt")


def choose(sources: tuple[Source, ...], head: bytes) -> Source | None:
    for s in sources:
        if s.detect is None or s.detect(head):
            return s
    return None


def formats(sources: tuple[Source, ...]) -> str:
    return "; ".join(f"{s.format} ({s.help})" if s.help else s.format for s in sources)


def analyse(ctx: Context, sources: tuple[Source, ...], params: Mapping[str, Any]
            ) -> dict[str, Any]:
    """The step's result from the saved output ``params["source"]``."""
    path = str(params["source"])
    data = read_source(path)
    chosen = choose(sources, data[:HEAD])
    if chosen is None:
        raise Failed(f"{path}: not a saved output this collector reads — give one of: "
                     f"{formats(sources)}")
    if chosen.keep:
        ctx.save(_copy_name(chosen, path), data)  # the bundle shows what was analysed
    try:
        got = chosen.parse(SavedOutput(path, data, params, time.time()))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Failed(f"{path}: {exc} (read as {chosen.format}"
                     + (f": {chosen.help})" if chosen.help else ")")) from None
    if isinstance(got, Parsed):
        got = keep(ctx, got)
    return got if "source" in got else {"source": path, **got}


def keep(ctx: Context, parsed: Parsed) -> dict[str, Any]:
    """Save a parser's raw files in the step's folder; its result."""
    for name, payload in parsed.files.items():
        ctx.save(name, payload)
    return parsed.result


def collect(ctx: Context, gather: Callable[[Context, dict[str, Any]], dict[str, Any]],
            sources: tuple[Source, ...], params: dict[str, Any]) -> dict[str, Any]:
    """What a step does: a saved output through its declared format, else ``gather``."""
    if sources and params.get("source"):
        return analyse(ctx, sources, params)
    return gather(ctx, params)
