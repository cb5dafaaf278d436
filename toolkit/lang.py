"""Language facts shared by the matchers (playbook suggestion, classification, KB search)."""

from __future__ import annotations


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters (CJK Unified Ideographs and Extension A):
    such text has no spaces between words, so it is matched by substring."""
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def default_lang() -> str:
    """The language of texts when --lang is not given: Chinese for a zh* locale."""
    import os

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
