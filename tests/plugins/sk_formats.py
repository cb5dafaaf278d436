"""A collector with two saved-output formats, loaded with SUPPORTKIT_PLUGINS in tests
of the framework's ``source=`` handling (toolkit.sources)."""

from __future__ import annotations

from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plugins import hookimpl
from toolkit.sources import Parsed, SavedOutput, Source


def is_alpha(head: bytes) -> bool:
    return head.startswith(b"alpha")


def is_beta(head: bytes) -> bool:
    return head.startswith(b"beta")


def parse_alpha(saved: SavedOutput) -> dict[str, Any]:
    return {"format": "alpha", "lines": len(saved.text.splitlines()),
            "asked": saved.params.get("label")}


def parse_beta(saved: SavedOutput) -> Parsed:
    if b"damaged" in saved.data:
        raise ValueError("the beta block is damaged")
    return Parsed({"source": f"beta:{saved.path}", "format": "beta"},
                  {"beta-digest.txt": saved.data[:4]})


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("source"):  # the framework must have taken it
        raise Failed("gather was called with source set")
    return {"source": "live"}


@hookimpl
def supportkit_collectors() -> list[Collector]:
    return [Collector("tests.formats", "reads two saved formats", gather,
                      params=(Param("label", "str", "x"),
                              Param("source", "str", None, "analyse a saved alpha or beta")),
                      sources=(Source("alpha", parse_alpha, "alpha text", detect=is_alpha),
                               Source("beta", parse_beta, "beta text", detect=is_beta)))]
