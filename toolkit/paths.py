"""Where supportkit keeps things. ``SUPPORTKIT_HOME`` moves every default path."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("SUPPORTKIT_HOME")
    if env:
        return Path(env).expanduser()
    from toolkit import _platform

    return _platform.user_data_dir() / "supportkit"


def bundles_dir() -> Path:
    return home() / "bundles"


def config_file() -> Path:
    return home() / "config.yaml"


def shipped_playbooks_dir() -> Path:
    """Playbooks ship inside the wheel as ``toolkit/playbooks``; in a source
    checkout (editable install, tests) they live in the top-level ``playbooks/``."""
    here = Path(__file__).resolve().parent
    installed = here / "playbooks"
    if installed.is_dir():
        return installed
    return here.parent / "playbooks"
