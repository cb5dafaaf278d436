"""Built-in collectors: an explicit list, registered through the same hook as plugins."""

from __future__ import annotations

import importlib

from toolkit.collector import Collector
from toolkit.plugins import hookimpl

BUILTIN = (
    "collectors.system_info",
    "collectors.disk_usage",
)


@hookimpl
def supportkit_collectors() -> list[Collector]:
    return [importlib.import_module(name).COLLECTOR for name in BUILTIN]
