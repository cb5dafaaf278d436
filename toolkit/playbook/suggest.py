"""Which playbook fits a symptom? BM25 retrieval over the playbooks' own words.

Used by ``supportkit run`` without a playbook. Each playbook is one document: its
title (both languages) and ``keywords`` weigh most, then its subcategories,
category and description, and the phrases of the classification dictionary
(``toolkit/tickets/classification.yaml``, or a site's own) whose subcategory maps to
it, which the caller passes in as ``phrases``, and the labelled phrasings of
``examples.tsv`` (how users described the problems this playbook solved). The
symptom is the query
(``toolkit.retrieval``: stemming, Chinese words from jieba, typo correction).
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


def _index(playbooks: list[Playbook], phrases: dict[str, list[str]]) -> object:
    """The index of these playbooks (built once per set of files and phrases)."""
    from toolkit.retrieval import Index

    key = (tuple((pb.id, pb.sha256) for pb in playbooks),
           tuple(sorted((k, tuple(v)) for k, v in phrases.items())))
    if key in _INDEXES:
        return _INDEXES[key]
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
        docs[pb.id] = fields
    _INDEXES.clear()  # one set of playbooks per process, in practice
    _INDEXES[key] = Index.build(docs)
    return _INDEXES[key]


def rank(symptom: str, playbooks: list[Playbook], lang: str = "en",
         phrases: dict[str, list[str]] | None = None) -> list[Suggestion]:
    """Playbooks ordered by how well they fit ``symptom``; only those with a match.
    ``phrases``: more words per playbook id (the classification dictionary's)."""
    from toolkit.retrieval import Index

    index = _index(playbooks, phrases or {})
    assert isinstance(index, Index)
    titles = {pb.id: pb.title.get(lang) for pb in playbooks}
    found = [Suggestion(h.id, titles[h.id], h.score, h.matched)
             for h in index.search(symptom, limit=len(playbooks))]
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
                  r"|如何|怎样|怎么(?!办|回事|了|搞的)|在哪|哪里|教我|步骤")


def asks_how(text: str) -> bool:
    """Whether ``text`` is phrased as a how-to question."""
    return bool(_HOW.search(text.lower()))


def _howto_answer(question: str) -> str | None:
    """The id of the how-to article that best answers ``question``, when the best
    article of the knowledge base is one (a fault article means a fault)."""
    from toolkit import kb

    best = kb.search(question, limit=1)  # broken site articles are left out there
    return best[0]["id"] if best and best[0]["category"] == "howto" else None
