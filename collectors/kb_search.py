"""kb.search — the knowledge-base articles that answer a question.

Searches the shipped articles and the team's own (``$SUPPORTKIT_HOME/kb``)
by id, keywords, title and text, English and Chinese. Collects nothing from
the machine: it is how a how-to question is answered from what the team
already wrote down.

Output::

    {
      "query": "share my calendar",
      "articles": [{"id": "KB-HOWTO-001", "title": "…", "category": "howto",
                    "score": 6.5, "summary": "the article's first paragraph"}]
    }
"""

from __future__ import annotations

from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan
from toolkit.schema import NUM, STR, arr, obj

OUTPUT = obj(query=STR, articles=arr(obj(id=STR, title=STR, category=STR, score=NUM,
                                         summary=STR)))


def first_paragraph(body: str, limit: int = 400) -> str:
    """The first paragraph of an article, on one line, cut at ``limit`` characters."""
    para = next((p for p in body.strip().split("\n\n") if p.strip()), "")
    text = " ".join(para.replace("**", "").replace("__", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["searches the knowledge base shipped with supportkit; reads nothing "
                       "of this machine"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    from toolkit import kb

    query = (params.get("query") or "").strip()
    if not query:
        raise Failed("no question given — pass it as query=")
    lang = params["lang"]
    found = []
    for hit in kb.search(query, limit=params["limit"]):
        article = kb.get(hit["id"])
        found.append({"id": hit["id"], "title": article.text(lang, "title"),
                      "category": hit["category"], "score": hit["score"],
                      "summary": first_paragraph(article.text(lang))})
    return {"query": query, "articles": found}


COLLECTOR = Collector(
    name="kb.search",
    output=OUTPUT,
    summary="Knowledge-base articles that answer a question (no machine data)",
    gather=gather,
    params=(Param("query", "str", None, "the question, in the user's words"),
            Param("limit", "int", 3, "at most this many articles", min=1, max=100),
            Param("lang", "str", "en", "language of titles and summaries",
                  choices=("en", "zh"))),
    plan=plan,
    doc=__doc__ or "",
)
