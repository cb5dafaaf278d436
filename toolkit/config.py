"""``$SUPPORTKIT_HOME/config.yaml``, read once the same way for every section.

``section(name)`` is the raw value of one top-level key (``redact``, ``tickets``,
``connectors``, ``trust``) or None; a file that cannot be read or is not YAML raises
``ConfigFileError`` naming ``FILE:LINE:COL``, which each reader turns into its own
error with its own fix. A configuration others could write is refused before any of
it is used (it names trusted playbooks and redaction rules): see ``check_safe``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


class ConfigFileError(ValueError):
    """config.yaml cannot be read; the message says where and why."""


def file(path: Path | None = None) -> Path:
    from toolkit import paths

    return Path(path) if path is not None else paths.config_file()


def section(name: str, path: Path | None = None) -> tuple[Path, Any]:
    """(the file, the raw value of its top-level ``name``: None when absent)."""
    from toolkit import yamlsafe

    where = file(path)
    if not where.is_file():
        return where, None
    try:
        text = where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{where}: cannot read it ({exc})") from None
    loc = yamlsafe.load(text)
    if loc.problems:
        line, col, msg = loc.problems[0]
        raise ConfigFileError(f"{where}:{line}:{col}: {msg}")
    return where, loc.data.get(name) if isinstance(loc.data, dict) else None


def check_safe(path: Path | None = None) -> str | None:
    """Why others could have written config.yaml, or None (also when there is none)."""
    from toolkit import _platform

    where = file(path)
    return _platform.unsafe_owner(where) if where.is_file() else None


def token_env(name: str, raw: Any = None) -> str:
    """The variable connector ``name`` reads its secret from: its ``token_env``, else
    ``SUPPORTKIT_<NAME>_TOKEN``."""
    given = raw.get("token_env") if isinstance(raw, dict) else None
    return str(given) if given else "SUPPORTKIT_" + re.sub(r"\W", "_", name).upper() + "_TOKEN"


def connector_token_names(path: Path | None = None) -> set[str]:
    """Every variable a configured connector reads a secret from (workers never get
    them); empty when there is no usable configuration (the run says so elsewhere)."""
    try:
        _, raw = section("connectors", path)
    except ConfigFileError:
        return set()
    if not isinstance(raw, dict):
        return set()
    return {token_env(str(name), spec) for name, spec in raw.items()}
