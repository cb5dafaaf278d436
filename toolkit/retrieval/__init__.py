"""Ranked retrieval for short, badly typed support texts: BM25 over English and Chinese.

Used by symptom routing (``toolkit.playbook.suggest``) and the knowledge base
(``toolkit.kb.search``). A document is a list of (text, weight) fields; a weight
repeats the field's terms (BM25F in its simplest form: a title or keyword counts
more than a body). Terms:

- English: lower case, contractions folded, a few spellings joined (wi-fi → wifi,
  e-mail → email, log in → login), stop words dropped, a light stemmer (crashes,
  crashing, crashed → crash);
- Chinese: words from jieba (``_zh``), and the two-character pieces of longer
  words, so a word cut differently in the question and the article still meets.

Query words the index has never seen are corrected to the nearest indexed word
(edit distance 1, or 2 for long words: "pasword", "outlok", "calender"), which is
how typos still find their article. An unknown word with known parts stands for
them instead: a comparative its base ("slower" → "slow"), a Chinese word its known
two-character pieces or, failing those, its known characters (一卡一卡 → 卡).
Stretched letters are shortened ("sooo slooow" → "so slow"). Scores are plain
BM25 (b = 0.75; k1 = 1.2 unless the index is built with another).

``NaiveBayes`` is the other half for labelled texts: a multinomial naive Bayes
over the same terms, whose class probabilities tell how much a text's words as a
whole look like those of each label's examples (BM25 ranks by the rarest words
shared; the two err on different texts).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

K1, B = 1.2, 0.75
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")
_JOIN = ((re.compile(r"\bwi-?fi\b"), "wifi"), (re.compile(r"\be-mail"), "email"),
         (re.compile(r"\b(?:log|sign)[ -]?(?:in|on)\b"), "login"),
         (re.compile(r"\bout[ -]of[ -](?:the[ -])?office\b"), "outofoffice"),
         (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not"), (re.compile(r"n't\b"), " not"),
         (re.compile(r"'(?:s|re|ve|ll|d|m)\b"), ""), (re.compile(r"\bblue ?screen"), "bsod"),
         (re.compile(r"\bup[ -]?date"), "update"), (re.compile(r"\bpass ?word"), "password"),
         (re.compile(r"\bi/o\b"), "io"),
         (re.compile(r"\b(?:wont|cant|dont|doesnt|didnt|isnt|wasnt|couldnt|wouldnt|arent)\b"),
          "not"))
# Words on nearly every ticket say nothing about which one it is ("computer", "电脑").
STOP_EN = frozenset("""a an the to of my me i im is are was were be been am it its this that
these those and or in on at for with by from as our your you we he she they them his her
their there here so just also very really please pls hi hello thanks thank any some all
get got getting keep keeps kept still again now when what which who would could should
will shall do does did doing done have has had having if then than but about into out up
one mine us can not after before since only always even though like
anything ever computer pc laptop machine
recently lately today yesterday tomorrow morning afternoon evening tonight week day days hour hours
minute minutes second seconds twice times time every few last
how where what why""".split())
STOP_ZH = frozenset("的 了 我 你 他 她 是 在 吗 呢 啊 吧 呀 也 都 就 很 和 与 或 请 一下 一个 "
                    "这 那 不能 不 没有 有时候 有时 时候 经常 老是 一 上 下 里 中 后 前 时 得 "
                    "地 之 个 着 把 被 让 给 我的 你们 我们 还 又 再 能 会 要 想 有 没 说 好 太 "
                    "老 总是 "
                    "一直 现在 今天 怎么办 帮忙 麻烦 谢谢 您好 你好 电脑 笔记本 机器 "
                    # when and how often: on every kind of ticket
                    "最近 昨天 早上 上午 下午 晚上 刚才 一会儿 一会 会儿 每次 每天 几次 两次 "
                    "有点 好像 突然 莫名其妙 有些 一些 点 出 "
                    # question words: that a text asks is no clue to what it asks about
                    # (toolkit/playbook/suggest.py sees how-to questions on its own)
                    "怎么 如何 怎样 怎么样 请问 问下".split())


def stem(word: str) -> str:
    """A light English stemmer: enough to meet "crashes", "crashing" and "crash"."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ied", "y"), ("ed", ""),
                         ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                return word[:-1]  # "files" → "file", "boxes" → "box"
            base = word[: -len(suffix)] + keep
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and \
                    base[-1] not in "lsz":
                base = base[:-1]  # "dropping" → "drop"
            return base
    return word


_STRETCHED = re.compile(r"([a-z])\1{2,}")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = _STRETCHED.sub(r"\1", text)  # "sooo slooow" → "so slow"
    for pattern, repl in _JOIN:
        text = pattern.sub(repl, text)
    return text


def terms(text: str, pieces: bool = True) -> list[str]:
    """The index terms of ``text`` (see the module docstring)."""
    from toolkit.retrieval import _zh

    text = normalise(text)
    out: list[str] = []
    for m in _WORD.finditer(_CJK_RUN.sub(" ", text)):
        word = m.group(0)
        if word not in STOP_EN and len(word) > 1:
            out.append(stem(word))
    for run in _CJK_RUN.findall(text):
        for word in _zh.words(run):
            if word in STOP_ZH:
                continue
            out.append(word)
            if pieces and len(word) > 2:  # 浏览器 → 浏览, 览器: meets 浏览 in another text
                out += _zh.bigrams(word)
    return out


def _zh_pairs(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]




def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters counts one), or
    ``limit + 1`` once it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    matched: tuple[str, ...]


@dataclass
class Index:
    """BM25 over documents given as ``{id: [(text, weight), …]}``."""

    docs: dict[str, dict[str, float]] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    df: Counter[str] = field(default_factory=Counter)
    k1: float = K1  # higher: a term's frequency in a document counts longer

    @classmethod
    def build(cls, documents: dict[str, list[tuple[str, float]]], k1: float = K1) -> Index:
        """The index of ``documents``; ``k1``: BM25's term-frequency saturation."""
        index = cls(k1=k1)
        for doc_id, fields in documents.items():
            tf: dict[str, float] = {}
            for text, weight in fields:
                for term in terms(text):
                    tf[term] = tf.get(term, 0.0) + weight
            index.docs[doc_id] = tf
            index.lengths[doc_id] = int(sum(tf.values()))
            index.df.update(tf.keys())
        return index

    def _correct(self, term: str) -> str | None:
        """An unknown English word → the closest indexed one (typos), or None."""
        if term in self.df:
            return term
        if not term.isascii() or len(term) < 5 or term.isdigit():
            return None
        limit = 1 if len(term) < 7 else 2
        best: tuple[int, int, str] | None = None
        for known, n in self.df.items():
            if not known.isascii() or abs(len(known) - len(term)) > limit:
                continue
            d = edit_distance(term, known, limit)
            if d <= limit and (best is None or (d, -n) < best[:2]):
                best = (d, -n, known)
        return best[2] if best else None

    def _pieces(self, term: str) -> list[str]:
        """An unknown word's known parts: a comparative's base ("slower" → "slow"),
        or a Chinese word's known two-character pieces, else its known characters
        (一卡一卡 → 卡, 慢吞吞 → 慢): users repeat and pad words an index never holds."""
        if term.isascii():
            for end in ("er", "est", "ly"):
                base = term[: -len(end)]
                if term.endswith(end) and len(base) >= 3:
                    for cand in (base, base[:-1] if base[-1:] == base[-2:-1] else base,
                                 base + "e"):
                        if cand in self.df:
                            return [cand]
            return []
        found = [p for p in _zh_pairs(term) if p in self.df]
        return found or [c for c in dict.fromkeys(term) if c in self.df and c not in STOP_ZH]

    def query_terms(self, text: str) -> list[str]:
        out = []
        for term in terms(text):
            if term in self.df:
                out.append(term)
                continue
            parts = self._pieces(term)
            known = None if parts else self._correct(term)
            out += parts or ([known] if known else [])
        return out

    def search(self, text: str, limit: int = 10, prefer: Iterable[str] = ()) -> list[Hit]:
        """Documents ranked by BM25 for ``text``; only those sharing a term with it."""
        query = Counter(self.query_terms(text))
        if not query or not self.docs:
            return []
        n = len(self.docs)
        avg = sum(self.lengths.values()) / n or 1.0
        hits = []
        for doc_id, tf in self.docs.items():
            score, matched = 0.0, []
            norm = self.k1 * (1 - B + B * self.lengths[doc_id] / avg)
            for term, qtf in query.items():
                f = tf.get(term)
                if not f:
                    continue
                idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                score += qtf * idf * f * (self.k1 + 1) / (f + norm)
                matched.append(term)
            if score > 0:
                hits.append(Hit(doc_id, round(score, 3), tuple(matched)))
        order = {p: i for i, p in enumerate(prefer)}
        hits.sort(key=lambda h: (-h.score, order.get(h.id, len(order)), h.id))
        return hits[:limit]


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes over ``terms``, with additive smoothing ``alpha``."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    alpha: float = 0.5

    @classmethod
    def build(cls, labelled: dict[str, list[str]], alpha: float = 0.5) -> NaiveBayes:
        """From ``{label: [text, …]}``; labels without a text are left out."""
        model = cls(alpha=alpha)
        for label, texts in labelled.items():
            counts: Counter[str] = Counter()
            for text in texts:
                counts.update(terms(text))
            if counts:
                model.counts[label] = counts
                model.totals[label] = sum(counts.values())
                model.vocabulary |= set(counts)
        return model

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability for ``text`` (uniform priors), or ``{}`` when none
        of its terms was ever seen."""
        seen = [t for t in terms(text) if t in self.vocabulary]
        if not seen:
            return {}
        size = self.alpha * len(self.vocabulary)
        logp = {label: sum(math.log((counts[t] + self.alpha) / (self.totals[label] + size))
                           for t in seen)
                for label, counts in self.counts.items()}
        top = max(logp.values())
        weights = {label: math.exp(v - top) for label, v in logp.items()}
        total = sum(weights.values())
        return {label: w / total for label, w in weights.items()}
