"""Which playbooks may run, and which may use the collectors that can do anything.

supportkit runs as root on machines it does not own, so a playbook is code it is
about to obey. Three levels (docs/security.md › Trust):

* **Shipped** playbooks (inside the installed package) are trusted.
* **Any other playbook** (``$SUPPORTKIT_HOME/playbooks/<id>.yaml``, or a path) runs
  only if it and its folder belong to root or the invoking user and nobody else can
  write them; otherwise it is refused with the file and the fix. A world-writable
  folder, another user's file: refused, whoever runs it.
* **Powers.** Collectors that can run any command or read any path declare it
  (``Needs.powers``), and so does a playbook that hands a collector a saved file
  (``source=``/``file=``). Those steps run only from a shipped playbook, one the
  local configuration trusts (``trust: playbooks:`` in ``config.yaml``, by id or
  path — honoured only when config.yaml itself passes the ownership check), or with
  ``run --trust``. Otherwise the step is skipped with the reason; what the person
  at the keyboard types (``-p``, ``supportkit collect``) is theirs and not gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput

POWERS = {
    "run-any-command": "run any command",
    "read-any-path": "read any file",
    "capture-traffic": "capture network traffic",
}
# A playbook that passes a collector a saved output makes it read that file.
PATH_PARAMS = ("source", "file")


@dataclass(frozen=True)
class Trust:
    trusted: bool  # may use powers
    why: str  # "shipped", "config.yaml trust.playbooks", "--trust", or why not


def is_shipped(path: Path) -> bool:
    from toolkit.paths import shipped_playbooks_dir

    try:
        return path.resolve().parent == shipped_playbooks_dir().resolve()
    except OSError:
        return False


def unsafe(path: Path) -> str | None:
    """Why ``path`` could have been written by someone else, or None."""
    from toolkit import _platform

    return _platform.unsafe_owner(path)


def check_playbook(path: Path) -> None:
    """Refuse (exit 2) a playbook that is not shipped and that others could write."""
    if is_shipped(path):
        return
    why = unsafe(path)
    if why:
        raise BadInput(f"playbook {path} is not safe to run: {why}",
                       "keep your playbooks in a folder only you (or root) can write: "
                       f"chmod go-w '{path.parent}' '{path}' (and chown them to yourself)")


def _configured() -> list[str]:
    """``trust: playbooks:`` of config.yaml, when config.yaml itself is safe."""
    from toolkit import config

    why = config.check_safe()
    file = config.file()
    if why:
        raise BadInput(f"{file} is not safe to use: {why}",
                       f"chmod go-w '{file.parent}' '{file}' (and chown them to yourself)")
    try:
        file, section = config.section("trust")
    except config.ConfigFileError as exc:
        raise BadInput(str(exc), "fix config.yaml") from None
    if section is None:
        return []
    listed = section.get("playbooks") if isinstance(section, dict) else None
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        raise BadInput(f"{file}: trust.playbooks must be a list of playbook ids or paths",
                       "write it as trust: {playbooks: [my-playbook, /etc/supportkit/x.yaml]}")
    return listed


def playbook_trust(playbook_id: str, path: Path, flag: bool) -> Trust:
    """May this playbook use collectors with powers?"""
    if is_shipped(path):
        return Trust(True, "shipped")
    if flag:
        return Trust(True, "--trust")
    resolved = path.resolve()
    for entry in _configured():
        if entry == playbook_id or Path(entry).expanduser().resolve() == resolved:
            return Trust(True, "config.yaml trust.playbooks")
    return Trust(False, f"playbook {playbook_id} is not shipped, not listed under "
                        "trust.playbooks in config.yaml, and --trust was not given")


def powers_of(collector: Any, playbook_params: dict[str, Any]) -> list[str]:
    """The powers a step would use: the collector's own, and reading a saved file."""
    powers = list(getattr(collector.needs, "powers", ()))
    if any(playbook_params.get(name) for name in PATH_PARAMS) and "read-any-path" not in powers:
        powers.append("read-any-path")
    return powers


def refusal(collector_name: str, powers: list[str], trust: Trust) -> str:
    what = " and ".join(POWERS.get(p, p) for p in powers)
    return (f"{collector_name} can {what}, and {trust.why} — trust it with "
            "'supportkit run --trust' or under trust.playbooks in config.yaml")
