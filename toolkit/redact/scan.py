"""The scan: one pass over the bytes finds every trigger of every rule; only the lines
that hold one are decoded and offered to the rules those triggers name.

Most lines of a log hold no secret, so the cost that matters is the pass over the
text that holds none. It runs on lower-cased UTF-8 bytes (``bytes.lower`` changes
ASCII only, so offsets stay put), with an Aho-Corasick automaton — ``ahocorasick_rs``,
a compiled DFA that reads each byte once whatever the number of triggers — or, where
that package is missing, with one regex shaped as a trie (the same hits, slower).
Lines without a hit pass through as bytes, never decoded. Key blocks that span lines
(PEM, OpenVPN, PuTTY) and values on the line after their name are carried from one
block of text to the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.redact.rules import MARK, KeyBlock, Rule, trie

_aho: Any
try:  # a compiled automaton when available; the regex below otherwise
    import ahocorasick_rs as _aho
except ImportError:  # exercised by the tests through force_regex
    _aho = None


@dataclass
class Compiled:
    name: str
    rx: re.Pattern[str]
    group: int
    check: Callable[[str], bool] | None
    pre: re.Pattern[str] | None
    then: re.Pattern[str] | None
    bpre: tuple[re.Pattern[bytes], ...] | None = None  # gate and pre, on ASCII line bytes


def _bytes_pres(gate: str, pre: str) -> tuple[re.Pattern[bytes], ...] | None:
    found = [_bytes_pre(p) for p in (gate, pre) if p]
    return None if not found or None in found else tuple(p for p in found if p)


def _bytes_pre(pre: str) -> re.Pattern[bytes] | None:
    # On an ASCII line a regex means the same as its UTF-8 bytes do (its non-ASCII
    # literals and class members can match neither): ``_worth`` tries it on ASCII lines
    # only, and \x1c-\x1f, which str's \s also matches, send a line the slow way.
    try:
        return re.compile(pre.encode("utf-8"))
    except re.error:  # pragma: no cover - a construct bytes patterns lack
        return None


_ODD = re.compile(rb"[^\x00-\x1b\x20-\x7f]")


@dataclass
class State:
    """What one block of text leaves for the next."""

    key: int = -1  # index of the key block being removed, -1 outside one
    left: int = 0  # lines of a counted block (PuTTY) still to remove
    then: int = -1  # rule whose value is on the next line, -1 none


# What may stand inside a key block: base64 lines, "Proc-Type: …" headers, blank lines.
_KEY_BODY = re.compile(rb"^\s*(?:[A-Za-z0-9+/=]*|[A-Za-z-]+: [^\r\n]*)\s*$")


class Scanner:
    """The compiled catalogue: rules (by index), key blocks, and the trigger automaton."""

    def __init__(self, rules: Sequence[Rule], blocks: Sequence[KeyBlock],
                 force_regex: bool = False) -> None:
        self.rules: list[Compiled] = []
        self.blocks = list(blocks)
        self._begin = [re.compile(b.begin) for b in blocks]
        self._end = [re.compile(b.end) if b.end else None for b in blocks]
        by_word: dict[str, set[int]] = {}
        self.site: list[tuple[re.Pattern[str], int]] = []
        for i, r in enumerate(rules):
            pre = r.pre or (trie(r.triggers) if r.triggers else "")
            self.rules.append(Compiled(r.name, re.compile(r.pattern), r.group, r.check,
                                       re.compile(pre) if pre else None,
                                       re.compile(r.then) if r.then else None,
                                       _bytes_pres(r.gate, pre)))
            for word in r.triggers:
                by_word.setdefault(word.lower(), set()).add(i)
            if not r.triggers:  # a site rule: found by its own regex, line by line
                self.site.append((re.compile(r.pattern, re.MULTILINE), i))
        self.n_rules = len(rules)
        for k, b in enumerate(blocks):
            for word in b.triggers:
                by_word.setdefault(word.lower(), set()).add(self.n_rules + k)
        words = sorted(by_word)
        self.automaton = _aho is not None and not force_regex
        # The regex scan reports the shortest trigger starting at a place: it stands
        # for every longer trigger that starts with it. The automaton reports them all.
        closure = [set(by_word[w]) for w in words]
        for i, w in enumerate(words if not self.automaton else ()):
            for j in range(i + 1, len(words)):
                if not words[j].startswith(w):
                    break
                closure[i] |= by_word[words[j]]
        self._ids = [frozenset(c) for c in closure]
        encoded = [w.encode("utf-8") for w in words]
        if self.automaton:
            assert _aho is not None
            self._ac = _aho.BytesAhoCorasick(encoded, implementation=_aho.Implementation.DFA)
        else:
            self._rx = re.compile(trie_bytes(encoded))
            self._index = {w: i for i, w in enumerate(encoded)}

    # ------------------------------------------------------------------ hits

    def _matches(self, low: bytes) -> Iterator[tuple[int, int]]:
        """(trigger index, start) of every trigger in ``low``."""
        if self.automaton:
            for idx, start, _ in self._ac.find_matches_as_indexes(low, overlapping=True):
                yield idx, start
            return
        pos, search, index = 0, self._rx.search, self._index
        while True:
            m = search(low, pos)
            if m is None:
                return
            yield index[m.group()], m.start()
            pos = m.start() + 1  # overlapping: a trigger may start inside another

    def hits(self, block: bytes, low: bytes) -> dict[int, tuple[int, set[int]]]:
        """Line start → (line end, rule ids) for every line holding a trigger."""
        found: dict[int, tuple[int, set[int]]] = {}
        ids = self._ids
        for idx, start in self._matches(low):
            line = low.rfind(b"\n", 0, start) + 1
            got = found.get(line)
            if got is None:
                got = found[line] = (low.find(b"\n", start) + 1 or len(low), set())
            got[1].update(ids[idx])
        if self.site:
            self._site_hits(block, found)
        return found

    def _site_hits(self, block: bytes, found: dict[int, tuple[int, set[int]]]) -> None:
        text = block.decode("utf-8", "surrogateescape")
        marks: list[tuple[int, int]] = []
        for rx, i in self.site:
            marks.extend((text.rfind("\n", 0, m.start()) + 1, i) for m in rx.finditer(text))
        done, at = 0, 0  # characters and bytes before text[done]
        for start, i in sorted(marks):
            at += len(text[done:start].encode("utf-8", "surrogateescape"))
            done = start
            got = found.get(at)
            if got is None:
                got = found[at] = (block.find(b"\n", at) + 1 or len(block), set())
            got[1].add(i)

    # ------------------------------------------------------------------ blocks

    def run(self, block: bytes, state: State,
            apply: Callable[[str, Iterable[int]], tuple[str, int]],
            count: Callable[[str], None]) -> Iterator[bytes]:
        """Redact one block of whole lines; ``apply(line, rule ids)`` returns the new line
        and the rule whose value is on the next line (-1 none)."""
        low = block.lower()
        hits = self.hits(block, low)
        plain = low.isascii() and not _ODD.search(low)
        pos = 0  # block[:pos] has been yielded
        if state.key >= 0:
            pos, tail = self._skip_key(block, 0, state)
            yield tail
        starts = sorted(hits)
        k, n = 0, len(block)
        while True:
            if state.then >= 0:
                if pos >= n:
                    break
                start = pos  # the line after a name: its value goes, hit or not
            else:
                while k < len(starts) and starts[k] < pos:
                    k += 1
                if k == len(starts):
                    break
                start = starts[k]
                k += 1
            end, which = hits.get(start) or (block.find(b"\n", start) + 1 or n, set())
            if state.then < 0 and not self._worth(low, start, end, which, plain):
                continue
            raw = block[start:end]
            orig = text = raw.decode("utf-8", "surrogateescape")
            if state.then >= 0:
                text = self._then(text, state.then, count)
                state.then = -1
            key = self._key_begin(text, which)
            if key is not None:
                kb, begin = key
                count(self.blocks[kb].name)
                state.key, state.left = kb, int(begin.group(1)) if self.blocks[kb].count else 0
                ending = text[len(text.rstrip("\r\n")):]
                head, _ = apply(text[:begin.start()], which) if begin.start() else ("", -1)
                yield block[pos:start] + (head + MARK + self.blocks[kb].name + "]" + ending
                                          ).encode("utf-8", "surrogateescape")
                pos, tail = self._skip_key(block, end, state)
                yield tail
                continue
            new, state.then = apply(text, which) if which else (text, -1)
            if new != orig:
                yield block[pos:start] + new.encode("utf-8", "surrogateescape")
            else:
                yield block[pos:end]
            pos = end
        if pos < n:
            yield block[pos:]

    def _worth(self, low: bytes, start: int, end: int, which: set[int], plain: bool) -> bool:
        """False when no rule of a hit line can match it (its ``pre`` fails on the bytes):
        the line is not even decoded ("Failed password for root" holds no "=").
        ``plain``: the whole block is ASCII without \x1c-\x1f, no line needs a look."""
        line = low[start:end]
        if not plain and _ODD.search(line):
            return True  # not ASCII: the rules decide on the decoded line
        rules, n = self.rules, self.n_rules
        failed: set[re.Pattern[bytes]] = set()  # rules share pre-tests (the two key/value)
        for i in which:
            if i >= n:
                return True
            checks = rules[i].bpre
            if checks is None:
                return True
            for check in checks:
                if check in failed:
                    break
                if not check.search(line):
                    failed.add(check)
                    break
            else:
                return True
        return False

    def _then(self, text: str, rule: int, count: Callable[[str], None]) -> str:
        rx, name = self.rules[rule].then, self.rules[rule].name
        m = rx.search(text) if rx else None
        if not m:
            return text
        g = next((i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)), 0)
        value = m.group(g)
        if not value or MARK in value:
            return text
        count(name)
        return text[:m.start(g)] + MARK + name + "]" + text[m.end(g):]

    def _key_begin(self, text: str, which: set[int]) -> tuple[int, re.Match[str]] | None:
        for i in which:
            k = i - self.n_rules
            if k < 0:
                continue
            m = self._begin[k].search(text)
            end = self._end[k]
            if m and not (end and end.search(text, m.end())) and (
                    self.blocks[k].count or _KEY_BODY.match(
                        text[m.end():].encode("utf-8", "surrogateescape"))):
                return k, m
        return None

    def _skip_key(self, block: bytes, pos: int, state: State) -> tuple[int, bytes]:
        """Drop the key lines from ``pos`` on: where the text goes on, and what to
        yield first (the rest of the END line, which is not key material)."""
        kb = self.blocks[state.key]
        end_rx = self._end[state.key]
        while pos < len(block):
            end = block.find(b"\n", pos) + 1 or len(block)
            line = block[pos:end]
            if kb.count:
                if state.left <= 0 or not _KEY_BODY.match(line):
                    state.key = -1
                    return pos, b""
                state.left -= 1
            else:
                text = line.decode("utf-8", "surrogateescape")
                stop = end_rx.search(text) if end_rx else None
                if stop:
                    state.key = -1
                    rest = text[stop.end():]
                    return end, rest.encode("utf-8", "surrogateescape") if rest.strip() else b""
                if not _KEY_BODY.match(line):
                    state.key = -1
                    return pos, b""
            pos = end
        return pos, b""


def trie_bytes(words: Sequence[bytes]) -> bytes:
    """The trie regex of ``trie`` for byte strings."""
    root: dict[int, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[-1] = {}

    def emit(node: dict[int, Any]) -> bytes:
        if -1 in node:
            return b""
        alts = [re.escape(bytes([ch])) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"

    return emit(root) or rb"(?!)"


@dataclass
class _Cache:
    scanners: dict[tuple[object, ...], Scanner] = field(default_factory=dict)


CACHE = _Cache()
