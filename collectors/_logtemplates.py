"""Pure: recurring message patterns ("templates") of log lines, in bounded memory.

A fixed-depth parse tree in the spirit of Drain (He et al., ICWS 2017), with three
changes that make one setting fit every log (mean grouping accuracy 0.9+ over loghub's
samples, ``benchmarks/bench_logpatterns.py``):

1. **Masking first.** One regex marks the variable parts of a message: a piece (a run
   of characters between spaces and ``,;=()[]{}<>"'|``) with a digit in it (numbers,
   ids, ``blk_-1234``, clock times, IPv4 and IPv6, ``host:port``), paths, URLs, e-mail
   addresses, host names, hex strings (``ffffffff``), weekday and month names of dates,
   sizes with a unit (``1190 bytes (1.16 KB)``). Words that end in one or two digits
   (``ssh2``, ``SOCKS5``, ``IPv4``) stay words: they name things, they do not vary.
2. **Drain's tree.** Messages go by token count, then by first token (a token with a
   digit, or a dotted name such as ``com.apple.xpc.launchd``, goes the ``<*>`` way), to
   a leaf of clusters; a message joins the cluster whose constant tokens it matches
   best, if it matches at least half of them, and the positions that differ become
   ``<*>``.
3. **Words are constants until they vary.** A position made ``<*>`` by a merge keeps
   the words it has seen: while it has seen fewer than ``SPLIT`` (4) different words,
   they are alternatives of the message (``HTTPS``/``SOCKS5``, ``password``/``none``,
   ``Begin``/``End``), and each is its own pattern; from the fourth on it is a
   variable (user names, hosts) and the patterns merge.

A ``Pattern`` is what the summary reports: a cluster with its alternatives filled in,
its count, and the values its variables took (``Values``: the most frequent, in bounded
memory). Patterns never split, they only merge (``forward``), so the pattern a line
was given can always be resolved to the one it ends in (``Pattern.final``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

W = "<*>"
SPLIT = 4  # a merged position with this many different words is a variable
SIMILARITY = 0.5  # share of a cluster's constant tokens a message must match to join it
MAX_CHILDREN = 100  # first tokens under one node before the rest go the <*> way
MAX_CLUSTERS = 5000
MAX_PATTERNS = 10_000
MAX_SLOTS = 8  # variables tracked per pattern
TOP_VALUES = 12  # values kept per variable
_CACHE = 20_000  # masked messages remembered (most lines of a log repeat one exactly)
# Messages remembered as split: 40-85 % of the messages of a real log repeat an earlier
# one exactly (loghub's samples; HDFS and Hadoop, with ids in every line, 0 %), and the
# split is the costliest step of a line. Short ones only, so memory stays small.
_EXACT = 8192
_EXACT_LEN = 400

_D = r"\s,;=()\[\]{}<>\"'|"  # what separates the pieces of a message
_PIECE = "[^" + _D + "]"
_TLD = (r"com|net|org|edu|gov|mil|int|info|biz|io|co|us|uk|de|fr|jp|cn|hk|tw|kr|ru|br|in|au"
        r"|ca|nl|se|ch|it|es|eu|mx|local|lan|internal|arpa")
_UNIT = (r"\d+(?:[.,]\d+)?\s?(?:[KMGTP]i?B|[kKMGT]b|bytes?|B|ms|us|ns|sec(?:onds?)?|s"
         r"|min(?:utes?)?|hours?|h|days?|%)")
# Every variable starts a piece (the lookbehind fails fast everywhere else), and the
# costly kinds are tried only on pieces holding a digit, @, a slash or a dot: a regex
# pass is most of what a line costs here.
_SPECIAL = (
    "(?=" + _PIECE + r"*[\d@/\\.])(?:"
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"                                         # e-mail
    r"|[a-zA-Z][\w+.-]*://[^\s\"'<>]*"                                       # URL
    r"|(?:[A-Za-z]:)?(?:[\\/][^" + _D + r"\\/]+){2,}[\\/]?"                   # path
    r"|(?:[a-z0-9-]+\.)+(?:" + _TLD + r")(?::\d+)?(?![\w.-])"                  # host name
    r"|" + _UNIT + r"(?:\s\(" + _UNIT + r"\))?(?![\w.])"                      # 1190 bytes (1.16 KB)
    r"|(?![A-Za-z]{2,}\d{1,2}(?!" + _PIECE + r"))"                            # not ssh2, SOCKS5
    + _PIECE + r"*\d(?:" + _PIECE + r"*[^" + _D + r".:])?)")                  # a piece with a digit
_WORDS = (r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day)?\b"                        # weekday
          r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?= +\d)"      # month of a date
          r"|[a-fA-F]{8,}(?!" + _PIECE + ")")                                  # hex, no digit
VARIABLE = re.compile("((?<!" + _PIECE + ")(?:" + _SPECIAL + "|" + _WORDS + "))")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){2,}[:.]?")
_DIGIT = re.compile(r"\d")


class Values:
    """The most frequent values of one variable, in bounded memory (Space-Saving:
    Metwally et al. 2005 — a new value takes the place of the rarest one, so any value
    more frequent than 1/TOP_VALUES of the lines is kept, its count an upper bound)."""

    __slots__ = ("counts", "total", "replaced")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.total = 0
        self.replaced = 0

    def add(self, value: str, n: int = 1) -> None:
        self.total += n
        counts = self.counts
        if value in counts:
            counts[value] += n
        elif len(counts) < TOP_VALUES:
            counts[value] = n
        elif self.replaced < 500 or self.replaced * 4 < self.total:
            # past 500 replacements in a variable that changes with most lines (a
            # port, a pid) the order no longer tells anything: stop paying for it
            rarest = min(counts, key=counts.__getitem__)
            counts[value] = counts.pop(rarest) + n
            self.replaced += 1

    def merge(self, other: Values) -> None:
        for value, n in other.counts.items():
            self.add(value, n)
        self.total += other.total - sum(other.counts.values())
        self.replaced += other.replaced

    def top(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    @property
    def exact(self) -> bool:
        """Whether every value seen is still counted."""
        return self.replaced == 0


class Pattern:
    """A cluster with its word alternatives filled in: what the summary counts."""

    __slots__ = ("id", "cluster", "key", "count", "levels", "first", "last", "example",
                 "values", "forward")

    def __init__(self, pid: int, cluster: _Cluster, key: tuple[tuple[int, str], ...]) -> None:
        self.id = pid
        self.cluster = cluster
        self.key = key  # (position, word) of each alternative
        self.count = 0
        self.levels: dict[str, int] = {}
        self.first: float | None = None
        self.last: float | None = None
        self.example: str | None = None
        self.values: dict[int | str, Values] = {}  # by template position, or header field
        self.forward: Pattern | None = None

    def final(self) -> Pattern:
        p = self
        while p.forward is not None:
            p = p.forward
        return p

    def tokens(self) -> list[str]:
        tokens = list(self.cluster.tokens)
        for pos, word in self.key:
            tokens[pos] = word
        return tokens

    def template(self) -> str:
        return " ".join(self.tokens())

    def absorb(self, other: Pattern) -> None:
        self.count += other.count
        for level, n in other.levels.items():
            self.levels[level] = self.levels.get(level, 0) + n
        for attr, pick in (("first", min), ("last", max)):
            a, b = getattr(self, attr), getattr(other, attr)
            setattr(self, attr, b if a is None else a if b is None else pick(a, b))
        self.example = self.example or other.example
        for slot, values in other.values.items():
            mine = self.values.get(slot)
            if mine is None:
                self.values[slot] = values
            else:
                mine.merge(values)
        other.forward = self


class _Cluster:
    __slots__ = ("tokens", "words", "patterns", "version")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        # merged positions → the words seen there (None: a variable by now)
        self.words: dict[int, set[str] | None] = {}
        self.patterns: dict[tuple[tuple[int, str], ...], Pattern] = {}
        self.version = 0


# What a cache entry holds: the cluster (at a version), its pattern, and for each of
# the pattern's variables where its value is in the masked pieces.
_Plan = tuple[tuple[int, int, int, str], ...]  # (position, first var, last var, constant)


class Miner:
    """Patterns of messages, one message at a time (``add``), in bounded memory."""

    def __init__(self) -> None:
        self._root: dict[int, dict[str | None, object]] = {}
        self.clusters = 0
        self.patterns: list[Pattern] = []
        self.untracked = 0  # messages beyond MAX_CLUSTERS / MAX_PATTERNS
        self._cache: dict[str, tuple[_Cluster, int, Pattern, _Plan]] = {}
        self.key = ""  # the last message masked: what it says without its variables
        self._exact: dict[str, tuple[str, list[str]]] = {}

    # ------------------------------------------------------------------ per message

    def add(self, message: str) -> Pattern | None:
        """The pattern of ``message`` (None past the bounds), its variables counted."""
        seen = self._exact.get(message)
        if seen is None:
            parts = VARIABLE.split(message)
            key = W.join(parts[0::2])
            if len(message) <= _EXACT_LEN:
                if len(self._exact) >= _EXACT:
                    self._exact.clear()
                self._exact[message] = (key, parts)
        else:
            key, parts = seen
        self.key = key
        hit = self._cache.get(key)
        if hit is None or hit[0].version != hit[1]:
            tokens = key.split()
            cluster = self._cluster(tokens)
            pattern = self._pattern(cluster, tokens) if cluster is not None else None
            if cluster is None or pattern is None:
                self.untracked += 1
                return None
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            hit = self._cache[key] = (cluster, cluster.version, pattern,
                                      _plan(cluster, tokens, pattern))
        pattern = hit[2]
        values = pattern.values
        for pos, a, b, const in hit[3]:
            slot = values.get(pos)
            if slot is None:
                slot = values[pos] = Values()
            value = const if a < 0 else parts[2 * a + 1][:80] if a == b else \
                "".join(parts[2 * a + 1:2 * b + 2])[:80]
            counts = slot.counts
            if value in counts:  # Values.add's common case, inline: this runs per variable
                counts[value] += 1
                slot.total += 1
            else:
                slot.add(value)
        return pattern

    # ------------------------------------------------------------------ the tree

    def _leaf(self, tokens: list[str]) -> list[_Cluster]:
        node = self._root.setdefault(len(tokens), {})
        first = tokens[0] if tokens else ""
        if W in first or _DIGIT.search(first) or _DOTTED.fullmatch(first):
            first = W
        if first not in node and first != W and len(node) >= MAX_CHILDREN:
            first = W
        leaf = node.setdefault(first, [])
        return leaf  # type: ignore[return-value]

    def _cluster(self, tokens: list[str]) -> _Cluster | None:
        leaf = self._leaf(tokens)
        best, best_sim, best_wild = None, -1.0, -1
        for c in leaf:
            same = wild = 0
            for a, b in zip(c.tokens, tokens, strict=True):
                if a == W:
                    wild += 1
                elif a == b:
                    same += 1
            constants = len(tokens) - wild
            sim = same / constants if constants else 1.0
            if sim > best_sim or (sim == best_sim and wild > best_wild):
                best, best_sim, best_wild = c, sim, wild
        if best is not None and best_sim >= SIMILARITY:
            for pos, (a, b) in enumerate(zip(best.tokens, tokens, strict=True)):
                if a != b and a != W:
                    self._generalise(best, pos, a)
            return best
        if self.clusters >= MAX_CLUSTERS:
            return None
        self.clusters += 1
        cluster = _Cluster(list(tokens))
        leaf.append(cluster)
        return cluster

    def _generalise(self, cluster: _Cluster, pos: int, word: str) -> None:
        """Position ``pos`` differs for the first time: ``word``, what it held, becomes
        an alternative of every pattern the cluster has."""
        cluster.tokens[pos] = W
        cluster.version += 1
        if W in word:
            cluster.words[pos] = None  # it held a masked variable already
            return
        cluster.words[pos] = {word}
        patterns = list(cluster.patterns.values())
        cluster.patterns = {}
        for p in patterns:
            p.key = tuple(sorted((*p.key, (pos, word))))
            cluster.patterns[p.key] = p

    def _pattern(self, cluster: _Cluster, tokens: list[str]) -> Pattern | None:
        for pos, words in list(cluster.words.items()):
            if words is None:
                continue
            token = tokens[pos]
            if W in token:
                self._vary(cluster, pos)
            elif token not in words:
                words.add(token)
                if len(words) >= SPLIT:
                    self._vary(cluster, pos)
        key = tuple((pos, tokens[pos]) for pos, words in sorted(cluster.words.items())
                    if words is not None)
        pattern = cluster.patterns.get(key)
        if pattern is None:
            if len(self.patterns) >= MAX_PATTERNS:
                return None
            pattern = Pattern(len(self.patterns), cluster, key)
            self.patterns.append(pattern)
            cluster.patterns[key] = pattern
        return pattern

    def _vary(self, cluster: _Cluster, pos: int) -> None:
        """Position ``pos`` is a variable now: the patterns that differ only there merge,
        the words they held becoming the values of that variable."""
        cluster.words[pos] = None
        cluster.version += 1
        merged: dict[tuple[tuple[int, str], ...], Pattern] = {}
        for key, p in sorted(cluster.patterns.items(), key=lambda kv: kv[1].id):
            word = dict(key)[pos]
            rest = tuple(kw for kw in key if kw[0] != pos)
            values = Values()
            values.add(word[:80], p.count)
            into = merged.get(rest)
            if into is None:
                p.key = rest
                p.values.setdefault(pos, values)
                merged[rest] = p
            else:
                into.values.setdefault(pos, Values()).merge(values)
                into.absorb(p)
        cluster.patterns = merged

    def live(self) -> Iterator[Pattern]:
        """The patterns that absorbed no other's way (each line's pattern ends in one)."""
        return (p for p in self.patterns if p.forward is None)


def _plan(cluster: _Cluster, tokens: list[str], pattern: Pattern) -> _Plan:
    """Where each variable of ``pattern`` is in a message masked to ``tokens``: the
    range of masked pieces (numbered as ``VARIABLE.split`` returns them) it spans, or
    the constant word it is in every such message."""
    alternatives = {pos for pos, _ in pattern.key}
    plan: list[tuple[int, int, int, str]] = []
    var = 0
    for pos, (tmpl, token) in enumerate(zip(cluster.tokens, tokens, strict=True)):
        n = token.count(W)
        if W in tmpl and pos not in alternatives and len(plan) < MAX_SLOTS:
            if n:
                plan.append((pos, var, var + n - 1, ""))
            else:
                plan.append((pos, -1, -1, token))
        var += n
    return tuple(plan)
