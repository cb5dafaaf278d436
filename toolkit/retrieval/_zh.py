"""Chinese word segmentation for search: jieba with a small dictionary, loaded once.

jieba's own dictionary (350,000 words) takes 1.2 s to load and writes a cache file
to the temporary folder; a toolkit that runs as root on other people's machines
should do neither. ``zh_words.txt`` beside this module holds the jieba words that
occur in the shipped knowledge base, playbooks and classification dictionary,
plus jieba's most frequent words, with jieba's frequencies and total (so known
words cost what they cost in the full dictionary): it loads in a few
milliseconds, and jieba's HMM still joins characters into words it does not
know. ``scripts/build-zh-words`` rebuilds it. Without jieba (a stripped install),
``words`` falls back to overlapping two-character pieces, which search well too.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from functools import lru_cache
from importlib import resources
from typing import Any

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    with _LOCK:
        # jieba imports pkg_resources when it can (80 ms, and a deprecation warning)
        # only to read files it also reads without it: hide it for that one import.
        hidden = "pkg_resources" not in sys.modules
        if hidden:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]
        try:
            import jieba  # type: ignore[import-untyped]
        except ImportError:
            return None
        finally:
            if hidden:
                sys.modules.pop("pkg_resources", None)
        jieba.setLogLevel(logging.WARNING)
        data = resources.files("toolkit.retrieval").joinpath("zh_words.txt").read_bytes()
        head, _, body = data.partition(b"\n")
        tk = jieba.Tokenizer()
        # Built here rather than by initialize(), which would write a cache file.
        tk.FREQ, _ = tk.gen_pfdict(io.BytesIO(body))
        tk.total = int(head.split()[-1])  # "# total N": the full dictionary's
        tk.initialized = True
        return tk


def bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def words(run: str) -> list[str]:
    """The words of a run of Chinese characters."""
    tk = _tokenizer()
    if tk is None:
        return bigrams(run)
    return [w for w in tk.lcut(run, HMM=True) if w.strip()]
