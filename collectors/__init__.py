"""Built-in collectors: an explicit list, registered through the same hook as plugins."""

from __future__ import annotations

import importlib

from toolkit.collector import Collector
from toolkit.hookspecs import hookimpl

BUILTIN = (
    "collectors.system_info",
    "collectors.disk_usage",
    "collectors.logs_files",
    "collectors.logs_journal",
    "collectors.logs_eventlog",
    "collectors.logs_macos",
    "collectors.disk_health",
    "collectors.disk_largest",
    "collectors.disk_io",
    "collectors.system_processes",
    "collectors.system_services",
    "collectors.system_updates",
    "collectors.hardware_sensors",
    "collectors.crash_dumps",
    "collectors.account_identity",
    "collectors.account_access",
    "collectors.account_auth",
    "collectors.kb_search",
    "collectors.net_ping",
    "collectors.net_traceroute",
    "collectors.net_interfaces",
    "collectors.net_routes",
    "collectors.net_dns",
    "collectors.net_tcp",
    "collectors.net_http",
    "collectors.net_clock",
    "collectors.net_capture",
)


def _load(name: str) -> Collector | Exception:
    try:
        collector: Collector = importlib.import_module(name).COLLECTOR
    except Exception as exc:  # one broken module must not hide the others
        return exc.__class__(f"{name}: {exc}")
    return collector


@hookimpl
def supportkit_collectors() -> list[Collector | Exception]:
    return [_load(name) for name in BUILTIN]
