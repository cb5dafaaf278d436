"""The knowledge base: Markdown articles with front matter, in English and Chinese.

An article is a ``.md`` file::

    ---
    id: KB-DISK-001
    title: {en: Free up disk space, zh: 释放磁盘空间}
    category: hardware
    keywords: [disk full, no space left, 磁盘已满]
    ---
    <!-- en -->
    English text …
    <!-- zh -->
    中文内容 …

Shipped articles live in ``toolkit/kb/`` (the self-help steps playbooks point
to with ``kb:``); a team's own, including drafts written by ``ticket close
--kb``, in ``$SUPPORTKIT_HOME/kb/`` and take precedence on the same id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput, did_you_mean
from toolkit.lang import is_cjk

SHIPPED = Path(__file__).resolve().parent.parent / "kb"
_SECTION = re.compile(r"^<!--\s*(en|zh)\s*-->\s*$", re.M)


@dataclass
class Article:
    id: str
    title: dict[str, str]
    category: str
    keywords: list[str]
    body: dict[str, str]
    path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str, part: str = "body") -> str:
        table = self.body if part == "body" else self.title
        return table.get(lang) or table.get("en") or next(iter(table.values()), "")

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "category": self.category,
                "keywords": self.keywords, "body": self.body, "path": str(self.path),
                **self.extra}


def user_dir() -> Path:
    from toolkit import paths

    return paths.home() / "kb"


def parse(text: str, path: Path) -> Article:
    import yaml

    if not text.startswith("---"):
        raise ValueError("no front matter (the file must start with ---)")
    _, head, body = text.split("---", 2)
    meta = yaml.safe_load(head) or {}
    if not isinstance(meta, dict) or not meta.get("id"):
        raise ValueError("front matter needs id, title, category and keywords")
    title = meta.get("title") or meta["id"]
    title = dict(title) if isinstance(title, dict) else {"en": str(title)}
    parts = _SECTION.split(body)
    sections = {"en": parts[0].strip()} if parts[0].strip() else {}
    for lang, content in zip(parts[1::2], parts[2::2], strict=False):
        sections[lang] = content.strip()
    extra = {k: v for k, v in meta.items() if k not in ("id", "title", "category", "keywords")}
    return Article(str(meta["id"]), {k: str(v) for k, v in title.items()},
                   str(meta.get("category") or ""), [str(k) for k in meta.get("keywords") or []],
                   sections, path, extra)


def articles() -> dict[str, Article]:
    """Every readable article by id; the user's folder wins over shipped ones."""
    found: dict[str, Article] = {}
    for folder in (SHIPPED, user_dir()):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                art = parse(path.read_text(encoding="utf-8"), path)
            except (OSError, UnicodeDecodeError, ValueError, Exception):
                continue  # a broken draft must not hide the others; 'kb show' names it
            found[art.id.upper()] = art
    return found


def get(article_id: str) -> Article:
    table = articles()
    art = table.get(article_id.strip().upper())
    if art is None:
        raise BadInput(f"no knowledge-base article {article_id}"
                       f"{did_you_mean(article_id.upper(), list(table))}",
                       "'supportkit kb search TEXT' finds articles")
    return art



def _terms(query: str) -> list[str]:
    q = query.lower()
    terms = re.findall(r"[a-z0-9][a-z0-9._-]*", q)
    for run in re.findall(r"[\u3400-\u9fff]+", q):
        # Chinese has no spaces: search the run and its two-character pieces.
        terms.append(run)
        terms += [run[i:i + 2] for i in range(len(run) - 1)] if len(run) > 2 else []
    stop = {"the", "a", "an", "to", "of", "my", "is", "how", "do", "i", "and", "in", "on",
            "it", "not", "does", "can", "for", "with", "out", "up"}
    return [t for t in dict.fromkeys(terms) if t not in stop]


def search(query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Articles ranked by where the query's words appear: id, keywords, title, text."""
    terms = _terms(query)
    out: list[dict[str, Any]] = []
    for art in articles().values():
        keywords = " ".join(art.keywords).lower()
        title = " ".join(art.title.values()).lower()
        body = " ".join(art.body.values()).lower()
        score = 0.0
        for t in terms:
            if t == art.id.lower():
                score += 10
            # English words match at a word start ("lock" finds "locked", "out" not
            # "timeout"); Chinese has no word boundaries, so substrings.
            pat = re.compile(re.escape(t) if is_cjk(t) else rf"(?<![a-z0-9]){re.escape(t)}")
            score += (3 * bool(pat.search(keywords)) + 2 * bool(pat.search(title))
                      + 0.5 * min(len(pat.findall(body)), 4))
        phrase = query.strip().lower()
        if phrase and phrase in keywords:
            score += 5
        if score > 0:
            out.append({"id": art.id, "title": art.title, "category": art.category,
                        "score": round(score, 2), "path": str(art.path)})
    out.sort(key=lambda a: (-a["score"], a["id"]))
    # Keep the clearly relevant: a passing mention in the text is not a match.
    best = out[0]["score"] if out else 0
    return [a for a in out if a["score"] >= best / 4][:limit]
