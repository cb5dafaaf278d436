"""The whole plugin API: two hooks, and the markers to implement them.

A plugin module implements either hook or both::

    from toolkit.plugins import hookimpl

    @hookimpl
    def supportkit_collectors():
        return [COLLECTOR]            # toolkit.collector.Collector objects

    @hookimpl
    def supportkit_connectors():
        return [SPEC]                 # toolkit.connectors.base.ConnectorSpec objects

and is published in the entry-point group ``supportkit.collectors`` or
``supportkit.connectors``. Built-ins register through the same hooks. The loader is
``toolkit.plugins``; this module sits at the bottom of the stages so that the
built-in collectors can use the markers too.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "supportkit"
COLLECTORS_GROUP = "supportkit.collectors"
CONNECTORS_GROUP = "supportkit.connectors"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class HookSpecs:
    @hookspec
    def supportkit_collectors(self) -> list[Any]:  # type: ignore[empty-body]
        """Return the collectors this plugin provides (an exception for one it could not load)."""

    @hookspec
    def supportkit_connectors(self) -> list[Any]:  # type: ignore[empty-body]
        """Return the ticket-system connectors this plugin provides (``ConnectorSpec``s)."""
