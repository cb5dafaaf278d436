"""report.html: one self-contained page (inline CSS, no scripts, nothing fetched).

Rendered from the manifest, the findings and the collectors' results, so
``supportkit bundle report`` can re-render any bundle. Bundle data is
untrusted: the template autoescapes everything.
"""

from __future__ import annotations

import json
from typing import Any

SEVERITY_COLOURS = {"critical": "#8b0000", "high": "#c62828", "medium": "#ef6c00",
                    "low": "#f9a825", "info": "#1565c0"}


def _bar(percent: Any) -> Any:
    """A usage bar: green, amber from 80 %, red from 90 %."""
    from markupsafe import Markup

    try:
        pct = max(0.0, min(100.0, float(percent)))
    except (TypeError, ValueError):
        return ""
    colour = "#c62828" if pct >= 90 else "#ef6c00" if pct >= 80 else "#2e7d32"
    return Markup(f'<span class="bar"><span style="width:{pct:.1f}%;background:{colour}">'
                  '</span></span>')


def _duration(seconds: Any) -> str:
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} days"


def render(manifest: dict[str, Any], findings: list[dict[str, Any]],
           results: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("toolkit.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["duration"] = _duration
    env.globals["bar"] = _bar
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)[:200_000]
    worst = findings[0]["severity"] if findings else None
    return env.get_template("report.html.j2").render(
        m=manifest, findings=findings, results=results, worst=worst, colours=SEVERITY_COLOURS)
