"""Classification (docs/support-process.md step 2): free text → category, subcategory, playbook.

The dictionary is data, ``classification.yaml`` beside this module (a site may
put its own in ``$SUPPORTKIT_HOME/classification.yaml``). Scoring is plain
and explainable: each matched phrase adds its weight (longer phrases more),
the category with the highest sum wins, its best subcategory is named, and
``matched`` lists the phrases so a person can see why. ``confidence`` is the
winner's share of all points, damped when the evidence is a single weak word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput
from toolkit.lang import is_cjk

DATA = Path(__file__).resolve().parent / "classification.yaml"

# Contractions and spellings folded before matching, so the dictionary lists one form.
_FOLD = (("’", "'"), ("can't", "cannot"), ("can not", "cannot"), ("won't", "will not"),
         ("doesn't", "does not"), ("don't", "do not"), ("isn't", "is not"),
         ("didn't", "did not"), ("aren't", "are not"), ("wasn't", "was not"),
         ("couldn't", "could not"), ("i'm", "i am"), ("log on", "logon"))


@dataclass(frozen=True)
class Phrase:
    text: str
    category: str
    subcategory: str
    weight: float
    pattern: re.Pattern[str] | None  # None: Chinese substring


@dataclass(frozen=True)
class Dictionary:
    phrases: tuple[Phrase, ...]
    playbooks: dict[tuple[str, str], tuple[str, ...]]
    titles: dict[str, dict[str, str]]



def _pattern(text: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in text.split()]
    body = r"\s+".join(words)
    ending = r"(?:s|es|ed|d|ing)?" if text[-1].isalpha() else ""
    return re.compile(rf"(?<![a-z0-9]){body}{ending}(?![a-z0-9])")


def _weight(text: str) -> float:
    if is_cjk(text):
        return 1.0 + 0.25 * max(0, len(text) - 2)
    return 1.0 + 0.5 * (len(text.split()) - 1)


def _build(raw: Any, source: Path) -> Dictionary:
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), dict):
        raise BadInput(f"{source}: not a classification dictionary",
                       "it needs 'categories:' with subcategories and keywords")
    phrases, playbooks, titles = [], {}, {}
    seen: set[tuple[str, str]] = set()
    for cat, spec in raw["categories"].items():
        titles[cat] = dict(spec.get("title") or {})
        scale = float(spec.get("weight", 1.0))
        for sub, sspec in (spec.get("subcategories") or {}).items():
            playbooks[(cat, sub)] = tuple(sspec.get("playbook") or ())
            for lang in ("en", "zh"):
                for item in sspec.get(lang) or ():
                    text = str(item).strip().lower()
                    if not text or (cat, text) in seen:  # e.g. "VPN" listed as zh too
                        continue
                    seen.add((cat, text))
                    pat = None if is_cjk(text) else _pattern(_fold(text))
                    phrases.append(Phrase(text, cat, sub, _weight(text) * scale, pat))
    return Dictionary(tuple(phrases), playbooks, titles)


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> Dictionary:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadInput(f"{path}: cannot read the classification dictionary ({exc})",
                       "fix or remove the file") from None
    return _build(raw, path)


def dictionary() -> Dictionary:
    from toolkit import paths

    site = paths.home() / "classification.yaml"
    path = site if site.is_file() else DATA
    return _load(path, path.stat().st_mtime)


def category_title(category: str, lang: str) -> str | None:
    """A category's title in ``lang`` from the dictionary in use (a site's own first),
    None when it has none."""
    try:
        return dictionary().titles.get(category, {}).get(lang) or None
    except BadInput:  # a broken site dictionary: the id is shown, the command goes on
        return None


def _fold(text: str) -> str:
    text = text.lower()
    for a, b in _FOLD:
        text = text.replace(a, b)
    return text


def _installed(playbook_id: str) -> bool:
    from toolkit import playbook

    return any((folder / f"{playbook_id}.yaml").is_file()
               for folder in (playbook.user_dir(), *{p.parent for p in playbook.shipped()}))


def classify(text: str) -> dict[str, Any]:
    """``{category, subcategory, playbook, confidence, matched}``; category None when
    nothing matched."""
    d = dictionary()
    folded = _fold(text)
    cats: dict[str, float] = {}
    subs: dict[tuple[str, str], float] = {}
    matched: list[tuple[float, str, str]] = []
    for p in d.phrases:
        hit = (p.text in folded) if p.pattern is None else bool(p.pattern.search(folded))
        if not hit:
            continue
        cats[p.category] = cats.get(p.category, 0.0) + p.weight
        subs[(p.category, p.subcategory)] = subs.get((p.category, p.subcategory), 0) + p.weight
        matched.append((p.weight, p.category, p.text))
    if not cats:
        return {"category": None, "subcategory": None, "playbook": None, "confidence": 0.0,
                "matched": [], "scores": {}}
    # Ties go to the category listed first in the dictionary (hardware before software…).
    order = list(d.titles)
    best = max(cats, key=lambda c: (cats[c], -order.index(c)))
    sub = max((s for c, s in subs if c == best), key=lambda s: subs[(best, s)])
    share = cats[best] / sum(cats.values())
    confidence = round(share * min(1.0, cats[best] / 2.0), 2)
    playbook = next((p for p in d.playbooks.get((best, sub), ()) if _installed(p)), None)
    return {"category": best, "subcategory": sub, "playbook": playbook,
            "confidence": confidence,
            "matched": [t for _, c, t in sorted(matched, key=lambda m: -m[0]) if c == best],
            "scores": {c: round(v, 2) for c, v in sorted(cats.items(), key=lambda kv: -kv[1])}}


def playbook_for(category: str | None, subcategory: str | None) -> str | None:
    """The installed playbook a category (and subcategory) maps to."""
    if not category:
        return None
    d = dictionary()
    keys = [(category, subcategory)] if subcategory else []
    keys += [k for k in d.playbooks if k[0] == category]
    for key in keys:
        for p in d.playbooks.get(key, ()):
            if _installed(p):
                return p
    return None


def playbook_phrases() -> dict[str, list[str]]:
    """The dictionary's phrases by the playbook they lead to (the first installed one of
    each subcategory): what symptom routing adds to the playbooks' own words."""
    d = dictionary()
    # How-to questions lead to no fault playbook (classify says so), but a guided run
    # answers them from the knowledge base: the howto playbook.
    target = {key: next((p for p in books or (("howto",) if key[0] == "howto" else ())
                         if _installed(p)), None)
              for key, books in d.playbooks.items()}
    out: dict[str, list[str]] = {}
    for phrase in d.phrases:
        book = target.get((phrase.category, phrase.subcategory))
        if book:
            out.setdefault(book, []).append(phrase.text)
    return out


def subcategories(category: str) -> list[str]:
    return [s for c, s in dictionary().playbooks if c == category]
