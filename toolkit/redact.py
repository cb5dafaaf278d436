"""Secret redaction, on by default for everything written into a bundle.

Each rule replaces only the secret part of a match with ``[REDACTED:<rule>]``
and counts its hits; the manifest records the counts, never the values.
The replacement contains no quotes, so redacting JSON text keeps it valid.
Private-key blocks (PEM, OpenSSH) are removed whole, across lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Labels that announce a secret value, English and Chinese.
_LABELS = (r"pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|api[_-]?key|apikey|"
           r"access[_-]?key(?:[_-]?id)?|secret[_-]?key|auth[_-]?token|access[_-]?token|"
           r"refresh[_-]?token|token|private[_-]?key|credentials?|密码|口令|令牌|密钥")

# (name, pattern, group holding the secret; 0: the first group that matched)
RULES: tuple[tuple[str, str, int], ...] = (
    ("private_key_inline",
     r"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----)", 1),
    ("url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"']+:([^\s@/\"']+)@", 1),
    ("authorization_header",
     r"(?i)\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?"
     r"(?:(?:bearer|basic|digest|token|negotiate)\s+)?([^\s\"',;]+)", 1),
    ("cookie_header", r"(?i)\b(?:set-)?cookie\b[\"']?\s*[:=]\s*[\"']?([^\r\n\"']+)", 1),
    ("bearer_token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)", 1),
    ("jwt", r"\b(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,})", 1),
    ("aws_access_key_id", r"\b((?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16})\b", 1),
    ("github_token", r"\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b", 1),
    ("gitlab_token", r"\b(glpat-[A-Za-z0-9_-]{20,})\b", 1),
    ("slack_token", r"\b(xox[abposr]-[A-Za-z0-9-]{10,})", 1),
    ("stripe_key", r"\b((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})\b", 1),
    ("google_api_key", r"\b(AIza[0-9A-Za-z_-]{35})\b", 1),
    ("connection_string_password", r"(?i)\b(?:password|pwd)\s*=\s*([^;\s\"']+)", 1),
    ("labelled_secret",
     r"(?i)(?<![A-Za-z0-9])(?:" + _LABELS + r")(?![A-Za-z0-9])[\"']?\s*(?:[:=]|=>|：)\s*"
     r"(?:\"([^\"\r\n]*)\"|'([^'\r\n]*)'|([^\s\"',;&]+))", 0),
)
_BEGIN_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_END_KEY = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")
_SECRET_KEYS = re.compile(r"(?i)^(?:" + _LABELS + r")$")


@dataclass
class Redactor:
    enabled: bool = True
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rules = [(name, re.compile(pattern), group) for name, pattern, group in RULES]

    def text(self, line: str) -> str:
        if not self.enabled:
            return line
        for name, rx, group in self._rules:
            if not rx.search(line):
                continue

            def swap(m: re.Match[str], name: str = name, group: int = group) -> str:
                g = group or next((i for i, v in enumerate(m.groups(), 1) if v is not None), 0)
                value = m.group(g)
                if not g or not value or value.startswith("[REDACTED:"):
                    return m.group(0)
                self.counts[name] += 1
                start, end = m.start(g) - m.start(0), m.end(g) - m.start(0)
                whole = m.group(0)
                return whole[:start] + f"[REDACTED:{name}]" + whole[end:]

            line = rx.sub(swap, line)
        return line

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Redact a stream of lines (newline kept), removing private-key blocks whole."""
        in_key = False
        for line in lines:
            if not self.enabled:
                yield line
                continue
            if in_key:
                if _END_KEY.search(line):
                    in_key = False
                    yield "[REDACTED:private_key]" + line[_END_KEY.search(line).end():]  # type: ignore[union-attr]
                continue
            begin = _BEGIN_KEY.search(line)
            if begin and not _END_KEY.search(line, begin.end()):
                in_key = True
                self.counts["private_key"] += 1
                yield self.text(line[:begin.start()])
                continue
            yield self.text(line)

    def data(self, value: Any, key: str = "") -> Any:
        """Redact strings inside JSON-able data; a value under a secret-named key goes whole."""
        if not self.enabled:
            return value
        if isinstance(value, dict):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            if key and _SECRET_KEYS.match(key) and value and not value.startswith("[REDACTED"):
                self.counts["labelled_secret"] += 1
                return "[REDACTED:labelled_secret]"
            return "".join(self.lines(value.splitlines(keepends=True)))
        return value

    def summary(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "rules": dict(sorted(self.counts.items()))}
