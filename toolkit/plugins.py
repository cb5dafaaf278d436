"""Loading plugins: built-ins first, then ``SUPPORTKIT_PLUGINS``, then entry points.

The hooks and markers are in ``toolkit.hookspecs`` (re-exported here: plugins write
``from toolkit.plugins import hookimpl``). ``SUPPORTKIT_PLUGINS=mod1,mod2`` loads
extra plugin modules by import name (development, tests);
``SUPPORTKIT_DISABLE_ENTRYPOINTS=1`` turns entry points off. A plugin that fails to
import, raises, or returns something that is not what its hook promises is
reported, never fatal. ``load_hook`` is the one loader; ``load()`` gives the
collector registry, ``toolkit.connectors.registry`` the connector types.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from toolkit.collector import Collector
from toolkit.hookspecs import (
    COLLECTORS_GROUP,
    CONNECTORS_GROUP,
    PROJECT,
    HookSpecs,
    hookimpl,
    hookspec,
)

__all__ = ["COLLECTORS_GROUP", "CONNECTORS_GROUP", "Registry", "hookimpl", "hookspec",
           "load", "load_hook"]
ENTRYPOINT_GROUP = COLLECTORS_GROUP  # the name it had


def _plugin_modules(builtin: str, group: str) -> list[tuple[str, Any]]:
    """(source, loader) pairs; loaders are called inside a guard."""
    found: list[tuple[str, Any]] = [("built-in", lambda: importlib.import_module(builtin))]
    extra = os.environ.get("SUPPORTKIT_PLUGINS", "").split(",")
    for name in filter(None, (m.strip() for m in extra)):
        found.append((name, lambda name=name: importlib.import_module(name)))
    if not os.environ.get("SUPPORTKIT_DISABLE_ENTRYPOINTS"):
        for ep in metadata.entry_points(group=group):
            found.append((f"{ep.name} ({ep.value})", ep.load))
    return found


def load_hook(hook: str, builtin: str, group: str,
              accept: Callable[[str, Any], str | None]) -> tuple[list[Any], list[str]]:
    """Every item the implementations of ``hook`` return, built-ins first, and the
    problems met. ``accept(source, item)`` says why an item is refused (or None)."""
    items: list[Any] = []
    problems: list[str] = []
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(HookSpecs)
    for source, loader in _plugin_modules(builtin, group):
        try:
            module = loader()
            pm.register(module, name=source)  # checks the hook's signature too
        except Exception as exc:  # a broken plugin is reported, not fatal
            problems.append(f"plugin {source} failed to load: {type(exc).__name__}: {exc}")
            continue
        if source != "built-in" and group == COLLECTORS_GROUP and not any(
                hasattr(module, h) for h in ("supportkit_collectors", "supportkit_connectors")):
            problems.append(f"plugin {source} has no supportkit_collectors hook")
    # Call each implementation on its own so that one raising plugin spoils only itself;
    # pluggy calls last-registered first, so reverse to keep built-ins winning name clashes.
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):
        try:
            got = impl.function()
        except Exception as exc:
            problems.append(f"plugin {impl.plugin_name} raised in {hook}: "
                            f"{type(exc).__name__}: {exc}")
            continue
        if not isinstance(got, (list, tuple)):
            problems.append(f"plugin {impl.plugin_name}: {hook}() returned "
                            f"{type(got).__name__}, not a list")
            continue
        for item in got:
            why = accept(impl.plugin_name, item)
            if why:
                problems.append(f"plugin {impl.plugin_name}: {why}")
            else:
                items.append(item)
    return items, problems


@dataclass
class Registry:
    collectors: dict[str, Collector] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return sorted(self.collectors)

    def get(self, name: str) -> Collector:
        from toolkit.errors import BadInput, closest

        try:
            return self.collectors[name]
        except KeyError:
            close = closest(name, self.names())
            hint = f"did you mean '{close}'? " if close else ""
            raise BadInput(f"unknown collector '{name}'",
                           f"{hint}'supportkit collectors' lists them") from None


_REGISTRY: Registry | None = None


def load(refresh: bool = False) -> Registry:
    """The collectors: built-ins (``collectors``) and plugins."""
    global _REGISTRY
    if _REGISTRY is not None and not refresh:
        return _REGISTRY
    registry = Registry()

    def accept(source: str, item: Any) -> str | None:
        if isinstance(item, Exception):  # a plugin may report an item it could not load
            return f"could not load {type(item).__name__}: {item}"
        if not isinstance(item, Collector):
            return f"{item!r} is not a Collector"
        if item.name in registry.collectors:
            return f"collector '{item.name}' is already registered; this one is ignored"
        registry.collectors[item.name] = item
        return None

    _, registry.problems = load_hook("supportkit_collectors", "collectors", COLLECTORS_GROUP,
                                     accept)
    _REGISTRY = registry
    return registry
