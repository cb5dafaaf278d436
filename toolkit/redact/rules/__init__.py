"""The rule catalogue: what a secret looks like in the text a support case carries.

One module per family — ``keys`` (private keys, hashes), ``web`` (URLs, connection
strings, headers, name/value pairs), ``tokens`` (vendor tokens with a known prefix),
``cli`` (command-line flags), ``keyvalue`` (key/value text, settings, environment
names, Wi-Fi keys, prose). Every rule names its source. Rules run in the order of
``RULES`` (the specific before the general: a GitHub token in ``GITHUB_TOKEN=ghp_…``
is named github_token, not env_secret); the key/value rules come last, built by the
engine with the site's own key words.
"""

from __future__ import annotations

from toolkit.redact.rules._base import (
    MARK,
    KeyBlock,
    Rule,
    basic_credentials,
    keep_placeholder,
    looks_random,
    password_like,
    secret_value,
    trie,
)
from toolkit.redact.rules.cli import CLI
from toolkit.redact.rules.keys import BLOCKS, KEYS
from toolkit.redact.rules.keyvalue import (
    ENV,
    PROSE,
    SPACED,
    STRONG,
    STRONG_TRIGGERS,
    SUFFIX,
    WEAK,
    WIFI,
    kv_rules,
)
from toolkit.redact.rules.tokens import TOKENS
from toolkit.redact.rules.web import WEB

RULES: tuple[Rule, ...] = (*KEYS[:1], *WEB, *KEYS[1:], *TOKENS, *CLI, *SPACED, WIFI, *PROSE, ENV)

__all__ = ["BLOCKS", "MARK", "RULES", "STRONG", "STRONG_TRIGGERS", "SUFFIX", "WEAK", "KeyBlock",
           "Rule", "basic_credentials", "catalogue", "keep_placeholder", "kv_rules",
           "looks_random", "password_like", "secret_value", "trie"]


def catalogue() -> list[dict[str, str]]:
    """Every rule name with its sources (what docs/security.md lists), in order."""
    seen: dict[str, list[str]] = {}
    items: list[Rule | KeyBlock] = [*BLOCKS, *RULES, *kv_rules()]
    for item in items:
        srcs = seen.setdefault(item.name, [])
        if item.source and item.source not in srcs:
            srcs.append(item.source)
    return [{"rule": name, "source": "; ".join(srcs)} for name, srcs in seen.items()]
