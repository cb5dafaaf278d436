"""The small error hierarchy the CLI turns into one-line messages and exit codes.

Exit codes are public interface (docs/architecture.md › Contracts):
0 done; 1 error; 2 bad usage or bad input; 3 run finished but some step
failed or timed out; 4 bundle verify found tampering (or a bad signature); 5 intact
but not signed and 6 signed by a key not trusted here (both only where signatures are
expected: docs/security.md › Signed bundles); 130 interrupted (Ctrl-C,
SIGINT); 129 the terminal hung up (SIGHUP: a dropped SSH session); 143 told
to stop (SIGTERM: ``timeout``, systemd, ``kill``). The signal codes are the
shell's 128 + signal number, so scripts see what they would without us.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_STEP_FAILED = 3
EXIT_TAMPERED = 4
EXIT_UNSIGNED = 5
EXIT_UNKNOWN_SIGNER = 6
EXIT_REMOTE_CONNECT = 7
EXIT_REMOTE_UNSUITABLE = 8
EXIT_REMOTE_LOST = 9
EXIT_HANGUP = 129
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: raised in the main thread like KeyboardInterrupt, so
    every ``finally`` runs (workers stopped, staging removed, no ``.partial`` left).

    A BaseException, not an Exception: no ``except Exception`` may swallow it."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class SupportkitError(Exception):
    """An error a person can act on: ``what`` went wrong and ``fix``, what to do."""

    exit_code = EXIT_ERROR

    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix

    def one_line(self) -> str:
        text = f"{self.what} — {self.fix}" if self.fix else self.what
        return " ".join(text.split())


class BadInput(SupportkitError):
    """Bad usage or bad input: invalid playbook, unknown collector, corrupt bundle."""

    exit_code = EXIT_USAGE


class PlaybookInvalid(BadInput):
    """A playbook failed validation; ``problems`` holds every located message."""

    def __init__(self, problems: list[str]) -> None:
        first = problems[0] if problems else "invalid playbook"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more, "run 'supportkit playbook lint' on it to see them all")
        self.problems = problems


class Tampered(SupportkitError):
    exit_code = EXIT_TAMPERED


class RemoteError(SupportkitError):
    """A remote machine failed us; ``kind`` names how, for ``remote --json``."""

    kind = "remote"

    def __init__(self, what: str, fix: str = "", kind: str | None = None) -> None:
        super().__init__(what, fix)
        if kind:
            self.kind = kind


class RemoteConnectFailed(RemoteError):
    """Could not connect: ``unreachable``, ``auth`` refused, ``host-key`` unknown or
    changed (never accepted silently), or another ``connect`` failure."""

    exit_code = EXIT_REMOTE_CONNECT
    kind = "connect"


class RemoteUnsuitable(RemoteError):
    """Connected, but supportkit cannot run there: ``no-space``, ``os`` (an older C
    library, another system or processor), ``noexec``, ``sudo``."""

    exit_code = EXIT_REMOTE_UNSUITABLE
    kind = "unsuitable"


class RemoteLost(RemoteError):
    """The connection dropped during the run: nothing was fetched."""

    exit_code = EXIT_REMOTE_LOST
    kind = "lost"


def closest(word: str, options: list[str] | tuple[str, ...] | set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.5)
    return found[0] if found else None


def did_you_mean(word: str, options: list[str] | tuple[str, ...] | set[str]) -> str:
    """`` (did you mean 'x'?)`` when a close option exists, else ``""``."""
    found = closest(word, options)
    return f" (did you mean '{found}'?)" if found else ""
