"""The redaction engine: the rule catalogue applied to lines, blocks, streams and data,
hits counted.

Each rule replaces only the secret part of a match with ``[REDACTED:<rule>]`` and
counts its hits; the manifest records the counts, never the values. The replacement
holds no quote, backslash, comma or bracket, so redacting JSON, YAML or XML text
keeps it valid (``toolkit.redact.structured`` keeps whole documents valid).
Key blocks (PEM, OpenVPN, PuTTY) are removed whole, across lines.

Speed: the scan (``toolkit.redact.scan``) looks for every rule's triggers in one pass
over the bytes and offers a line only to the rules whose triggers it holds; text
without a trigger is never decoded. Site rules (``redact:`` in
``$SUPPORTKIT_HOME/config.yaml``) add keywords to the key/value rules and regexes of
their own; see ``Redactor.from_config``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from toolkit.redact.rules import (
    BLOCKS,
    MARK,
    RULES,
    STRONG,
    SUFFIX,
    WEAK,
    Rule,
    keep_placeholder,
    kv_rules,
    looks_random,
)
from toolkit.redact.scan import CACHE, Compiled, Scanner, State

if TYPE_CHECKING:
    from toolkit.redact.anonymize import Pseudonymizer


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


_ENV_KEY = re.compile(r"^[A-Z][A-Z0-9_]*_(?:PW|PASS|PWD|PASSWD|KEY|SECRET|TOKEN|AUTH|APIKEY|"
                      r"CREDS?|CREDENTIALS?)$")


def _scanner(keywords: tuple[str, ...], patterns: tuple[str | tuple[str, str], ...],
             force_regex: bool) -> Scanner:
    """One compiled catalogue per configuration: a Redactor is made for every step."""
    key = (keywords, patterns, force_regex)
    found = CACHE.scanners.get(key)
    if found is None:
        site = []
        for i, item in enumerate(patterns, 1):
            name, pattern = item if isinstance(item, tuple) else (f"site_pattern_{i}", item)
            site.append(Rule(name, pattern, source="config.yaml redact.patterns"))
        found = Scanner((*RULES, *kv_rules(keywords), *site), BLOCKS, force_regex)
        CACHE.scanners[key] = found
    return found


@dataclass
class Redactor:
    """Redacts text and data on its way into a bundle; ``counts`` holds hits per rule.

    ``keywords`` add labels to the key/value rules (``vpn_psk=…``, ``共享密钥：…``);
    ``patterns`` are site regexes: group 1 is redacted when the pattern has a
    group, else the whole match (rule name ``site_pattern_N`` or the given name).
    ``files`` holds, per bundle member, how it was handled when that was not plain
    UTF-8 text (decoded from UTF-16, recompressed, kept as binary, refused and why).
    """

    enabled: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    keywords: Sequence[str] = ()
    patterns: Sequence[str | tuple[str, str]] = ()
    # --anonymize: personal data replaced by consistent pseudonyms after redaction.
    pseudonyms: Pseudonymizer | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    force_regex: bool = False  # the regex scan even where the automaton is installed

    def __post_init__(self) -> None:
        self._scan = _scanner(tuple(self.keywords), tuple(self.patterns), self.force_regex)
        words = STRONG + "".join("|" + re.escape(k) for k in self.keywords)
        self._keys = re.compile(r"(?i)^[\w.-]*?(?:" + words + r")" + SUFFIX + r"$")
        self._weak_keys = re.compile(r"(?i)^[\w.-]*?(?:" + WEAK + r")" + SUFFIX + r"$")

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

    def _swap(self, rule: Compiled) -> Callable[[re.Match[str]], str]:
        def swap(m: re.Match[str]) -> str:
            whole = m.group(0)
            if rule.group < 0:
                groups = [i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)]
            else:
                g = rule.group or next((i for i in range(1, (m.re.groups or 0) + 1)
                                        if m.group(i) is not None), 0)
                groups = [g]
            out, last = [], 0
            for g in groups:
                value = m.group(g)
                if not value or MARK in value or (rule.check and not rule.check(value)) \
                        or (g and keep_placeholder(value)):
                    continue
                self.counts[rule.name] += 1
                start, end = m.start(g) - m.start(0), m.end(g) - m.start(0)
                out += [whole[last:start], MARK, rule.name, "]"]
                last = end
            return "".join(out) + whole[last:] if out else whole
        return swap

    def _apply(self, line: str, which: Iterable[int]) -> tuple[str, int]:
        """``line`` through the rules ``which`` (ids), in catalogue order; also the
        rule whose value is expected on the next line (-1 none)."""
        lower = _lower(line)
        then = -1
        rules = self._scan.rules
        for i in sorted(which):
            if i >= len(rules):
                continue  # a key block: the scan handles it
            rule = rules[i]
            if rule.pre is not None and not rule.pre.search(lower):
                continue
            if rule.then is not None:
                if rule.rx.search(line):
                    then = i
                continue
            line = rule.rx.sub(self._swap(rule), line)
        return line, then

    def text(self, line: str) -> str:
        """One line (or any short text) with its secrets replaced."""
        if self.enabled:
            line = "".join(self._redacted([line]))
        return self.pseudonyms.apply(line) if self.pseudonyms else line

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Redact a text stream (lines with their newlines, or a text file object
        read in blocks), removing key blocks whole.

        The output is the same text cut differently: a piece may hold several
        lines, so a writer's per-piece cost (encode, hash, write) stays small.
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
        texts: Iterable[str] = iter(lambda: read(_BATCH), "") if read else _joined(lines)
        blocks = (t.encode("utf-8", "surrogateescape") for t in texts)
        for piece in self._bytes(blocks):
            yield piece.decode("utf-8", "surrogateescape")

    def stream(self, raw: IO[bytes]) -> Iterator[bytes]:
        """Redact a binary stream of UTF-8 text (invalid bytes pass through as they
        are) into pieces of bytes: what the bundle writer stores."""
        blocks = iter(lambda: raw.read(_BATCH), b"")
        return self.chunks(blocks)

    def chunks(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        """Redact UTF-8 text given as blocks of bytes cut anywhere."""
        if not self.enabled and self.pseudonyms is None:
            yield from blocks
            return
        out = self._bytes(blocks) if self.enabled else blocks
        if self.pseudonyms is None:
            yield from out
            return
        for piece in _whole_lines(out):
            yield self.pseudonyms.apply(piece.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape")

    def _bytes(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        state = State()
        carry = b""
        count = self._count
        for block in blocks:
            block = carry + block if carry else block
            cut = block.rfind(b"\n") + 1
            if not cut and len(block) < _MAX_LINE:
                carry = block
                continue
            cut = cut or len(block)  # a 1 MB line without end: cut it, memory stays bounded
            carry = block[cut:]
            yield from self._scan.run(block[:cut], state, self._apply, count)
        if carry:
            yield from self._scan.run(carry, state, self._apply, count)

    def _count(self, name: str) -> None:
        self.counts[name] += 1

    def data(self, value: Any, key: str = "") -> Any:
        """Redact strings inside JSON-able data; a value under a secret-named key goes whole,
        and so does the ``value`` of a ``{"name": <secret name>, "value": …}`` pair."""
        if not self.enabled and self.pseudonyms is None:
            return value
        if isinstance(value, dict):
            name = value.get("name") if "value" in value else None
            if isinstance(name, str) and self.secret_key(name):
                return {k: self.data(v, name if k == "value" else str(k))
                        for k, v in value.items()}
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            if self.enabled and key and value and MARK not in value and (
                    not keep_placeholder(value)) and (
                    self.secret_key(key) or (self._weak_keys.match(key)
                                             and looks_random(value))):
                self.counts["key_value_secret"] += 1
                return MARK + "key_value_secret]"
            return "".join(self.lines(value.splitlines(keepends=True)))
        return value

    def secret_key(self, key: str) -> bool:
        """True when a key names a secret by itself (password, api_key, DB_PW …)."""
        return bool(self._keys.match(key) or _ENV_KEY.match(key))

    def note(self, path: str, **what: Any) -> None:
        """Record how a bundle member was handled (encoding, container, kept, refused)."""
        self.files.setdefault(path, {}).update(what)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"enabled": self.enabled, "rules": dict(sorted(self.counts.items()))}
        if self.files:
            out["files"] = dict(sorted(self.files.items()))
        if self.pseudonyms is not None:
            out["pseudonymized"] = self.pseudonyms.summary()  # counts per kind, never values
        return out


_BATCH = 256 * 1024
_MAX_LINE = 1024 * 1024


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """Lines joined into texts of about ``_BATCH`` characters."""
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


def _whole_lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces re-cut at line ends (a pseudonym must never see half an address)."""
    carry = b""
    for piece in pieces:
        piece = carry + piece
        cut = piece.rfind(b"\n") + 1
        if cut:
            yield piece[:cut]
        carry = piece[cut:]
    if carry:
        yield carry


_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def _lower(text: str) -> str:
    # str.lower() may change the length of non-ASCII text ("İ" → "i̇"): lower ASCII only,
    # as the scan does on bytes.
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


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
