"""What every rule family shares: the ``Rule`` and ``KeyBlock`` records, the value
syntaxes of key/value text, and the checks that keep placeholders and prose.

A rule names its literal *triggers* (lower-case substrings such as ``pass``, ``ghp_``),
one of which every match contains: the engine looks for all triggers of all rules in
one pass and offers a line only to the rules whose triggers it holds, so adding a rule
adds a few words to that pass, not a scan of its own.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

MARK = "[REDACTED:"


@dataclass(frozen=True)
class Rule:
    """One redaction rule.

    ``group`` 0: the secret is the first group that matched (the whole match when the
    pattern has no group); -1: every group that matched is a secret. ``pre``: a regex
    on the lower-cased line that must match before the rule is tried (default: any
    trigger). ``then``: a regex for the *next* line, whose first matching group is the
    secret when this rule's pattern matched (a name on one line, its value on the next,
    as ``kubectl get -o yaml`` prints environment variables). ``source``: where the
    format comes from, for the catalogue (docs/security.md lists them).
    """

    name: str
    pattern: str
    triggers: tuple[str, ...] = ()
    group: int = 0
    check: Callable[[str], bool] | None = None
    pre: str = ""
    source: str = ""
    then: str = ""
    gate: str = ""  # a cheaper necessary regex tried before ``pre`` (literal prefix first)


@dataclass(frozen=True)
class KeyBlock:
    """Key material that spans lines and goes whole: from the line where ``begin``
    matches to the line where ``end`` matches, or (``count``) the number of lines
    ``begin``'s first group names. A block whose end never comes stops at the first
    line that cannot be key material, so a torn key never swallows a log."""

    name: str
    begin: str
    triggers: tuple[str, ...]
    end: str = ""
    count: bool = False
    source: str = ""


def trie(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie: at each position the regex
    engine follows one branch instead of trying every word."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a shorter trigger is enough: longer ones add nothing
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root) or r"(?!)"


# ----------------------------------------------------------------- value syntaxes

# Between a key and its value: "=", ":", "=>", ":=", full-width forms, a closing quote
# of a quoted key ("password": …) and the \" of a key inside an escaped JSON string.
SEP = r"(?:\\?[\"'])?\s*(?:=>|:=|[:=：＝])\s*"
# A value: a ${VAR} reference (kept), double-quoted (with escapes), single-quoted,
# \"escaped\", or bare up to the first character that ends a value in the syntaxes logs
# use (space, quote, , ; & < > {}).
VALUE = (r"(?:(\$\{[^}\r\n]*\})|\"((?:[^\"\\\r\n]|\\.)*)\"|'([^'\r\n]*)'|"
         r"\\\"((?:[^\"\\\r\n]|\\[^\"])*)\\\"|([^\s\"'`,;&<>{}，。；、）】]+))")
# A bare or quoted single value after a keyword and blanks (``requirepass foobared``).
WORD = r"(?:\"([^\"\r\n]*)\"|'([^'\r\n]*)'|([^\s\"'#;][^\s\"';]*))"

_PLACEHOLDERS = frozenset((
    "", "null", "none", "nil", "true", "false", "undefined", "(null)", "<none>", "<redacted>",
    "<hidden>", "redacted", "hidden", "-", "present", "absent", "存在", "不存在", "无", "未知",
    "ccmp", "gcmp", "tkip", "wep", "open", "yes", "no", "on", "off", "required", "optional",
    "prompt", "ask", "stdin", "env", "file", "*"))
# ${VAR}, $VAR, %VAR%, {{ template }}, %(name)s, <your-password>, ****, xxxx.
_NONSECRET = re.compile(r"^(?:\*+|x{3,}|\$\{[^}]*\}|\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|%\([^)]*\)s|"
                        r"\{\{[^}]*\}\}|<[\w .-]*>|\$\(\w+\)|\[REDACTED:[\w.-]+\])$", re.I)


def keep_placeholder(value: str) -> bool:
    """True for values that are no secret: empty, null, ****, ${VAR} references."""
    return value.lower() in _PLACEHOLDERS or bool(_NONSECRET.match(value))


# Words that follow "password" in prose and comments, never a password themselves
# ("# password: see the vault", "password is required").
_PROSE = frozenset("""
a an the is are was were be been of for to and or in on with from by as at this that it its
not see set use used using your our their my here there if when must should will can may
required invalid incorrect wrong expired changed reset missing empty too short long
authentication auth for files""".split())


def _prose(value: str) -> bool:
    return value.lower().strip(".,;:!?") in _PROSE


_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-+/=.~%]+$")


def looks_random(value: str) -> bool:
    """A token-like value: token characters only (not "BinderProxy@2bd79ce" nor
    "com.apple.xpc/4505:"), 8+ of them with a digit, or 20+."""
    if keep_placeholder(value) or len(value) < 8 or not _TOKEN_CHARS.match(value):
        return False
    return len(value) >= 20 or any(c.isdigit() for c in value)


def basic_credentials(value: str) -> bool:
    """HTTP Basic credentials are base64 of ``user:password``; plain words are not."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw


_PATH = re.compile(r"[~/][\w.@-]*(?:/[\w.@ -]*)*|[A-Za-z]:\\[\w .\\-]*")


def _random_segment(value: str) -> bool:
    return any(len(seg) >= 16 and any(c.isdigit() for c in seg) and any(c.isupper() for c in seg)
               and any(c.islower() for c in seg) for seg in value.split("/"))


# nsswitch.conf "passwd: files systemd" names where accounts come from.
_NSS = frozenset("files systemd compat sss ldap nis nisplus db winbind dns myhostname "
                 "mymachines resolve mdns4_minimal mdns4 mdns extrausers cache [notfound=return] "
                 "[success=merge] [!unavail=return] [notfound=continue]".split())


def secret_value(value: str) -> bool:
    """A key/value value worth redacting: not a placeholder, not a word of prose,
    not nsswitch sources, not a file path (PWD=/home/me is the shell's working
    directory; a base64 key may start with "/" too, so only a value that looks like
    a path — no + or =, no long random segment — is let through)."""
    if keep_placeholder(value) or _prose(value):
        return False
    words = value.split()
    if words and all(w.lower() in _NSS for w in words):
        return False
    looks_like_path = (value.startswith(("/", "~")) or value[1:3] == ":\\") and \
        _PATH.fullmatch(value) is not None and not _random_segment(value)
    return not looks_like_path


def password_like(value: str) -> bool:
    """A value named in prose ("the password is Summer2024!", "密码是abc123") rather
    than a word of the sentence: it holds a digit or a symbol, or mixes cases."""
    if keep_placeholder(value) or _prose(value) or len(value) < 4:
        return False
    if all("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in value):
        return False  # Chinese prose: 密码是正确的 ("the password is correct")
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed


def not_variable(value: str) -> bool:
    """A command-line value that is no shell or PowerShell variable ($pw, (Get-Secret))."""
    return not value.startswith(("$", "(", "%", "@")) and secret_value(value)


Check = Callable[[str], bool]
