"""``ticket export``: the escalation package — what L2 needs to act, for pasting
into any tracker (Markdown), mailing or printing (HTML), or a script (JSON).

Both text formats render the same sections, built once here: the headline,
the clocks, the escalation (target, reason, resources), the problem as the
user reported it, the environment, what was already tried, the findings of
the attached bundles, the evidence (with sha256 and how to verify it), the
solution and verification when there are, notes and the full history.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from toolkit.i18n import choose_lang, label, translate
from toolkit.i18n import t as msg
from toolkit.tickets import mdsafe
from toolkit.tickets.classify import category_title
from toolkit.tickets.clocks import paused_s, sla_state
from toolkit.tickets.model import Ticket

FORMATS = ("md", "html", "json")


@dataclass
class Section:
    title: str
    kind: str  # kv | table | text (ours: Markdown as is) | para (the user's text) | code
    body: Any


def ticket_lang(t: Ticket) -> str:
    """The language the ticket is written in, as ``run --ticket`` picks it: the script of
    its title, description and error message, else the locale's."""
    return choose_lang(None, " ".join((t.title, t.description, t.error_message)))


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    return iso.replace("T", " ")


def _word(kind: str, value: Any, lang: str) -> Any:
    """A machine word (status, priority, outcome…) as the catalogue words it in ``lang``;
    English shows the word itself, as it always did."""
    return value if lang == "en" else label(kind, value, lang)


def span(seconds: int, lang: str = "en") -> str:
    """A duration the way a help desk says it: 40s, 45m, 2h05m, 3d4h."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return msg("ex.span_dh", lang, d=days, h=hours) if hours else msg("ex.span_d", lang,
                                                                            d=days)
    if hours:
        return (msg("ex.span_hm", lang, h=hours, m=f"{minutes:02d}") if minutes
                else msg("ex.span_h", lang, h=hours))
    return msg("ex.span_m", lang, m=minutes) if minutes else msg("ex.span_s", lang, s=seconds)


def _clock(state: dict[str, Any], lang: str = "en") -> str:
    if not state or not state.get("due"):
        return "—"
    due = _when(state["due"])
    s = state["state"]
    held = msg("ex.held", lang, span=span(state["paused_s"], lang)) \
        if state.get("paused_s") else ""
    if s in ("met", "late"):
        return due + msg("ex.clock_at", lang, state=_word("sla", s, lang),
                         at=_when(state.get("at")), held=held)
    if s == "paused":
        return due + msg("ex.clock_paused", lang, resumed=_when(state["due_if_resumed"]),
                         held=held)
    left = state.get("left_s", 0)
    return due + msg("ex.clock_left" if left >= 0 else "ex.clock_over", lang,
                     state=_word("sla", s, lang), span=span(left, lang), held=held)


def _category(t: Ticket, lang: str) -> str:
    if lang == "en":
        return " / ".join(x for x in (t.category, t.subcategory) if x) or "unclassified"
    first = (category_title(t.category, lang) or t.category) if t.category else None
    return " / ".join(x for x in (first, label("sub", t.subcategory, lang)) if x) \
        or msg("tk.unclassified", lang)


def sections(t: Ticket, now: datetime | None = None, lang: str = "en") -> list[Section]:
    """The export's sections in ``lang``; English by default (``ticket show`` prints them)."""
    now = now or datetime.now(timezone.utc)
    sla = sla_state(t, now)
    out: list[Section] = []

    def m(msg_id: str, **params: Any) -> str:
        return msg(msg_id, lang, **params)

    def tr(text: Any) -> str:
        return translate(text, lang)

    head = [(m("ex.status"), m("ex.status_v", status=_word("status", t.status, lang),
                               level=t.level,
                               assignee=m("ex.assignee", who=t.assignee) if t.assignee else "")),
            (m("ex.priority"), m("ex.priority_v", priority=_word("priority", t.priority, lang),
                                 impact=_word("priority", t.impact, lang),
                                 urgency=_word("priority", t.urgency, lang),
                                 given=m("ex.by_hand") if t.priority_source == "given" else "")),
            (m("ex.category"), _category(t, lang)
             + (m("ex.playbook", playbook=t.playbook) if t.playbook else "")),
            (m("ex.reported"), f"{_when(t.reported_at)}"
             + (m("ex.reported_by", who=t.reporter) if t.reporter else "")
             + (m("ex.via", channel=t.channel) if t.channel else "")),
            (m("ex.occurred"), _when(t.occurred_at)),
            (m("ex.response_due"), _clock(sla["response"], lang)),
            (m("ex.resolution_due"), _clock(sla["resolution"], lang))]
    if "escalation" in sla:
        head.append((m("ex.l2_due"), _clock(sla["escalation"], lang)))
    if t.paused_since or t.pauses:
        total = span(paused_s(t, now), lang)
        head.append((m("ex.paused"), m("ex.paused_since", since=_when(t.paused_since),
                                       total=total) if t.paused_since else
                     m("ex.pauses", n=len(t.pauses), total=total)))
    out.append(Section(m("ex.summary"), "kv", head))
    if t.escalations:
        e = t.escalations[-1]
        sep = ", " if lang == "en" else "、"
        rows = [(m("ex.to"), e.to), (m("ex.escalated"), _when(e.at) + m("ex.by_who", who=e.by)),
                (m("ex.reason"), tr(e.reason) or "—"),
                (m("ex.resources"), sep.join(tr(x) for x in e.resources) or m("sum.no_resources")),
                (m("ex.response_due"), _when(e.response_due)),
                (m("ex.responded"), _when(e.responded_at) if e.responded_at
                 else m("ex.not_yet"))]
        if len(t.escalations) > 1:
            rows.append((m("ex.earlier"), "; ".join(x.to + m("ex.at_when", when=_when(x.at))
                                                    for x in t.escalations[:-1])))
        out.append(Section(m("ex.escalation"), "kv", rows))
    if t.description:
        out.append(Section(m("ex.problem"), "para", [t.description]))
    else:
        out.append(Section(m("ex.problem"), "text", [m("ex.no_description")]))
    if t.error_message:
        out.append(Section(m("ex.error_message"), "code", t.error_message))
    env = [(_env_label(k, lang), _env_value(k, v, lang)) for k, v in t.environment.items()
           if v not in (None, "")]
    out.append(Section(m("ex.environment"), "kv", env or [("—", m("ex.not_collected"))]))
    cols = [m(f"col.{c}") for c in ("when", "what", "result", "source")]
    tried = t.tried()
    out.append(Section(m("ex.tried"), "table", (
        cols, [[_when(x["at"]), x["what"], tr(x["result"]), tr(x["source"])] for x in tried]))
        if tried else Section(m("ex.tried"), "text", [m("ex.nothing_tried")]))
    not_done = t.not_done()
    if not_done:  # shown by unattended runs to nobody: never to be read as tried
        out.append(Section(m("ex.not_done"), "table", (
            [cols[0], m("col.step"), *cols[2:]],
            [[_when(x["at"]), x["what"], tr(x["result"]), tr(x["source"])]
             for x in not_done])))
    findings = t.findings()
    if findings:
        out.append(Section(m("ex.findings"), "table", (
            [m(f"col.{c}") for c in ("severity", "finding", "recommend", "kb", "bundle")],
            [[_word("severity", f.get("severity", ""), lang), f.get("finding", ""),
              f.get("recommend", ""), f.get("kb") or "", f.get("bundle", "") + (
                  m("ex.and_earlier", n=len(f["bundles"]) - 1)
                  if len(f.get("bundles", [])) > 1 else "")] for f in findings])))
    else:
        out.append(Section(m("ex.findings"), "text", [m("ex.no_findings")]))
    if t.attachments:
        evidence = [[a.name, a.sha256, f"{a.size:,}", a.playbook or "",
                     _word("outcome", a.outcome, lang) or "", a.host or "", _when(a.created),
                     m("ex.missing") if a.missing else m("ex.kept")]
                    for a in t.attachments]
        out.append(Section(m("ex.evidence"), "table", (
            [m(f"col.{c}") for c in ("bundle", "sha256", "bytes", "playbook", "outcome", "host",
                                     "written", "store")],
            evidence)))
        out.append(Section("", "text", [m("ex.verify")]))
    if t.solution:
        s = t.solution
        steps = s.get("steps") or []
        rows = [(m("ex.solution"), s.get("text", ""))]
        if len(steps) > 1 or (steps and steps[0] != s.get("text")):
            rows.append((m("ex.steps"), "\n".join(f"{i}. {x}" for i, x in enumerate(steps, 1))))
        rows += [(m("ex.by"), f"{s.get('by')}" + m("ex.at_when", when=_when(s.get("at")))),
                 (m("ex.backup"), tr(s.get("backup", ""))),
                 (m("ex.rollback"), tr(s.get("rollback", ""))),
                 (m("ex.risky"), m("ex.checked_by", who=str(s.get("checked_by")))
                  if s.get("risky") else m("ex.no"))]
        out.append(Section(m("ex.solution"), "kv", rows))
    if t.verification:
        v = t.verification
        out.append(Section(m("ex.verification"), "kv", [
            (m("ex.confirmed"), m("ex.yes") if v.get("confirmed") else m("ex.no")),
            (m("ex.satisfaction"), f"{v['satisfaction']}/5" if v.get("satisfaction") else "—"),
            (m("ex.feedback"), v.get("feedback") or "—"),
            (m("ex.recorded"), _when(v.get("at")) + m("ex.by_who", who=v.get("by")))]))
    if t.kb:
        out.append(Section(m("ex.kb"), "text", [m("ex.article", kb=t.kb)]))
    notes = [n for n in t.notes if n.kind == "note"]
    if notes:
        out.append(Section(m("ex.notes"), "table", (
            [m("col.when"), m("col.who"), m("col.note")],
            [[_when(n.at), n.by, n.text] for n in notes])))
    out.append(Section(m("ex.history"), "table", (
        [m("col.when"), m("col.who"), m("col.what")],
        [[_when(h.at), h.by, _describe(h.action, h.detail, lang)] for h in t.history])))
    return out


def _env_label(key: str, lang: str) -> str:
    """An environment fact's label, the catalogue's "env.*" (the key when it has none)."""
    return str(label("env", key, lang))


def _env_value(key: str, value: Any, lang: str = "en") -> str:
    if key == "memory_bytes" and isinstance(value, (int, float)):
        return f"{value / 1024 ** 3:.1f} GiB"
    if key in ("boot_time", "collected_at"):
        return _when(str(value))
    if key == "source":
        return {"intake": msg("ex.from_intake", lang),
                "bundle": msg("ex.from_bundle", lang)}.get(str(value), str(value))
    if key == "error":
        return translate(str(value), lang)
    return str(value)


def _describe(action: str, d: dict[str, Any], lang: str = "en") -> str:
    """One line of the history. The detail is what the store wrote (English where the
    toolkit wrote it: a reason, a note); other languages get it through ``translate``."""

    def m(msg_id: str, **params: Any) -> str:
        return msg(msg_id, lang, **params)

    def tr(text: Any) -> str:
        return translate(text, lang)

    sep = ", " if lang == "en" else "、"
    if action == "status":
        return (f"{_word('status', d.get('from'), lang)} → {_word('status', d.get('to'), lang)}"
                + (m("hx.skipped", statuses=sep.join(_word("status", x, lang)
                                                     for x in d["skipped"]))
                   if d.get("skipped") else "")
                + (m("hx.paren", text=tr(d["reason"])) if d.get("reason") else ""))
    if action == "created":
        category = d.get("category")
        if lang != "en" and category:
            category = category_title(str(category), lang) or category
        return m("hx.created", priority=_word("priority", d.get("priority"), lang),
                 category=category)
    if action == "note":
        return m("hx.note", kind=_word("note", d.get("kind", "note"), lang),
                 text=tr(d.get("text")) if d.get("kind", "note") == "note" else d.get("text"))
    if action == "attached":
        return m("hx.attached", name=d.get("name"), sha=str(d.get("sha256"))[:12])
    if action == "run":
        return (m("hx.ran", playbook=d.get("playbook"),
                  outcome=_word("outcome", d.get("outcome"), lang))
                + (m("hx.fixed_by", step=d["resolved_by"]) if d.get("resolved_by") else ""))
    if action == "escalated":
        return m("hx.escalated", to=d.get("to"), reason=tr(d.get("reason"))
                 or m("hx.no_reason"))
    if action == "deescalated":
        return m("hx.deescalated", src=d.get("from"), reason=d.get("reason"))
    if action == "responded":
        return m("hx.responded") + (m("hx.responded_to", to=d["to"]) if d.get("to") else "") + (
            m("hx.text", text=d["text"]) if d.get("text") else "")
    if action == "level":
        return m("hx.level", src=d.get("from"), to=d.get("to"), reason=tr(d.get("reason")))
    if action == "sla_paused":
        return m("hx.paused")
    if action == "sla_resumed":
        moved = ", ".join(m("rp.due", clock=_word("clock", k, lang), when=_when(v.get("to")))
                          for k, v in (d.get("moved") or {}).items())
        return (m("hx.resumed", span=span(int(d.get("paused_s") or 0), lang))
                + (m("hx.text", text=moved) if moved else ""))
    if action == "environment":
        keys = sorted(d.get("changed") or {})
        kept = list(d.get("kept") or [])
        if lang != "en":  # the facts by their labels, not by their keys
            keys, kept = [_env_label(k, lang) for k in keys], [_env_label(k, lang) for k in kept]
        source = str(d.get("source"))
        if source.startswith("bundle "):
            where = m("hx.env_bundle", bundle=source[len("bundle "):])
        elif source.startswith("typed by "):
            where = m("hx.env_typed", who=source[len("typed by "):])
        else:
            where = m("hx.environment", source=source)
        return (where
                + (m("hx.host", host=d["host"]) if d.get("host") else "")
                + (m("hx.text", text=sep.join(keys)) if keys else "")
                + (m("hx.kept", kept=sep.join(kept)) if kept else ""))
    if action == "resolved":
        return m("hx.resolved", solution=d.get("solution"))
    if action == "assigned":
        return m("hx.assigned", to=d.get("to")) + (m("hx.was", src=d["from"])
                                                   if d.get("from") else "")
    if action == "kb_drafted":
        return m("hx.kb_drafted", kb=d.get("kb"))
    if action == "verified":
        result = "fixed" if d.get("confirmed") else "not fixed"
        return m("hx.verified", result=_word("outcome", result.replace(" ", "_"), lang)
                 if lang != "en" else result) + (
            m("hx.satisfaction", n=d["satisfaction"]) if d.get("satisfaction") else "")
    return _word("action", action, lang) + (
        (": " if lang == "en" else "：") + ", ".join(f"{k}={v}" for k, v in d.items()) if d else "")


# --------------------------------------------------------------------------- renderers

_cell = mdsafe.cell


def markdown(t: Ticket, now: datetime | None = None, lang: str = "en") -> str:
    """Every value from the ticket goes through ``mdsafe``: it cannot add a section, a
    row or close a fence (what trackers render from this is what L2 reads)."""
    lines = [f"# {mdsafe.inline(t.id)} — {mdsafe.inline(t.title)}", ""]
    for s in sections(t, now, lang):
        if s.title:
            lines += [f"## {s.title}", ""]
        if s.kind == "kv":
            lines += ["| | |", "|---|---|"]
            lines += [f"| **{_cell(k)}** | {_cell(v)} |" for k, v in s.body]
        elif s.kind == "table":
            headers, rows = s.body
            lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        elif s.kind == "code":
            lines += mdsafe.fence(s.body)
        elif s.kind == "para":
            for para in s.body:
                lines += [*mdsafe.lines(para), ""]
            lines.pop()
        else:
            for para in s.body:
                lines += [para, ""]
            lines.pop()
        lines.append("")
    lines.append(msg("ex.footer", lang, id=t.id))
    return "\n".join(lines) + "\n"


_CSS = ("body{font:14px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
        "pre{background:#f6f6f6;padding:.8em;overflow:auto}h2{border-bottom:1px solid #ddd}"
        "code{font-size:90%}")


# The page shows ticket text only: no script, nothing fetched, no form, no base URL.
CSP = ("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">")


def to_html(t: Ticket, now: datetime | None = None, lang: str = "en") -> str:
    e = html.escape  # every value, text and attribute alike (quote=True)
    root = "<html>" if lang == "en" else f"<html lang=\"{e(lang)}\">"
    parts = [f"<!doctype html>{root}<head><meta charset='utf-8'>{CSP}<title>{e(t.id)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{e(t.id)} — {e(t.title)}</h1>"]
    for s in sections(t, now, lang):
        if s.title:
            parts.append(f"<h2>{e(s.title)}</h2>")
        if s.kind == "kv":
            parts.append("<table>" + "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
                                             for k, v in s.body) + "</table>")
        elif s.kind == "table":
            headers, rows = s.body
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row)
                                   + "</tr>" for row in rows) + "</table>")
        elif s.kind == "code":
            parts.append(f"<pre>{e(s.body)}</pre>")
        else:
            parts += [f"<p>{e(p)}</p>" for p in s.body]
    parts.append("</body></html>\n")
    return "".join(parts)


def to_json(t: Ticket, now: datetime | None = None, lang: str = "en") -> str:
    """Public interface: the same keys and values in every language (``lang`` unused)."""
    now = now or datetime.now(timezone.utc)
    doc = {"format": "supportkit-escalation-package", "version": 1,
           "exported_at": now.isoformat(timespec="seconds"), "sla": sla_state(t, now),
           "ticket": t.as_json()}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(t: Ticket, fmt: str, now: datetime | None = None, lang: str = "en") -> str:
    """``fmt`` in ``lang`` (md and html; json is the same in every language)."""
    return {"md": markdown, "html": to_html, "json": to_json}[fmt](t, now, lang)
