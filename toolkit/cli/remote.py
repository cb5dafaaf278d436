"""``supportkit remote [USER@]HOST… run PLAYBOOK … | collect NAME …`` — over SSH."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say, term
from toolkit.errors import BadInput

VERBS = ("run", "collect")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _split(words: tuple[str, ...]) -> tuple[list[str], str, list[str]]:
    at = next((i for i, w in enumerate(words) if w in VERBS), None)
    if at is None:
        raise BadInput("say what to do there: run PLAYBOOK … or collect NAME …",
                       "e.g. supportkit remote alice@pc-0042 run general")
    hosts, tail = list(words[:at]), list(words[at + 1:])
    if not hosts:
        raise BadInput(f"no host before '{words[at]}'", "give [USER@]HOST… first")
    for h in hosts:
        if h.startswith("-"):
            raise BadInput(f"no such option: {h}", "see 'supportkit remote --help'")
    return hosts, words[at], tail


def _job_args(verb: str, tail: list[str], answers: Path | None, ticket: str | None,
              interactive: bool) -> tuple[list[str], list[tuple[str, Path]]]:
    """The remote command after the verb, and the local files it needs beside it
    (named relative to the private folder, where it runs)."""
    files: list[tuple[str, Path]] = []
    args = list(tail)
    if verb == "collect":
        if not args or args[0].startswith("-"):
            raise BadInput("collect needs a collector NAME", "see 'supportkit collectors'")
        if ticket or answers:
            raise BadInput("--ticket and --answers go with run, not collect",
                           "use: remote HOST run PLAYBOOK --ticket ID")
        return [*args, "--json"], files
    if args and not args[0].startswith("-"):
        local = Path(args[0])
        if local.suffix in (".yaml", ".yml") and local.is_file():
            name = "playbook-" + _SAFE_NAME.sub("_", local.name)
            files.append((name, local))
            args[0] = f"./{name}"
    if answers is not None:
        if not answers.is_file():
            raise BadInput(f"cannot read answers file {answers}", "check the path")
        files.append(("answers.yaml", answers))
        args += ["--answers", "./answers.yaml"]
    if ticket:
        args += ["--ticket", ticket]
    if not interactive:
        args.append("--non-interactive")
    return args, files


@click.command(context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@click.argument("words", nargs=-1, type=click.UNPROCESSED,
                metavar="[USER@]HOST… run PLAYBOOK [RUN OPTIONS] | collect NAME [-p K=V]")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Hosts at once (then unattended: --non-interactive).")
@click.option("--sudo", is_flag=True, help="Run as root there (sudo; asks for a password "
              "only in an interactive run).")
@click.option("--ticket", metavar="ID", help="Name the bundles after this ticket and attach "
              "them to it in the local store.")
@click.option("--answers", type=click.Path(path_type=Path), metavar="FILE",
              help="Answers file, copied to the remote for the run.")
@click.option("--non-interactive", is_flag=True, help="Nobody answers prompts: the answers "
              "file or defaults (also when stdin is no terminal).")
@click.option("--keep", is_flag=True, help="Leave the bundle on the remote too (the rest "
              "is always removed).")
@click.option("--binary", type=click.Path(path_type=Path), metavar="FILE",
              help="The one-file build to copy (default: SUPPORTKIT_BINARY, or this "
                   "program when it is one).")
@click.option("--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Local folder for the fetched bundles (default: $SUPPORTKIT_HOME/bundles).")
@click.option("--remote-dir", metavar="DIR", default="",
              help="Folder on the remote for the private working folder (default: its "
                   "$TMPDIR or /tmp).")
@click.option("--ssh-config", type=click.Path(path_type=Path), metavar="FILE",
              help="ssh -F FILE instead of ~/.ssh/config.")
@click.option("--ssh-option", "ssh_options", multiple=True, metavar="OPT=VALUE",
              help="ssh -o OPT=VALUE, repeatable (never needed for what your config has).")
@json_option
def remote(words: tuple[str, ...], jobs: int, sudo: bool, ticket: str | None,
           answers: Path | None, non_interactive: bool, keep: bool, binary: Path | None,
           out: Path | None, remote_dir: str, ssh_config: Path | None,
           ssh_options: tuple[str, ...], as_json: bool) -> int:
    """Run a playbook (or one collector) on other machines over SSH and bring the
    evidence home.

    Uses your ssh (config, ProxyJump, agent, known_hosts). Copies the one-file build
    (scripts/build-binary) to a private folder there, unless the same version of
    supportkit is installed; runs it (through a terminal, so its prompts are yours);
    fetches the bundle into the local bundles folder, verifies it, attaches it with
    --ticket; removes what it put there.

    \b
    supportkit remote alice@pc-0042 run general --ticket SUP-000042
    supportkit remote web1 web2 web3 --jobs 3 run performance --non-interactive
    supportkit remote db1 collect disk.health

    \b
    Exit 0 done, 3 a step failed, 4 a bundle failed verification, 5 cannot connect
    (unreachable, authentication refused, host key unknown or changed), 6 cannot run
    there (no space, older or other OS, noexec, sudo), 7 the connection was lost
    during the run; with several hosts, the highest of them.
    """
    from toolkit import paths
    from toolkit.remote import Job, SshSetup, build, run_hosts, stop_all

    hosts, verb, tail = _split(words)
    if "--out" in tail:
        raise BadInput("--out names the local folder here", "put it before the host")
    interactive = verb == "run" and not non_interactive and sys.stdin.isatty()
    if interactive and jobs > 1 and len(hosts) > 1:
        raise BadInput("several hosts at once cannot all ask you questions",
                       "add --non-interactive (and --answers FILE), or drop --jobs")
    if ticket:
        from toolkit.tickets import ticket_header

        header = ticket_header(ticket)
        ticket = header["id"] if header else ticket  # "3" → the store's own SUP-000003
    args, files = _job_args(verb, tail, answers, ticket, interactive)
    job = Job(verb, tuple(args), tuple(files), interactive, sudo, keep, ticket,
              out or paths.bundles_dir(), build.find(binary), remote_dir)
    setup = SshSetup(ssh_config, ssh_options,
                     batch=not sys.stdin.isatty() or (jobs > 1 and len(hosts) > 1))
    try:
        results = run_hosts(hosts, job, setup, jobs)
    except BaseException:
        stop_all()
        raise
    code = max(r.exit_code for r in results)
    if as_json:
        emit_json({"hosts": [r.as_dict() for r in results], "exit_code": code})
    else:
        _table(results, verb)
    return code


def _table(results: list[Any], verb: str) -> None:
    for r in results:
        if r.error:
            click.echo(term(f"Error: {r.error}"), err=True)
        for item in r.lost:
            click.echo(term(f"  lost: {item}"), err=True)
    width = max(len(r.host) for r in results)
    for r in results:
        if r.error:
            what = f"{r.kind} (the error is above)"
        elif verb == "collect":
            what = (r.result or {}).get("reason") or "result above" if r.result else "-"
        else:
            notes = ["verified" if r.verified else "NOT verified"]
            notes += [n for n in (r.attached, f"kept there: {r.kept}" if r.kept else None) if n]
            what = f"{r.bundle}  ({'; '.join(notes)})"
        say(f"{r.host:<{width}}  {r.outcome or '-':<10}  {r.supportkit or '-':<9}  {what}")
    if verb == "collect":
        from toolkit.cli._common import dumps

        for r in results:
            if r.result is not None:
                say(f"# {r.host}")
                click.echo(dumps(r.result))
