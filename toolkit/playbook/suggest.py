"""Which playbook fits a symptom? A keyword match over the playbooks' own metadata.

Used by ``supportkit run`` without a playbook. Each playbook's ``keywords``
(English and Chinese words and phrases), its title, subcategories and
category are matched against the described symptom: Latin-script keywords as
whole words (stemming "crashes" to "crash" is not attempted: list the forms),
Chinese ones as substrings (Chinese has no spaces between words). Phrases
weigh more than single words; the title counts less than the keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.lang import is_cjk
from toolkit.playbook import Playbook

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


@dataclass(frozen=True)
class Suggestion:
    playbook: str
    title: str
    score: float
    matched: tuple[str, ...]



def _hits(term: str, text: str, words: set[str]) -> bool:
    term = term.lower().strip()
    if not term:
        return False
    if is_cjk(term):
        return term in text
    parts = _WORD.findall(term)
    if len(parts) == 1:
        return parts[0] in words
    return re.search(r"(?<![a-z0-9])" + r"\W+".join(map(re.escape, parts)) + r"(?![a-z0-9])",
                     text) is not None


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


def rank(symptom: str, playbooks: list[Playbook], lang: str = "en") -> list[Suggestion]:
    """Playbooks ordered by how well they fit ``symptom``; only those with a match."""
    text = symptom.lower()
    words = set(_WORD.findall(text))
    out = []
    for pb in playbooks:
        score, matched = 0.0, []
        for kw in pb.keywords:
            if _hits(kw, text, words):
                weight = 2.0 if (" " in kw.strip() or (is_cjk(kw) and len(kw) >= 3)) else 1.0
                score += weight
                matched.append(kw)
        for term in (*pb.subcategories, pb.category):
            if _hits(term.replace("-", " "), text, words):
                score += 0.5
                matched.append(term)
        title_words = {w for t in pb.title.values for w in _WORD.findall(t[1].lower())
                       if len(w) > 3}
        shared = title_words & words
        score += 0.25 * len(shared)
        matched.extend(sorted(shared))
        if score > 0:
            unique = tuple(dict.fromkeys(matched))
            out.append(Suggestion(pb.id, pb.title.get(lang), round(score, 2), unique))
    return sorted(out, key=lambda s: (-s.score, s.playbook))
