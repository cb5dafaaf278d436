"""The whole plugin API: one hook. Built-ins register through it like third parties.

A third-party package exposes a module in the entry-point group
``supportkit.collectors``; that module implements::

    from toolkit.plugins import hookimpl

    @hookimpl
    def supportkit_collectors():
        return [COLLECTOR]

``SUPPORTKIT_PLUGINS=mod1,mod2`` loads extra plugin modules by import name
(handy in development and tests); ``SUPPORTKIT_DISABLE_ENTRYPOINTS=1`` turns
off entry-point loading. A plugin that fails to import, raises, or returns
something that is not a collector is reported, never fatal.

Ticket-system connectors use a second hook, ``supportkit_connectors() ->
list[ConnectorSpec]`` (``toolkit.connectors.base``), loaded the same way by
``load_connectors()``: built-ins first, then ``SUPPORTKIT_PLUGINS`` modules,
then the entry-point group ``supportkit.connectors``. A plugin module may
implement either hook or both.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from toolkit.collector import Collector

ENTRYPOINT_GROUP = "supportkit.collectors"
CONNECTOR_ENTRYPOINT_GROUP = "supportkit.connectors"
hookspec = pluggy.HookspecMarker("supportkit")
hookimpl = pluggy.HookimplMarker("supportkit")


class HookSpecs:
    @hookspec
    def supportkit_collectors(self) -> list[Collector | Exception]:  # type: ignore[empty-body]
        """Return the collectors this plugin provides (an exception for one it could not load)."""

    @hookspec
    def supportkit_connectors(self) -> list[Any]:  # type: ignore[empty-body]
        """Return the ticket-system connectors this plugin provides (``ConnectorSpec``s)."""


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


def _add(registry: Registry, source: str, items: Any) -> None:
    if not isinstance(items, (list, tuple)):
        registry.problems.append(f"plugin {source}: supportkit_collectors() returned "
                                 f"{type(items).__name__}, not a list of collectors")
        return
    for item in items:
        if isinstance(item, Exception):  # a plugin may report an item it could not load
            registry.problems.append(f"plugin {source}: could not load "
                                     f"{type(item).__name__}: {item}")
        elif not isinstance(item, Collector):
            registry.problems.append(f"plugin {source}: {item!r} is not a Collector")
        elif item.name in registry.collectors:
            registry.problems.append(f"plugin {source}: collector '{item.name}' is already "
                                     "registered; this one is ignored")
        else:
            registry.collectors[item.name] = item


def _plugin_modules(builtin: str = "collectors",
                    group: str = ENTRYPOINT_GROUP) -> list[tuple[str, Any]]:
    """(source, loader) pairs; loaders are called inside a guard."""
    found: list[tuple[str, Any]] = [("built-in", lambda: importlib.import_module(builtin))]
    extra = os.environ.get("SUPPORTKIT_PLUGINS", "").split(",")
    for name in filter(None, (m.strip() for m in extra)):
        found.append((name, lambda name=name: importlib.import_module(name)))
    if not os.environ.get("SUPPORTKIT_DISABLE_ENTRYPOINTS"):
        for ep in metadata.entry_points(group=group):
            found.append((f"{ep.name} ({ep.value})", ep.load))
    return found


def load(refresh: bool = False) -> Registry:
    global _REGISTRY
    if _REGISTRY is not None and not refresh:
        return _REGISTRY
    registry = Registry()
    pm = pluggy.PluginManager("supportkit")
    pm.add_hookspecs(HookSpecs)
    for source, loader in _plugin_modules():
        try:
            module = loader()
            pm.register(module, name=source)  # checks the hook's signature too
        except Exception as exc:  # a broken plugin is reported, not fatal
            registry.problems.append(f"plugin {source} failed to load: "
                                     f"{type(exc).__name__}: {exc}")
            continue
        if not hasattr(module, "supportkit_collectors") and \
                not hasattr(module, "supportkit_connectors"):
            registry.problems.append(f"plugin {source} has no supportkit_collectors hook")
    # Call each implementation on its own so that one raising plugin spoils only itself;
    # pluggy calls last-registered first, so reverse to keep built-ins winning name clashes.
    for impl in reversed(pm.hook.supportkit_collectors.get_hookimpls()):
        try:
            items = impl.function()
        except Exception as exc:
            registry.problems.append(f"plugin {impl.plugin_name} raised in "
                                     f"supportkit_collectors: {type(exc).__name__}: {exc}")
            continue
        _add(registry, impl.plugin_name, items)
    _REGISTRY = registry
    return registry


@dataclass
class ConnectorRegistry:
    connectors: dict[str, Any] = field(default_factory=dict)  # type name → ConnectorSpec
    problems: list[str] = field(default_factory=list)


_CONNECTORS: ConnectorRegistry | None = None


def load_connectors(refresh: bool = False) -> ConnectorRegistry:
    """The connector types: built-ins (``toolkit.connectors.builtin``) and plugins.

    Loaded like collectors, and as forgiving: a broken plugin is a problem, never fatal.
    """
    global _CONNECTORS
    if _CONNECTORS is not None and not refresh:
        return _CONNECTORS
    from toolkit.connectors.base import ConnectorSpec

    registry = ConnectorRegistry()
    pm = pluggy.PluginManager("supportkit")
    pm.add_hookspecs(HookSpecs)
    for source, loader in _plugin_modules("toolkit.connectors.builtin",
                                          CONNECTOR_ENTRYPOINT_GROUP):
        try:
            pm.register(loader(), name=source)
        except Exception as exc:  # a broken plugin is reported, not fatal
            registry.problems.append(f"plugin {source} failed to load: "
                                     f"{type(exc).__name__}: {exc}")
    for impl in reversed(pm.hook.supportkit_connectors.get_hookimpls()):
        try:
            items = impl.function()
        except Exception as exc:
            registry.problems.append(f"plugin {impl.plugin_name} raised in "
                                     f"supportkit_connectors: {type(exc).__name__}: {exc}")
            continue
        for item in items if isinstance(items, (list, tuple)) else [items]:
            if not isinstance(item, ConnectorSpec):
                registry.problems.append(f"plugin {impl.plugin_name}: {item!r} is not a "
                                         "ConnectorSpec")
            elif item.name in registry.connectors:
                registry.problems.append(f"plugin {impl.plugin_name}: connector "
                                         f"'{item.name}' is already registered; this one "
                                         "is ignored")
            else:
                registry.connectors[item.name] = item
    _CONNECTORS = registry
    return registry
