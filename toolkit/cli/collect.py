"""``supportkit collectors`` and ``supportkit collect NAME``."""

from __future__ import annotations

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    dumps,
    echo_plan,
    emit_json,
    json_option,
    parse_pairs,
    say,
)
from toolkit.errors import EXIT_OK, EXIT_STEP_FAILED, BadInput


@click.command(context_settings=CONTEXT_SETTINGS)
@json_option
def collectors(as_json: bool) -> None:
    """List the collectors: built-in and from plugins.

    Broken plugins are reported on stderr; they never stop the command.
    """
    from toolkit.plugins import load

    registry = load()
    items = [registry.collectors[n].describe() for n in registry.names()]
    if as_json:
        emit_json({"collectors": items, "problems": registry.problems})
    else:
        width = max((len(c["name"]) for c in items), default=10)
        for c in items:
            click.echo(f"{c['name']:<{width}}  {c['summary']}")
    for problem in registry.problems:
        click.echo(f"Warning: {problem}", err=True)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Collector parameter (repeatable), e.g. -p source=smartctl.json")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds before the collector is stopped.")
@click.option("--plan", is_flag=True, help="Print the commands, files and network targets "
              "it would touch; run nothing.")
@json_option
def collect(name: str, params: tuple[str, ...], timeout: float, plan: bool,
            as_json: bool) -> int:
    """Run one collector NAME and print its result.

    \b
    Exit 0 when it ends ok or skipped (the reason says why), 3 when it failed
    or timed out, 2 for an unknown collector or a bad parameter.
    """
    from toolkit.plugins import load
    from toolkit.redact import site_redactor
    from toolkit.run import cleanup
    from toolkit.run.isolation import execute, scope

    redactor = site_redactor()  # a bad config.yaml is refused before anything runs
    registry = load()
    collector = registry.get(name)
    try:
        resolved = collector.resolve_params(dict(parse_pairs(params)))
    except ValueError as exc:
        raise BadInput(str(exc), f"see 'supportkit collectors --json' for {name}'s parameters") \
            from None
    if plan:
        planned = collector.planned(resolved).as_dict()
        if as_json:
            emit_json({"collector": name, "params": resolved, "plan": planned})
        else:
            say(f"{name} would — nothing is run:")
            echo_plan(planned, 2)
        return EXIT_OK
    from toolkit.run.runner import platform_skip

    cleanup.remove_stale()
    workdir = cleanup.private_dir("collect")  # 0700: raw, unredacted data stays private
    try:
        why_not = platform_skip(collector, resolved)
        if why_not:
            outcome, reason, result, duration = "skipped", why_not, {}, 0.0
        else:
            with scope():  # however it ends, nothing the collector started outlives it
                got = execute(collector, resolved, workdir / "step", timeout)
            outcome, reason, result, duration = (got.outcome, got.reason, got.result,
                                                 got.duration_s)
    finally:
        cleanup.remove_dir(workdir)
    result = redactor.data(result)
    if as_json:
        emit_json({"collector": name, "outcome": outcome, "reason": reason,
                   "duration_s": round(duration, 3), "result": result})
    else:  # results quote the machine's logs (user names from failed logins…): escaped
        say(f"{name}: {outcome} in {duration:.1f}s" + (f" — {reason}" if reason else ""),
            err=True)
        if result:
            click.echo(dumps(result))
    return EXIT_STEP_FAILED if outcome in ("failed", "timed_out") else EXIT_OK
