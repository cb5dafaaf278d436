"""The ``supportkit`` command line.

Commands are imported only when used, so ``supportkit --help`` stays fast.
Every error reaches the terminal as one line, ``Error: <what> — <what to
do>``, with the exit codes of docs/architecture.md; a traceback only with ``--debug``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from toolkit import __version__, version_line
from toolkit.cli._common import CONTEXT_SETTINGS, term
from toolkit.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, SupportkitError, Terminated

COMMANDS = {
    "run": ("toolkit.cli.run", "run", "Run a playbook and write an evidence bundle."),
    "collect": ("toolkit.cli.collect", "collect", "Run one collector and print its result."),
    "collectors": ("toolkit.cli.collect", "collectors", "List the collectors."),
    "playbook": ("toolkit.cli.playbook", "playbook",
                 "List, show, lint playbooks; print the schema."),
    "bundle": ("toolkit.cli.bundle", "bundle",
               "Verify, show, re-render, sign, seal or upload an evidence bundle."),
    "ticket": ("toolkit.cli.ticket", "ticket",
               "Ticket records: intake, evidence, escalation, solution, closure."),
    "kb": ("toolkit.cli.kb", "kb", "Search and show knowledge-base articles."),
    "logs": ("toolkit.cli.logs", "logs",
             "Recurring patterns of text log files, and each line's pattern."),
    "connectors": ("toolkit.cli.connectors", "connectors",
                   "List tracker connectors (Redmine, Jira, Zendesk) and their configuration."),
    "keys": ("toolkit.cli.keys", "keys", "Signing keys and sealing identities."),
    "serve": ("toolkit.cli.serve", "serve",
              "The inbox: receive bundles through one-time upload links."),
    "remote": ("toolkit.cli.remote", "remote",
               "Run a playbook or collector on other machines over SSH; bring the bundles home."),
    "paths": ("toolkit.cli.paths", "paths",
              "Where the config file, bundles, ticket store and your playbooks are."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above: listing commands imports none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, _, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
# A one-file build names itself (scripts/build-binary); a wheel prints what it always did.
@click.version_option(__version__, "--version", prog_name="supportkit",
                      message=version_line().replace("%", "%%"))
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
def cli(debug: bool) -> None:
    """Guided diagnostic playbooks and verifiable evidence bundles for support teams.

    \b
    Start with:   supportkit run general
    Exit codes:   0 done · 1 error · 2 bad usage or input · 3 a step failed or
                  timed out (bundle written) · 4 bundle tampered or bad signature
                  · 5 bundle not signed · 6 signed by an unknown key (5, 6: where
                  signers are trusted) · 7 remote: cannot connect · 8 remote: cannot
                  run there · 9 remote: connection lost · 130 interrupted · 129 hung
                  up (SIGHUP) · 143 terminated (SIGTERM)
    SUPPORTKIT_HOME moves every default path (bundles, config, user playbooks);
    'supportkit paths' prints them.
    """


def _usage_hint(exc: click.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "supportkit"
    return f"see '{path} --help'"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if getattr(sys, "frozen", False):
        from toolkit.run._spawn import FROZEN_WORKER_FLAG, frozen_worker_setup

        if args[:1] == [FROZEN_WORKER_FLAG]:
            # A one-file build is its own worker (toolkit.run._spawn.worker_command):
            # started again with this hidden first argument, it runs one collector.
            frozen_worker_setup()
            from toolkit.run._worker import main as worker

            return worker()
    from toolkit import _platform
    from toolkit.run.cleanup import signals

    # This process may hold connector tokens and collected data: no core file of it.
    _platform.protect_process()
    with signals():  # SIGTERM and SIGHUP end a run the way Ctrl-C does
        return _main(args)


def _main(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        rv: Any = cli.main(args=args, prog_name="supportkit", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:  # Ctrl-C or EOF at a prompt
        _stop_workers()
        _say("\n" + _localised("Interrupted — nothing was written."))
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        code = exc.exit_code if exc.exit_code != 1 else EXIT_ERROR
        if isinstance(exc, click.UsageError):
            code = EXIT_USAGE
        message = " ".join(exc.format_message().split()).rstrip(".")
        click.echo(term(f"Error: {message} — {_usage_hint(exc)}"), err=True)
        return code
    except SupportkitError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        # Errors quote what they refused (a member name, a ticket field): shown, not obeyed.
        # "Error:" stays as it is in every language (scripts look for it); the message is
        # in the language of the run that failed.
        click.echo(term(f"Error: {_localised(exc.one_line())}"), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        _stop_workers()
        _say("\n" + _localised("Interrupted — nothing was written."))
        return EXIT_INTERRUPTED
    except Terminated as exc:
        _stop_workers()
        _say(f"\nStopped by {exc.name} — nothing was written.")
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(term(f"Error: internal error: {type(exc).__name__}: {exc} — rerun with "
                        "--debug and report it with the traceback"), err=True)
        return EXIT_ERROR


def _localised(text: str) -> str:
    """``text`` in the language the current command chose (``toolkit.i18n.current``)."""
    i18n = sys.modules.get("toolkit.i18n")  # loaded only by commands that speak Chinese
    return i18n.translate(text, i18n.current) if i18n is not None else text


def _say(message: str) -> None:
    """A last word on stderr, which may be gone (SIGHUP: the terminal hung up)."""
    try:
        click.echo(message, err=True)
    except (OSError, ValueError):
        pass


def _stop_workers() -> None:
    mod = sys.modules.get("toolkit.run.isolation")
    if mod is not None:  # a run stops its own (isolation.scope); this is the last resort
        mod.kill_all()
        mod.reset()
