"""The connector types: built-ins (``toolkit.connectors.builtin``) and plugins of the
``supportkit_connectors`` hook, loaded by the one plugin loader and as forgiving: a
broken plugin is a problem, never fatal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.connectors.base import ConnectorSpec
from toolkit.plugins import CONNECTORS_GROUP, load_hook


@dataclass
class ConnectorRegistry:
    connectors: dict[str, ConnectorSpec] = field(default_factory=dict)  # type name → spec
    problems: list[str] = field(default_factory=list)


_CONNECTORS: ConnectorRegistry | None = None


def load_connectors(refresh: bool = False) -> ConnectorRegistry:
    global _CONNECTORS
    if _CONNECTORS is not None and not refresh:
        return _CONNECTORS
    registry = ConnectorRegistry()

    def accept(source: str, item: Any) -> str | None:
        if not isinstance(item, ConnectorSpec):
            return f"{item!r} is not a ConnectorSpec"
        if item.name in registry.connectors:
            return f"connector '{item.name}' is already registered; this one is ignored"
        registry.connectors[item.name] = item
        return None

    _, registry.problems = load_hook("supportkit_connectors", "toolkit.connectors.builtin",
                                     CONNECTORS_GROUP, accept)
    _CONNECTORS = registry
    return registry
