"""Typed records the platform modules return (one definition for every OS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemProxy:
    """The proxy the OS settings name (not the environment's: ``toolkit.proxy`` reads that).

    ``proxies`` maps a scheme (``http``, ``https``, …) to a proxy URL, as
    ``urllib.request.getproxies()`` returns it on that OS; ``bypass`` is the
    exception list as the OS writes it (globs, addresses, ranges);
    ``bypass_simple`` says that names without a dot go direct (Windows
    ``<local>``, macOS "Exclude simple hostnames"); ``pac_url`` is an automatic
    configuration script the settings point to, which nothing here evaluates.
    """

    source: str  # "windows-registry", "macos-system"
    proxies: dict[str, str]
    bypass: tuple[str, ...] = ()
    bypass_simple: bool = False
    pac_url: str | None = None
