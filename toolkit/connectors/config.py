"""The ``connectors:`` section of ``$SUPPORTKIT_HOME/config.yaml`` and the secrets.

::

    connectors:
      redmine:                          # the name given to --to
        type: redmine                   # default: the name, when it is a connector type
        url: https://redmine.example.com
        project: it-support             # identifier or id
        tracker: Support
        priority_map: {urgent: Immediate, high: High, medium: Normal, low: Low}
        status_map: {escalated: In Progress, resolved: Resolved}   # ours → theirs
        status_from: {Rejected: closed}                           # theirs → ours
        custom_fields: {"1": "{id}"}     # their field id (or name) → a template
        token_env: REDMINE_API_KEY      # default SUPPORTKIT_REDMINE_TOKEN

Maps given here are laid over the connector's defaults, key by key.
Templates take ``{id}``, ``{category}``, ``{subcategory}``, ``{priority}``,
``{status}``, ``{level}``, ``{reporter}``, ``{channel}``, ``{assignee}``.

Secrets never live in this file (it is copied, mailed, committed): a key
that looks like one (``api_key``, ``token``, ``password``, …) is refused.
The secret comes from the environment variable ``token_env`` names
(default ``SUPPORTKIT_<NAME>_TOKEN``), else from the OS keyring (``pip
install 'supportkit[keyring]'``; service ``supportkit``, user NAME:
``keyring set supportkit redmine``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from toolkit.connectors.base import (
    ConnectorConfigError,
    ConnectorSpec,
    Secret,
    Settings,
)
from toolkit.errors import did_you_mean
from toolkit.tickets.config import PRIORITIES
from toolkit.tickets.lifecycle import STATUSES

KEYRING_SERVICE = "supportkit"
_SECRETISH = re.compile(r"(^|_)(api_?key|token|password|passwd|secret|credentials?)$", re.I)
_KNOWN = {"type", "url", "project", "tracker", "issue_type", "user", "priority_map",
          "status_map", "status_from", "custom_fields", "timeout", "retries", "token_env",
          "keyring_service"}


def load_section(path: Path | None = None) -> dict[str, Any]:
    """The raw ``connectors:`` mapping ({} when the file or the section is absent)."""
    from toolkit import config

    # The section says where secrets are sent: one others could write would send them
    # anywhere.
    why = config.check_safe(path)
    if why:
        where = config.file(path)
        raise ConnectorConfigError(f"{where} is not safe to use: {why}",
                                   f"chmod go-w '{where.parent}' '{where}' (and chown them "
                                   "to yourself)")
    try:
        file, section = config.section("connectors", path)
    except config.ConfigFileError as exc:
        raise ConnectorConfigError(str(exc), "fix config.yaml") from None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConnectorConfigError(f"{file}: 'connectors' must be a mapping of names",
                                   "see the Connectors section of the README")
    return section


def _map(raw: Any, where: str, keys: tuple[str, ...] = ()) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConnectorConfigError(f"{where} must be a mapping", "write it as {key: value}")
    out = {str(k): str(v) for k, v in raw.items()}
    for k in out:
        if keys and k not in keys:
            raise ConnectorConfigError(f"{where}: '{k}' is not one of ours{did_you_mean(k, keys)}",
                                       f"use: {', '.join(keys)}")
    return out


def settings(name: str, spec: ConnectorSpec, raw: Any) -> Settings:
    """Validate one entry and lay it over the connector type's defaults."""
    where = f"connectors.{name}"
    if not isinstance(raw, dict):
        raise ConnectorConfigError(f"{where} must be a mapping", "see the README › Connectors")
    for key in raw:
        if _SECRETISH.search(str(key)) and key != "token_env":
            raise ConnectorConfigError(
                f"{where}.{key}: secrets do not go in config.yaml",
                f"remove it; export {env_name(name, raw)}=… or store it in the keyring "
                f"(keyring set {KEYRING_SERVICE} {name})")
    url = str(raw.get("url") or "").strip()
    if not url:
        raise ConnectorConfigError(f"{where}.url is missing", "give the tracker's base URL")
    defaults = spec.defaults
    extra = {str(k): v for k, v in raw.items() if k not in _KNOWN}
    try:
        timeout = float(raw.get("timeout", 60))
        retries = int(raw.get("retries", 5))
    except (TypeError, ValueError):
        raise ConnectorConfigError(f"{where}: timeout and retries must be numbers",
                                   "e.g. timeout: 60, retries: 5") from None
    user = str(raw.get("user") or "")
    if spec.needs_user and not user:
        raise ConnectorConfigError(f"{where}.user is missing",
                                   f"{spec.name} tokens belong to a login: give it as user")
    return Settings(
        name=name, type=spec.name, url=url.rstrip("/"),
        project=str(raw.get("project") or defaults.get("project", "")),
        tracker=str(raw.get("tracker") or raw.get("issue_type") or defaults.get("tracker", "")),
        user=user,
        priority_map={**defaults.get("priority_map", {}),
                      **_map(raw.get("priority_map"), f"{where}.priority_map", PRIORITIES)},
        status_map={**defaults.get("status_map", {}),
                    **_map(raw.get("status_map"), f"{where}.status_map", STATUSES)},
        status_from={**defaults.get("status_from", {}),
                     **_status_from(raw.get("status_from"), where)},
        custom_fields=_map(raw.get("custom_fields"), f"{where}.custom_fields"),
        timeout_s=timeout, retries=retries,
        extra={**extra, "token_env": env_name(name, raw),
               "keyring_service": str(raw.get("keyring_service") or KEYRING_SERVICE)})


def _status_from(raw: Any, where: str) -> dict[str, str]:
    out = _map(raw, f"{where}.status_from")
    for theirs, ours in out.items():
        if ours not in STATUSES:
            raise ConnectorConfigError(f"{where}.status_from.{theirs}: '{ours}' is not one of "
                                       f"our statuses{did_you_mean(ours, STATUSES)}",
                                       f"use: {', '.join(STATUSES)}")
    return out


def env_name(name: str, raw: Any = None) -> str:
    from toolkit.config import token_env

    return token_env(name, raw)


def configured(path: Path | None = None) -> dict[str, Settings]:
    """Every configured connector, validated (name → Settings)."""
    from toolkit.connectors.registry import load_connectors

    specs = load_connectors().connectors
    out = {}
    for name, raw in load_section(path).items():
        name = str(name)
        kind = str(raw.get("type") or name) if isinstance(raw, dict) else name
        if kind not in specs:
            raise ConnectorConfigError(
                f"connectors.{name}: unknown connector type '{kind}'"
                f"{did_you_mean(kind, set(specs))}",
                f"set type: to one of {', '.join(sorted(specs))} ('supportkit connectors')")
        out[name] = settings(name, specs[kind], raw)
    return out


def get(name: str, path: Path | None = None) -> Settings:
    found = configured(path)
    if name not in found:
        hint = did_you_mean(name, set(found))
        from toolkit import config

        where = config.file(path)
        raise ConnectorConfigError(
            f"no connector '{name}' in {where}{hint}",
            "add it under 'connectors:' (README › Connectors); "
            + (f"configured: {', '.join(sorted(found))}" if found else "none is configured"))
    return found[name]


def display_url(url: str) -> str:
    """``url`` fit to print: a password in it becomes ``***`` (``https://user:***@host``).
    The client refuses such a URL; until then it must not end up on a screen or in a log."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable url)"
    if parts.password is None and "@" not in parts.netloc:
        return url
    login, _, host = parts.netloc.rpartition("@")
    user, colon, _ = login.partition(":")
    # A login without a password may itself be a token (https://TOKEN@host): hidden too.
    shown = f"{user}:***@{host}" if user and colon else f"***@{host}"
    return urlunsplit(parts._replace(netloc=shown))


def secret_source(s: Settings) -> str | None:
    """Where the secret would come from, without reading it: 'env VAR', 'keyring', None."""
    var = str(s.extra["token_env"])
    if os.environ.get(var):
        return f"env {var}"
    try:
        value = _keyring_get(s)
    except Exception:  # a keyring back-end that fails is the same as no keyring here
        return None
    return "keyring" if value else None


def _keyring_get(s: Settings) -> str | None:
    import importlib

    try:  # optional: pip install 'supportkit[keyring]'
        keyring = importlib.import_module("keyring")
    except ImportError:
        return None
    value = keyring.get_password(str(s.extra["keyring_service"]), s.name)
    return str(value) if value else None


def secret(s: Settings, spec: ConnectorSpec) -> Secret:
    var = str(s.extra["token_env"])
    value = os.environ.get(var, "").strip()
    if value:
        return Secret(value, f"env {var}")
    try:
        stored = _keyring_get(s)
    except Exception as exc:  # the keyring exists but its back-end failed (locked, no D-Bus)
        raise ConnectorConfigError(
            f"no {spec.secret_label} for connector '{s.name}': ${var} is not set and the OS "
            f"keyring failed ({type(exc).__name__})",
            f"export {var}=… or unlock the keyring") from None
    if stored:
        return Secret(stored.strip(), "keyring")
    raise ConnectorConfigError(
        f"no {spec.secret_label} for connector '{s.name}'",
        f"export {var}=… or store it in the OS keyring: keyring set "
        f"{s.extra['keyring_service']} {s.name} (pip install 'supportkit[keyring]')")
