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



_INDEX: dict[object, Any] = {}


def _index(table: dict[str, Article]) -> Any:
    """BM25 over the articles (``toolkit.retrieval``): title and keywords weigh three
    times the text; rebuilt when an article file changes."""
    from toolkit.retrieval import Index

    key = tuple(sorted((a.id, str(a.path), a.path.stat().st_mtime if a.path.exists() else 0)
                       for a in table.values()))
    if key not in _INDEX:
        docs = {}
        for art in table.values():
            fields = [(t, 3.0) for t in art.title.values()]
            fields += [(k, 3.0) for k in art.keywords]
            fields += [(b, 1.0) for b in art.body.values()]
            docs[art.id.upper()] = fields
        _INDEX.clear()
        _INDEX[key] = Index.build(docs)
    return _INDEX[key]


def search(query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Articles ranked for ``query`` (an id, or a question in English or Chinese)."""
    table = articles()
    exact = table.get(query.strip().upper())
    hits = _index(table).search(query, limit=max(limit, 10))
    out: list[dict[str, Any]] = []
    for hit in hits:
        art = table[hit.id]
        out.append({"id": art.id, "title": art.title, "category": art.category,
                    "score": hit.score, "path": str(art.path)})
    if exact is not None:
        out = [a for a in out if a["id"] != exact.id]
        out.insert(0, {"id": exact.id, "title": exact.title, "category": exact.category,
                       "score": max([a["score"] for a in out] + [0.0]) + 1, "path":
                       str(exact.path)})
    # Keep the clearly relevant: a passing mention in the text is not a match.
    best = out[0]["score"] if out else 0
    return [a for a in out if a["score"] >= best / 4][:limit]


def first_steps(body: str, limit: int = 3) -> list[str]:
    """The first numbered or bulleted lines of an article, each on one line: what the
    howto run shows of the article it found."""
    steps: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        m = re.match(r"^\s*(?:\d+[.)]|[-*])\s+(.*)", line)
        if m:
            if len(steps) == limit:
                break
            current = [m.group(1)]
            steps.append("")
        elif current is not None and line.strip() and line.startswith(" "):
            current.append(line.strip())
        else:
            current = None if not line.strip() else current
        if current is not None and steps:
            steps[-1] = " ".join(current).replace("**", "")
    return [s for s in steps if s]
