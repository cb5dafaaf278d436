"""The redaction engine: rules applied to lines, blocks and data, hits counted.

Each rule replaces only the secret part of a match with ``[REDACTED:<rule>]``
and counts its hits; the manifest records the counts, never the values.
The replacement contains no quotes, so redacting JSON text keeps it valid.
Private-key blocks (PEM, OpenSSH, PGP) are removed whole, across lines.

Speed: most log lines hold no secret, so a line is first tested against the
literal "triggers" of every rule (lower-cased substrings such as ``pass``,
``bearer``, ``ghp_``) with one compiled alternation; only a line that holds
a trigger is lower-cased and offered to the rules whose triggers it holds.
Site rules (``redact:`` in ``$SUPPORTKIT_HOME/config.yaml``) add keywords to
the key/value rules and regexes of their own; see ``Redactor.from_config``.

The token formats below were checked against the public rule lists of
gitleaks and detect-secrets (formats only, as facts; no rules copied).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.redact.rules import (
    _STRONG,
    _STRONG_TRIGGERS,
    _SUFFIX,
    _WEAK,
    MARK,
    RULES,
    Rule,
    _anchor,
    _keep_placeholder,
    _kv_pre,
    _kv_rule,
    _looks_random,
    _not_a_path,
    _trie,
)

if TYPE_CHECKING:
    from toolkit.redact.anonymize import Pseudonymizer


@dataclass
class _Compiled:
    name: str
    rx: re.Pattern[str]
    triggers: tuple[str, ...]
    group: int
    check: Callable[[str], bool] | None
    pre: re.Pattern[str] | None = None  # the triggers as one regex, on lower-cased text


def site_redactor() -> Redactor:
    """The redactor for this machine: default rules plus the site rules of config.yaml;
    an unusable configuration is bad input (exit 2), never silently ignored."""
    from toolkit.errors import BadInput

    try:
        return Redactor.from_config()
    except ConfigError as exc:
        raise BadInput(str(exc), "fix the redact: section of config.yaml") from None


class ConfigError(ValueError):
    """The redaction configuration is unusable; the message says where and why."""


@dataclass
class Redactor:
    """Redacts text and data on its way into a bundle; ``counts`` holds hits per rule.

    ``keywords`` add labels to the key/value rules (``vpn_psk=…``, ``共享密钥：…``);
    ``patterns`` are site regexes: group 1 is redacted when the pattern has a
    group, else the whole match (rule name ``site_pattern_N`` or the given name).
    """

    enabled: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    keywords: Sequence[str] = ()
    patterns: Sequence[str | tuple[str, str]] = ()
    # --anonymize: personal data replaced by consistent pseudonyms after redaction.
    pseudonyms: Pseudonymizer | None = None

    def __post_init__(self) -> None:
        words = _STRONG + "".join("|" + re.escape(k) for k in self.keywords)
        extra = tuple(k.lower() for k in self.keywords)
        kv = (
            # A config line "password = two words" keeps its spaces: the value runs to the end.
            Rule("key_value_secret", r"(?im)^\s*(?:export\s+|set\s+|-\s+)?[\"']?[\w.-]*?(?:"
                 + words + r")" + _SUFFIX + r"[\"']?\s*[:=：＝]\s*([^\s\"'|>][^\r\n]*?)\s*$",
                 _STRONG_TRIGGERS + extra, 1, _not_a_path,
                 pre=_kv_pre(_STRONG_TRIGGERS + extra)),
            _kv_rule("key_value_secret", words, _not_a_path, _STRONG_TRIGGERS + extra),
            _kv_rule("key_value_token", _WEAK, _looks_random, ("token",)),
        )
        site = []
        for i, item in enumerate(self.patterns, 1):
            name, pattern = item if isinstance(item, tuple) else (f"site_pattern_{i}", item)
            site.append(Rule(name, pattern))
        specs = (*RULES, *kv, *site)
        self._rules = []
        # Batch scan: each trigger is looked for by its part that starts with the
        # rarest character ("ken" for "token"), which the regex engine skips to
        # fastest; a hit names the rules to try on that line. Site rules scan
        # with their own regex (multi-line, so ^ and $ hold at every line).
        self._anchor_rules: dict[str, list[int]] = {}
        self._cased_rules: dict[str, list[int]] = {}
        self._site_scans: list[tuple[re.Pattern[str], int]] = []
        for i, r in enumerate(specs):
            every = r.triggers + tuple(t.lower() for t in r.cased)
            pre = r.pre or (_trie(every) if every else "")
            self._rules.append(_Compiled(r.name, re.compile(r.pattern), every, r.group, r.check,
                                         re.compile(pre) if pre else None))
            for trigger in r.triggers:
                self._anchor_rules.setdefault(_anchor(trigger), []).append(i)
            for trigger in r.cased:
                self._cased_rules.setdefault(trigger, []).append(i)
            if not every:
                self._site_scans.append((re.compile(r.pattern, re.MULTILINE), i))
        self._prefilter = re.compile(_trie(self._anchor_rules))
        self._cased = re.compile(_trie(self._cased_rules))
        self._keys = re.compile(r"(?i)^[\w.-]*?(?:" + words + r")" + _SUFFIX + r"$")
        self._weak_keys = re.compile(r"(?i)^[\w.-]*?(?:" + _WEAK + r")" + _SUFFIX + r"$")

    # ----------------------------------------------------------------- configuration

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, enabled: bool = True) -> Redactor:
        """A redactor with the site rules of ``config.yaml`` (``$SUPPORTKIT_HOME``)::

            redact:
              keywords: [vpn_psk, 共享密钥]
              patterns:
                - 'EMP-\\d{6}'                         # whole match redacted
                - {name: ticket_pin, regex: 'PIN[: ]+(\\d{4,8})'}   # group 1 redacted

        A missing file means no site rules; an unusable one raises ``ConfigError``
        naming the file, the entry and what to fix.
        """
        from toolkit import config

        try:
            file, section = config.section("redact", Path(path) if path is not None else None)
        except config.ConfigFileError as exc:
            raise ConfigError(str(exc)) from None
        if section is None:
            return cls(enabled=enabled)
        if not isinstance(section, dict):
            raise ConfigError(f"{file}: 'redact' must be a mapping with keywords: and patterns:")
        unknown = set(section) - {"keywords", "patterns"}
        if unknown:
            raise ConfigError(f"{file}: redact has no setting {sorted(unknown)[0]!r}; "
                              "it takes keywords and patterns")
        keywords = section.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip()
                                                     for k in keywords):
            raise ConfigError(f"{file}: redact.keywords must be a list of words")
        return cls(enabled=enabled, keywords=tuple(k.strip() for k in keywords),
                   patterns=_site_patterns(file, section.get("patterns") or []))

    # ----------------------------------------------------------------- redaction

    def _swap(self, rule: _Compiled) -> Callable[[re.Match[str]], str]:
        def swap(m: re.Match[str]) -> str:
            g = rule.group or next((i for i, v in enumerate(m.groups(), 1)
                                    if v is not None and m.start(i) >= 0), 0)
            if m.re.groupindex and rule.name == "token":  # named kinds: the whole match
                g, name = 0, m.lastgroup or rule.name
            else:
                name = rule.name
            value = m.group(g)
            if not value or MARK in value or (rule.check and not rule.check(value)) \
                    or (g and _keep_placeholder(value)):
                return m.group(0)
            self.counts[name] += 1
            start, end = m.start(g) - m.start(0), m.end(g) - m.start(0)
            whole = m.group(0)
            return whole[:start] + MARK + name + "]" + whole[end:]
        return swap

    def _apply(self, line: str, which: Iterable[int] | None = None) -> str:
        lower = _lower(line)
        rules = self._rules if which is None else [self._rules[i] for i in sorted(which)]
        for rule in rules:
            if rule.pre is None or rule.pre.search(lower):
                line = rule.rx.sub(self._swap(rule), line)
        return line

    def text(self, line: str) -> str:
        """One line (or any short text) with its secrets replaced."""
        if self.enabled:
            line = self._apply(line)
        return self.pseudonyms.apply(line) if self.pseudonyms else line

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Redact a text stream (lines with their newlines, or a text file object
        read in blocks), removing private-key blocks whole.

        The output is the same text cut differently: a piece may hold several
        lines, so a writer's per-piece cost (encode, hash, write) stays small.
        Text is scanned in blocks of about 64 KB: one trigger scan per block
        finds the few lines worth a closer look; the rest pass untouched.
        A key block ends at its END line; if that never comes, it ends at the
        first line that cannot be key material, so a torn key never swallows a log.
        """
        if self.pseudonyms is not None:
            # Pieces end at line ends, so no address or name is ever cut in two.
            yield from map(self.pseudonyms.apply, self._redacted(lines))
        else:
            yield from self._redacted(lines)

    def _redacted(self, lines: Iterable[str]) -> Iterator[str]:
        if not self.enabled:
            yield from lines
            return
        read = getattr(lines, "read", None)
        blocks: Iterable[str] = iter(lambda: read(_BATCH), "") if read else _blocks(lines)
        state = [False]  # inside a private-key block, carried across blocks
        carry = ""
        for block in blocks:
            block = carry + block
            cut = block.rfind("\n") + 1
            if not cut and len(block) < _MAX_LINE:
                carry = block
                continue
            cut = cut or len(block)  # a 1 MB line without end: cut it, memory stays bounded
            carry = block[cut:]
            yield from self._block(block[:cut], state)
        if carry:
            yield from self._block(carry, state)

    def _hits(self, block: str) -> dict[int, tuple[int, set[int]]]:
        """Line start → (line end, rules to try) for every line holding a trigger."""
        found: dict[int, tuple[int, set[int]]] = {}
        scans: list[tuple[Iterable[re.Match[str]], dict[str, list[int]] | int]] = [
            (self._prefilter.finditer(_lower(block)), self._anchor_rules),
            (self._cased.finditer(block), self._cased_rules),
            *((rx.finditer(block), i) for rx, i in self._site_scans)]
        for matches, rules in scans:
            for m in matches:
                start = block.rfind("\n", 0, m.start()) + 1
                if start not in found:
                    found[start] = (block.find("\n", m.start()) + 1 or len(block), set())
                found[start][1].update([rules] if isinstance(rules, int) else rules[m.group()])
        return found

    def _block(self, block: str, state: list[bool]) -> Iterator[str]:
        hits = self._hits(block)
        pos = 0  # block[:pos] has been yielded
        if state[0]:
            pos, tail = self._skip_key(block, 0, state)
            yield tail
        for start in sorted(hits):
            if start < pos:
                continue  # inside a key block already removed
            end, which = hits[start]
            line = block[start:end]
            begin = _BEGIN_KEY.search(line)
            if begin and not _END_KEY.search(line, begin.end()) and \
                    _KEY_BODY.match(line[begin.end():]):
                state[0] = True
                self.counts["private_key"] += 1
                ending = line[len(line.rstrip("\r\n")):]
                yield block[pos:start] + self.text(line[:begin.start()]) + MARK + \
                    "private_key]" + ending
                pos, tail = self._skip_key(block, end, state)
                yield tail
                continue
            new = self._apply(line, which)
            if new != line:
                yield block[pos:start] + new
                pos = end
        if pos < len(block):
            yield block[pos:]

    def _skip_key(self, block: str, pos: int, state: list[bool]) -> tuple[int, str]:
        """Drop the key lines from ``pos`` on: where the text goes on, and what
        to yield first (the redacted rest of the END line)."""
        while pos < len(block):
            end = block.find("\n", pos) + 1 or len(block)
            line = block[pos:end]
            stop = _END_KEY.search(line)
            if stop:
                state[0] = False
                rest = line[stop.end():]
                return end, self.text(rest) if rest.strip() else ""
            if not _KEY_BODY.match(line):
                state[0] = False
                return pos, ""
            pos = end
        return pos, ""

    def data(self, value: Any, key: str = "") -> Any:
        """Redact strings inside JSON-able data; a value under a secret-named key goes whole."""
        if not self.enabled and self.pseudonyms is None:
            return value
        if isinstance(value, dict):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            if self.enabled and key and value and MARK not in value and (
                    not _keep_placeholder(value)) and (
                    self._keys.match(key) or (self._weak_keys.match(key)
                                              and _looks_random(value))):
                self.counts["key_value_secret"] += 1
                return MARK + "key_value_secret]"
            return "".join(self.lines(value.splitlines(keepends=True)))
        return value

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"enabled": self.enabled, "rules": dict(sorted(self.counts.items()))}
        if self.pseudonyms is not None:
            out["pseudonymized"] = self.pseudonyms.summary()  # counts per kind, never values
        return out


_BATCH = 64 * 1024
_MAX_LINE = 1024 * 1024


def _blocks(lines: Iterable[str]) -> Iterator[str]:
    """Lines joined into blocks of about ``_BATCH`` characters."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= _BATCH:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)
_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def _lower(text: str) -> str:
    # str.lower() may change the length of non-ASCII text ("İ" → "i̇"), which
    # would shift the offsets that map trigger hits to lines: lower ASCII only.
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


_BEGIN_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_END_KEY = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# What may stand inside a key block: base64 lines, "Proc-Type: …" headers, blank lines.
_KEY_BODY = re.compile(r"^\s*(?:[A-Za-z0-9+/=]*|[A-Za-z-]+: [^\r\n]*)\s*$")


def _site_patterns(file: Path, items: Any) -> tuple[str | tuple[str, str], ...]:
    if not isinstance(items, list):
        raise ConfigError(f"{file}: redact.patterns must be a list of regexes")
    out: list[str | tuple[str, str]] = []
    for i, item in enumerate(items):
        where = f"{file}: redact.patterns[{i}]"
        if isinstance(item, dict) and set(item) <= {"name", "regex"} and "regex" in item:
            name = str(item.get("name") or f"site_pattern_{i + 1}")
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise ConfigError(f"{where}: name {name!r} may hold only letters, digits, _ . -")
            pattern = item["regex"]
        else:
            name, pattern = "", item
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"{where}: give a regex string or {{name: …, regex: …}}")
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where}: {pattern!r} is not a valid regex ({exc}) — "
                              "quote it in single quotes and check brackets and escapes") from None
        if rx.search(""):
            raise ConfigError(f"{where}: {pattern!r} matches empty text — it would redact "
                              "nothing useful; make it require at least one character")
        out.append((name, pattern) if name else pattern)
    return tuple(out)
