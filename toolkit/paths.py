"""Where supportkit keeps things. ``SUPPORTKIT_HOME`` moves every default path."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def home() -> Path:
    env = os.environ.get("SUPPORTKIT_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "supportkit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "supportkit"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "supportkit"


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
