"""The collector contract: what a collector declares, and what it gets to work with.

A collector module reads top to bottom in one screen: its docstring (what it
returns, for people), its ``OUTPUT`` schema (the same, as data: JSON Schema written
with ``toolkit.schema``; ``supportkit collectors --json`` shows it, tests validate
every result against it, ``playbook lint`` checks the fields playbooks read), a
``COLLECTOR = Collector(...)`` declaration, a ``gather(ctx, params)`` that talks to
the machine through ``ctx``, and a pure ``parse`` from recorded output to the result
dict.

``gather`` runs in a separate worker process under a timeout (see
``toolkit.run.isolation``): it may hang or crash without stopping a run.
It ends in one of four outcomes: it returns a dict (``ok``), raises
``Skipped`` or ``Failed`` with a reason a person can act on, or the runner
records ``timed_out``. Collectors never print, prompt or render.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.sources import Source

from toolkit.schema import DRAFT

OUTCOMES = ("ok", "skipped", "failed", "timed_out")
ALL_PLATFORMS = ("linux", "darwin", "windows")
PARAM_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list}


class Skipped(Exception):
    """The collector cannot run here; the reason says why and what would fix it."""


class Failed(Exception):
    """The collector ran and failed; the reason says what went wrong."""


@dataclass(frozen=True)
class Param:
    """A collector's parameter. ``min``/``max`` bound a number (inclusive): a value out of
    range is refused before the collector runs (``hours=-5`` would otherwise reach
    journalctl as ``--since=--5.0h``)."""

    name: str
    type: str = "str"
    default: Any = None
    help: str = ""
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None

    def coerce(self, value: Any) -> Any:
        """Turn a command-line string or a YAML value into this parameter's type."""
        if value is None:
            return None
        kind = PARAM_TYPES[self.type]
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on", "y"):
                return True
            if text in ("0", "false", "no", "off", "n"):
                return False
            raise ValueError(f"'{self.name}' expects true or false, not {value!r}")
        if self.type == "list":
            if isinstance(value, (list, tuple)):
                return list(value)
            return [part.strip() for part in str(value).split(",") if part.strip()]
        if self.type in ("int", "float") and isinstance(value, bool):
            raise ValueError(f"'{self.name}' expects a number, not {value!r}")
        try:
            out = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{self.name}' expects {self.type}, not {value!r}") from None
        if self.choices and out not in self.choices:
            options = ", ".join(map(str, self.choices))
            raise ValueError(f"'{self.name}' must be one of {options}, not {value!r}")
        if self.type == "float" and not math.isfinite(out):  # nan passes any comparison
            raise ValueError(f"'{self.name}' expects a finite number, not {value!r}")
        if self.min is not None and out < self.min:
            raise ValueError(f"'{self.name}' must be at least {self.min:g}, not {value!r}")
        if self.max is not None and out > self.max:
            raise ValueError(f"'{self.name}' must be at most {self.max:g}, not {value!r}")
        return out


@dataclass(frozen=True)
class Needs:
    commands: tuple[str, ...] = ()
    root: bool = False  # True: runs without root but sees less (or skips)
    notes: str = ""
    # What the collector can be made to do beyond its own purpose: "run-any-command",
    # "read-any-path", "capture-traffic". Such steps run only from trusted playbooks
    # (toolkit.playbook.trust).
    powers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a step would touch, declared before it runs (``run --plan``, as sos declares
    before it collects): commands as argv lists (where the collector tries several in
    turn, each of them, in order), files and paths read, network targets
    (``host:port/proto``, ``host/icmp``), and notes on what is neither."""

    commands: list[list[str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"commands": [list(c) for c in self.commands], "files": list(self.files),
                "network": list(self.network), "notes": list(self.notes)}


@dataclass(frozen=True)
class Collector:
    name: str
    summary: str
    gather: Callable[[Context, dict[str, Any]], dict[str, Any]]
    platforms: tuple[str, ...] = ALL_PLATFORMS
    needs: Needs = Needs()
    params: tuple[Param, ...] = ()
    doc: str = ""
    # JSON Schema of the result (toolkit.schema). None: a plugin that declares none; its
    # results are not validated and lint cannot check the fields playbooks read from it.
    output: dict[str, Any] | None = field(default=None, compare=False)
    # The saved-output formats it reads with source=FILE (toolkit.sources): the framework
    # reads, detects and parses them; gather never sees a source.
    sources: tuple[Source, ...] = ()
    # plan(params) -> Plan: pure, never touches the machine (toolkit.plans); without one,
    # the plan is Needs.commands.
    plan: Callable[[dict[str, Any]], Plan] | None = None

    def __post_init__(self) -> None:
        if self.sources:
            from toolkit.sources import check

            check(self.name, self.sources, self.params)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given``, each coerced; raises ValueError naming the fix."""
        from toolkit.errors import did_you_mean

        out = self.defaults()
        for key, value in given.items():
            spec = self.param(key)
            if spec is None:
                names = [p.name for p in self.params]
                hint = did_you_mean(key, names)
                known = ", ".join(names) or "none"
                raise ValueError(f"{self.name} has no parameter '{key}'{hint}; it takes: {known}")
            out[key] = spec.coerce(value)
        return out

    def collect(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """What the worker runs for a step: a saved output (``source=``) through the
        declared formats, else ``gather``."""
        from toolkit.sources import collect

        return collect(ctx, self.gather, self.sources, params)

    def planned(self, params: Mapping[str, Any]) -> Plan:
        """What a step with these parameters would touch (``toolkit.plans``)."""
        from toolkit.plans import plan_for

        return plan_for(self, params)

    @property
    def target(self) -> str:
        """Where the worker process finds ``gather``: ``module:qualname``."""
        return f"{self.gather.__module__}:{self.gather.__qualname__}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "platforms": list(self.platforms),
            "sources": [s.describe() for s in self.sources],  # what source=FILE reads
            "needs": {"commands": list(self.needs.commands), "root": self.needs.root,
                      "notes": self.needs.notes, "powers": list(self.needs.powers)},
            "params": [{"name": p.name, "type": p.type, "default": p.default, "help": p.help,
                        **({"choices": list(p.choices)} if p.choices else {}),
                        **({"min": p.min} if p.min is not None else {}),
                        **({"max": p.max} if p.max is not None else {})}
                       for p in self.params],
            "doc": self.doc.strip(),
            "output": {"$schema": DRAFT, **self.output} if self.output is not None else None,
        }


@dataclass
class CommandRecord:
    """One command a collector ran, recorded sos-style in the manifest.

    ``truncated``: the command printed more than the context keeps (``Context.max_output``);
    ``stdout_bytes`` is what it printed, ``stdout_kept`` what was kept (its newest part,
    see ``toolkit.capture``); likewise for stderr."""

    argv: list[str]
    returncode: int | None
    duration_s: float
    stdout_file: str | None = None
    truncated: bool = False
    timed_out: bool = False
    error: str = ""
    stdout_bytes: int = 0
    stdout_kept: int = 0
    stderr_bytes: int = 0
    stderr_kept: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"argv": self.argv, "returncode": self.returncode,
                "duration_s": round(self.duration_s, 3), "file": self.stdout_file,
                "truncated": self.truncated, "timed_out": self.timed_out,
                "stdout_bytes": self.stdout_bytes, "stdout_kept": self.stdout_kept,
                "stderr_bytes": self.stderr_bytes, "stderr_kept": self.stderr_kept,
                **({"error": self.error} if self.error else {})}


class CommandResult:
    """What a command left: its record, stdout (read from its capped file when first
    used, never more than the cap) and the kept end of stderr."""

    def __init__(self, record: CommandRecord, stdout: bytes | None = None,
                 stderr: bytes = b"", *, path: Path | None = None, limit: int = 0,
                 spool: bool = False) -> None:
        self.record, self.stderr = record, stderr
        self._stdout, self._path, self._limit, self._spool = stdout, path, limit, spool

    @property
    def stdout(self) -> bytes:
        if self._stdout is None:
            data = b""
            if self._path is not None:
                try:
                    with open(self._path, "rb") as fh:
                        data = fh.read(self._limit or -1)
                except FileNotFoundError:
                    pass
                if self._spool:  # not kept for the bundle: read once, then gone
                    self._path.unlink(missing_ok=True)
            self._stdout = data
        return self._stdout

    @property
    def ok(self) -> bool:
        return self.record.returncode == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


def _file_name(name: str) -> str:
    safe = Path(name).name
    if not safe or safe in ("result.json", ".", ".."):
        raise ValueError(f"not a usable raw file name: {name!r}")
    return safe


SPOOL_PREFIX = "_stdout-"


@dataclass
class Context:
    """What a collector may touch: its own output folder and a command runner."""

    workdir: Path
    deadline: float  # time.monotonic() value at which the runner will stop the step
    commands: list[CommandRecord] = field(default_factory=list)
    max_output: int = 64 * 1024 * 1024  # stdout kept per command (its newest part)
    max_stderr: int = 1024 * 1024

    def remaining(self) -> float:
        return max(0.1, self.deadline - time.monotonic())

    def save(self, name: str, data: bytes | str) -> str:
        """Keep a raw output in the bundle (``steps/NN-<collector>/<name>``)."""
        safe = _file_name(name)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        (self.workdir / safe).write_bytes(payload)
        return safe

    def require(self, command: str, package: str | None = None) -> str:
        """The command's path, or ``Skipped`` with how to install it."""
        path = shutil.which(command)
        if path is None:
            from toolkit import _platform

            hint = _platform.install_hint(package or command)
            raise Skipped(f"{command} not installed: {hint}")
        return path

    def run(self, argv: Sequence[str], *, timeout: float | None = None,
            save_as: str | None = None, env: Mapping[str, str] | None = None) -> CommandResult:
        """Run a command (an argv list, never a shell string) and record it.

        A missing command is recorded with return code 127, not raised; a
        command that overruns its timeout is killed and recorded as timed out.
        ``env`` adds to (does not replace) the environment, e.g. ``{"LC_ALL": "C"}``
        for output that is parsed. stdout streams to a file (``save_as``, kept in the
        bundle, or a private one) holding at most ``max_output`` bytes, its newest
        part: memory stays flat whatever the command prints (``toolkit.capture``).
        """
        from toolkit import capture

        argv = [str(a) for a in argv]
        limit = min(timeout, self.remaining()) if timeout else self.remaining()
        start = time.monotonic()
        record = CommandRecord(argv=argv, returncode=None, duration_s=0.0)
        self.commands.append(record)
        name = _file_name(save_as) if save_as else f"{SPOOL_PREFIX}{len(self.commands)}.out"
        target = self.workdir / name
        try:
            got = capture.run(argv, timeout=limit, target=target, cap=self.max_output,
                              err_cap=self.max_stderr,
                              env={**os.environ, **env} if env else None)
        except FileNotFoundError:
            record.returncode, record.error = 127, "command not found"
            record.duration_s = time.monotonic() - start
            return CommandResult(record, b"", b"")
        except PermissionError as exc:
            record.returncode, record.error = 126, f"not executable: {exc}"
            record.duration_s = time.monotonic() - start
            return CommandResult(record, b"", b"")
        except capture.OutputError as exc:
            record.error = f"not run: {exc}"
            return CommandResult(record, b"", b"")
        record.duration_s = time.monotonic() - start
        record.returncode, record.timed_out = got.returncode, got.timed_out
        # What a hung command printed before it was killed is evidence too: it is kept.
        record.error = f"killed after {limit:.1f}s" if got.timed_out else got.error
        record.truncated = got.truncated
        record.stdout_bytes, record.stdout_kept = got.stdout_bytes, got.stdout_kept
        record.stderr_bytes, record.stderr_kept = got.stderr_bytes, len(got.stderr)
        if save_as:
            record.stdout_file = name
        return CommandResult(record, None, got.stderr, path=target, limit=self.max_output,
                             spool=not save_as)

    def close(self) -> None:
        """Remove the private stdout files no collector read (never in the bundle)."""
        try:
            for path in self.workdir.glob(f"{SPOOL_PREFIX}*"):
                path.unlink(missing_ok=True)
        except OSError:
            pass


def read_source(path: str | Path, limit: int = 256 * 1024 * 1024) -> bytes:
    """Read a saved command output for ``-p source=FILE`` analysis: a regular file,
    at most ``limit`` bytes (the read itself is bounded: a growing file or a device
    may say anything about its size)."""
    import stat

    p = Path(path).expanduser()
    too_big = Failed(f"{p} is larger than {limit // (1024 * 1024)} MB; "
                     "pass a smaller extract of the saved output")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise Failed(f"saved output {p} does not exist — check the path given as source=") from None
    except PermissionError:
        raise Skipped(f"cannot read {p}: permission denied — copy it somewhere readable") from None
    except IsADirectoryError:
        raise Failed(f"{p} is a folder — give the saved output file as source=") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            raise Failed(f"{p} is a folder — give the saved output file as source=")
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "not a regular file")
        raise Failed(f"{p} is {kind}, not a saved output — give a regular file as source=")
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > limit:
            raise too_big
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise Failed(f"cannot read {p}: {exc.strerror or exc} — copy it to a regular "
                         "file and give that as source=") from None
    if len(data) > limit:
        raise too_big
    return data


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
