"""Which playbook fits a symptom? BM25 retrieval over the playbooks' own words.

Used by ``supportkit run`` without a playbook. Each playbook is one document: its
title (both languages) and ``keywords`` weigh most, then its subcategories,
category and description, and the phrases of the classification dictionary
(``toolkit/tickets/classification.yaml``, or a site's own) whose subcategory maps to
it, which the caller passes in as ``phrases``, and the labelled phrasings of
``examples.tsv`` (how users described the problems this playbook solved). The
symptom is the query
(``toolkit.retrieval``: stemming, Chinese words from jieba, typo correction).

Four things on top of that BM25:

- the labelled phrasings are also searched one by one, and a playbook whose
  phrasing comes close to the symptom gains (``KNN``, ``LAM``);
- a naive Bayes model of the labelled phrasings adds ``MU`` × the probability
  that the symptom's words as a whole are those of a playbook's users (BM25 goes
  by the rarest shared word; one odd word weighs less here);
- a few ways of saying one symptom are folded to one word in the index and the
  query alike (``_SAME``: "won't boot", "the disk is full", 满了/爆满/写满), as
  single words lose the order and the negation;
- a symptom that only says something is wrong ("not working right", 电脑有些异常,
  ``VAGUE``) goes to the general triage rather than to the fault that happens to
  share a filler word; a how-to question answered by a how-to article goes to
  the how-to playbook.

The accuracy on a labelled set of help-desk phrasings is measured in
``tests/test_routing.py`` and written in the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.playbook import Playbook


@dataclass(frozen=True)
class Suggestion:
    playbook: str
    title: str
    score: float
    matched: tuple[str, ...]


def all_playbooks() -> list[Playbook]:
    """Every valid playbook, the user's first (an invalid one is left out here;
    'supportkit playbook list' reports it)."""
    from toolkit import playbook as pbmod
    from toolkit.errors import PlaybookInvalid

    mine = sorted(pbmod.user_dir().glob("*.yaml"))
    paths = mine + [p for p in pbmod.shipped() if p.stem not in {m.stem for m in mine}]
    out = []
    for path in paths:
        try:
            out.append(pbmod.load(path))
        except PlaybookInvalid:
            continue
    return out


_INDEXES: dict[object, object] = {}
# Chosen by leave-one-set-out cross-validation on the labelled sets 4 to 7 (each
# measured with the others in the index: K1, KNN, LAM are flat around these values;
# MU 1.0-2.0 gave 95.8-96.0 % against 95.0 % without it; 97.5 % with the training
# phrasings added), never on the set the tests measure.
K1 = 3.0  # BM25 saturation: a word said often for a playbook keeps counting
KNN = 5  # labelled phrasings consulted one by one
LAM = 0.6  # their weight against the playbook documents' BM25
MU = 1.5  # the naive Bayes probability's weight (its smoothing: NB_ALPHA)
NB_ALPHA = 0.5


def examples() -> dict[str, list[str]]:
    """Labelled phrasings by playbook: ``examples.tsv`` beside this module, then a
    site's own ``$SUPPORTKIT_HOME/examples.tsv`` (same format: playbook, tab, phrase)."""
    from importlib import resources

    from toolkit import paths

    texts = [resources.files("toolkit.playbook").joinpath("examples.tsv").read_text("utf-8")]
    site = paths.home() / "examples.tsv"
    if site.is_file():
        try:
            texts.append(site.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass  # a broken site file must not stop routing
    out: dict[str, list[str]] = {}
    for text in texts:
        for line in text.splitlines():
            book, tab, phrase = line.partition("\t")
            if tab and not line.startswith("#") and phrase.strip():
                out.setdefault(book.strip(), []).append(phrase.strip())
    return out


# Ways of saying the same symptom, folded to one before indexing and searching (the
# folded word is added, the user's words stay): word order and negation that single
# words lose ("won't boot" is not "boot", "freezes for a few seconds" is not a
# crash), error names (ENOSPC), and Chinese variants of "full", "won't start", "not
# recognised" and 卡一下 that segment into different words.
_SAME = tuple((re.compile(p), w) for p, w in (
    (r"\b(?:not|never|won'?t|doesn'?t|didn'?t|can'?t|cannot|unable to|fails? to)\s+"
     r"(?:even\s+)?(?:boot|start|load|turn on|power on|come on|get past)\w*", " noboot "),
    (r"\b(?:disk|drive|storage|partition|filesystem|volume|ssd|hdd|[a-z]:)\s+"
     r"(?:is\s+|got\s+|are\s+)?(?:almost\s+|nearly\s+|completely\s+)?"
     r"(?:full|filled|maxed|out of space)", " diskfull "),
    (r"\b(?:no|not enough|low|out of|ran out of|running out of)\s+(?:free\s+|disk\s+)?"
     r"(?:space|storage|room)", " diskfull "),
    (r"\benospc\b", " diskfull "),
    # a mount point said to be full ("/boot is full", "/var filled up")
    (r"(?:^|\s)/[a-z0-9_./-]*\s+(?:is\s+|got\s+|has\s+)?(?:almost\s+|nearly\s+|completely\s+)?"
     r"(?:full|filled|out of space)", " diskfull "),
    # memory, not the disk, is full ("RAM is maxed", 内存占满)
    (r"(?:内存|\bram\b|\bmemory\b)[^,.，。]{0,12}?(?:占满|满了|爆满|快满|full|maxed|used up|"
     r"(?:completely|almost|all)\s+used|at 100|100 ?%)", " memfull "),
    # the network's speed, not the machine's ("downloads crawl", 网速慢, 网页要半天)
    (r"\b(?:download|upload|internet|network|connection|bandwidth|wifi|speed ?test|web ?page)"
     r"\w*\b[^.?!]{0,25}?\b(?:slow|crawl|terrible|sluggish|lag)\w*", " netslow "),
    (r"\b(?:slow|sluggish|laggy)\s+(?:internet|network|connection|wifi|download|upload)",
     " netslow "),
    (r"网速|网络?(?:很|特别|超级|非常|太)?慢|(?:下载|上传)(?:速度)?(?:很|特别|超级|非常|太)?慢"
     r"|网页.{0,6}(?:半天|好久|很久)", " netslow "),
    # a program that will not start (not the machine: "Outlook won't open", 微信打不开)
    (r"\b(?:outlook|excel|word|powerpoint|teams|zoom|chrome|firefox|edge|safari|app|application"
     r"|program|software|client)\b[^.?!]{0,20}?\b(?:won'?t|doesn'?t|does not|will not|can'?t|"
     r"cannot|fails? to|refuses to)\s+(?:start|open|launch|load|run)", " appnostart "),
    (r"[a-z]{3,}\s*(?:一打开就|打不开|启动不了|无法启动|开不了|起不来)|(?:无法启动|打不开)\s*"
     r"(?:microsoft\s*)?[a-z]{3,}", " appnostart "),
    (r"\b(?:freez|hang|stutter|lag|stall|stuck|pause)\w*\b.{0,25}?\b(?:a |few |couple of |\d+ )?"
     r"(?:second|sec)s?\b", " briefhang "),
    (r"(?:卡住|卡|停|顿)(?:一下|几秒|个?几秒钟?|一两秒)", " 卡顿 "),
    (r"\b(?:not|no longer|never|doesn'?t|isn'?t|won'?t|can'?t)\s+(?:be\s+)?"
     r"(?:show(?:s|ing)? up|detected|detect|recogni[sz]ed|recogni[sz]e|appear\w*|mount\w*)",
     " undetected "),
    (r"(?:识别不到|认不出|不识别|检测不到|不显示|找不到硬盘|读不出)", " 识别不到 "),
    (r"(?:满了|爆满|写满|快满|占满|已满|不够用了|没空间|没地方|放不下|装不下|存不下|不够放)",
     " 满 "),
    (r"(?:开不了机|开不开机|起不来|进不去系统|进不了系统|启动不了|无法开机|不能开机)",
     " 无法启动 "),
))


def _fold(text: str) -> str:
    for pattern, word in _SAME:
        if pattern.search(text.lower()):
            text = f"{text} {word}"
    return text


def _index(playbooks: list[Playbook],
           phrases: dict[str, list[str]]) -> tuple[object, object, object]:
    """The index of these playbooks, the index of their labelled phrasings one by
    one, and the naive Bayes model of those phrasings (built once per set of files
    and phrases)."""
    from toolkit.retrieval import Index, NaiveBayes

    key = (tuple((pb.id, pb.sha256) for pb in playbooks),
           tuple(sorted((k, tuple(v)) for k, v in phrases.items())))
    if key in _INDEXES:
        return _INDEXES[key]  # type: ignore[return-value]
    extra = phrases
    labelled = examples()
    docs: dict[str, list[tuple[str, float]]] = {}
    for pb in playbooks:
        fields = [(text, 3.0) for _, text in pb.title.values]
        fields += [(kw, 3.0) for kw in pb.keywords]
        fields += [(sub.replace("-", " "), 1.0) for sub in pb.subcategories]
        fields.append((pb.category, 1.0))
        if pb.description:
            fields += [(text, 1.0) for _, text in pb.description.values]
        fields += [(p, 2.0) for p in extra.get(pb.id, ())]
        fields += [(p, 1.0) for p in labelled.get(pb.id, ())]
        docs[pb.id] = [(_fold(text), weight) for text, weight in fields]
    _INDEXES.clear()  # one set of playbooks per process, in practice
    single = {f"{book}\t{i}": [(_fold(p), 1.0)] for book, ps in labelled.items()
              if book in docs for i, p in enumerate(ps)}
    single.update({f"{book}\t+{i}": [(_fold(p), 1.0)] for book, ps in extra.items()
                   if book in docs for i, p in enumerate(ps)})
    model = NaiveBayes.build({book: [_fold(p) for p in ps] for book, ps in labelled.items()
                              if book in docs}, alpha=NB_ALPHA)
    _INDEXES[key] = (Index.build(docs, k1=K1), Index.build(single), model)
    return _INDEXES[key]  # type: ignore[return-value]


def rank(symptom: str, playbooks: list[Playbook], lang: str = "en",
         phrases: dict[str, list[str]] | None = None) -> list[Suggestion]:
    """Playbooks ordered by how well they fit ``symptom``; only those with a match.
    ``phrases``: more words per playbook id (the classification dictionary's)."""
    from toolkit.retrieval import Hit, Index, NaiveBayes

    index, near, model = _index(playbooks, phrases or {})
    assert isinstance(index, Index) and isinstance(near, Index)
    assert isinstance(model, NaiveBayes)
    titles = {pb.id: pb.title.get(lang) for pb in playbooks}
    folded = _fold(symptom)
    hits = index.search(folded, limit=len(playbooks))
    if KNN and hits:
        # The playbooks' BM25, each relative to the best, plus LAM × how close the
        # nearest labelled phrasing of that playbook comes among the KNN nearest
        # (relative to the nearest of all): a phrasing close to one a user once wrote
        # counts, and one odd word shared with a long document counts less.
        votes: dict[str, float] = {}
        close = near.search(folded, limit=KNN)
        if close:
            top_near = close[0].score
            for h in close:
                book = h.id.split("\t")[0]
                votes[book] = max(votes.get(book, 0.0), h.score / top_near)
        top = hits[0].score
        likely = model.probabilities(folded) if MU else {}
        merged = {h.id: h.score / top + LAM * votes.get(h.id, 0.0)
                  + MU * likely.get(h.id, 0.0) for h in hits}
        hits = sorted((Hit(h.id, round(merged[h.id], 3), h.matched) for h in hits),
                      key=lambda h: -h.score)
    found = [Suggestion(h.id, titles[h.id], h.score, h.matched) for h in hits]
    general = next((pb.id for pb in playbooks if pb.category == "general"), None)
    if general is not None and (not found or found[0].playbook != general) \
            and _vague(symptom, index, general):
        # Only words that say something is wrong, not what: the general triage, which
        # looks at everything, rather than whichever fault shares a filler word.
        mine = next((s for s in found if s.playbook == general), None)
        top = found[0].score if found else 0.0
        found = [Suggestion(general, titles[general], round(top + 1, 3),
                            mine.matched if mine else ())] + \
            [s for s in found if s.playbook != general]
    howto = next((pb for pb in playbooks if pb.category == "howto"), None)
    if howto is not None and asks_how(symptom):
        answer = _howto_answer(symptom)
        if answer:
            # A question whose best answer is a how-to article: the how-to playbook
            # (which shows that article), ahead of faults sharing a word ("network").
            rest = [s for s in found if s.playbook != howto.id]
            top = max([s.score for s in found] + [0.0])
            found = [Suggestion(howto.id, titles[howto.id], round(top + 1, 3),
                                (answer,))] + rest
    return found


# "How do I …", "where can I …", 如何/怎么/怎样 … — but not 怎么办 / 怎么回事 ("what now").
_HOW = re.compile(r"\b(?:how (?:do|can|could|should|would|to)|how'?s|where (?:can|do|is)|"
                  r"is there a way|what'?s the way|show me how|steps to)\b"
                  r"|如何|怎样|怎么(?!办|回事|了|搞的)|(?:在哪|哪里)(?!不对|有问题|出了?问题|坏了?|不正常)"
                  r"|教我|步骤")


# Words that say something is wrong without saying what (folded as the index folds
# them: "issues" → "issue", "working" → "work"), and words of not knowing.
VAGUE = frozenset("""problem issue wrong weird weirdly strange odd oddly off right work
function properly normal normally fine behave behav misbehav act funny idea sure know
unsure glitch glitchy trouble no
问题 毛病 异常 不对 不对劲 对劲 不正常 正常 怪 怪怪的 奇怪 不太对 知道 不知道 清楚 说不清
不好使 不好用 故障 状况 情况 哪里 什么""".split())


def _vague(symptom: str, index: object, general: str) -> bool:
    """Whether ``symptom`` says only that something is wrong: it has a vague word,
    and no other word the index knows from a playbook other than ``general``."""
    from toolkit.retrieval import Index, terms

    assert isinstance(index, Index)
    known = index.query_terms(symptom)
    if not any(t in VAGUE for t in terms(symptom)):
        return False
    return all(t in VAGUE or "_" in t or
               not any(t in tf for d, tf in index.docs.items() if d != general)
               for t in known)


def asks_how(text: str) -> bool:
    """Whether ``text`` is phrased as a how-to question."""
    return bool(_HOW.search(text.lower()))


def _howto_answer(question: str) -> str | None:
    """The id of the how-to article that best answers ``question``, when the best
    article of the knowledge base is one (a fault article means a fault)."""
    from toolkit import kb

    best = kb.search(question, limit=1)  # broken site articles are left out there
    return best[0]["id"] if best and best[0]["category"] == "howto" else None
