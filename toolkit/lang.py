"""Language facts shared by the matchers (playbook suggestion, classification, KB search)."""

from __future__ import annotations


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters (CJK Unified Ideographs and Extension A):
    such text has no spaces between words, so it is matched by substring."""
    return any("\u3400" <= ch <= "\u9fff" for ch in text)
