"""``supportkit connectors`` — the connector types and the configured connectors.

Nothing is sent anywhere: it shows where each connector's secret would come
from (an environment variable or the OS keyring), never the secret itself.
"""

from __future__ import annotations

from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say
from toolkit.errors import EXIT_OK, EXIT_USAGE, SupportkitError


@click.command(context_settings=CONTEXT_SETTINGS)
@json_option
def connectors(as_json: bool) -> int:
    """List connector types (built-in and plugins) and the connectors in config.yaml.

    \b
    Configure them under 'connectors:' in $SUPPORTKIT_HOME/config.yaml; secrets
    come from the environment (SUPPORTKIT_<NAME>_TOKEN, or token_env) or the OS
    keyring (keyring set supportkit NAME). Then: supportkit ticket push ID --to NAME.
    """
    from toolkit import paths
    from toolkit.connectors import config
    from toolkit.connectors.registry import load_connectors

    registry = load_connectors()
    problems = list(registry.problems)
    configured: list[dict[str, Any]] = []
    try:
        found = config.configured()
    except SupportkitError as exc:
        problems.append(exc.one_line())
        found = {}
    for name, s in found.items():
        source = config.secret_source(s)
        configured.append({"name": name, "type": s.type, "url": config.display_url(s.url),
                           "project": s.project,
                           "tracker": s.tracker, "user": s.user or None,
                           "secret": source or "missing",
                           "secret_env": s.extra["token_env"]})
    types = [{"name": spec.name, "summary": spec.summary, "secret": spec.secret_label,
              "factory": spec.factory} for spec in registry.connectors.values()]
    code = EXIT_USAGE if len(problems) > len(registry.problems) else EXIT_OK
    if as_json:
        emit_json({"types": types, "configured": configured, "config": str(paths.config_file()),
                   "problems": problems})
        return code
    say("Connector types:")
    for t in types:
        say(f"  {t['name']:<10} {t['summary']}")
    say(f"Configured in {paths.config_file()}:")
    if not configured:
        say("  none — add them under 'connectors:' (README › Connectors)")
    for c in configured:
        where = f"{c['project']} " if c["project"] else ""
        secret = (f"secret from {c['secret']}" if c["secret"] != "missing" else
                  f"secret MISSING: export {c['secret_env']}=… or keyring set supportkit "
                  f"{c['name']}")
        say(f"  {c['name']:<12} {c['type']:<8} {c['url']} {where}· {secret}")
    for p in problems:
        say(f"problem: {p}", err=True)
    return code
