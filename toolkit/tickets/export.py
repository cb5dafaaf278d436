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

from toolkit.tickets import mdsafe
from toolkit.tickets.clocks import paused_s, sla_state
from toolkit.tickets.model import Ticket

FORMATS = ("md", "html", "json")


@dataclass
class Section:
    title: str
    kind: str  # kv | table | text (ours: Markdown as is) | para (the user's text) | code
    body: Any


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    return iso.replace("T", " ")


def span(seconds: int) -> str:
    """A duration the way a help desk says it: 40s, 45m, 2h05m, 3d4h."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{seconds}s"


def _clock(state: dict[str, Any]) -> str:
    if not state or not state.get("due"):
        return "—"
    due = _when(state["due"])
    s = state["state"]
    held = f"; paused {span(state['paused_s'])} in all" if state.get("paused_s") else ""
    if s in ("met", "late"):
        return f"{due} — {s} ({_when(state.get('at'))}{held})"
    if s == "paused":
        return (f"{due} — paused, waiting on the user (due {_when(state['due_if_resumed'])} "
                f"if the user answers now{held})")
    left = state.get("left_s", 0)
    return f"{due} — {s} ({span(left)} {'left' if left >= 0 else 'over'}{held})"


def sections(t: Ticket, now: datetime | None = None) -> list[Section]:
    now = now or datetime.now(timezone.utc)
    sla = sla_state(t, now)
    out: list[Section] = []
    cat = " / ".join(x for x in (t.category, t.subcategory) if x) or "unclassified"
    head = [("Status", f"{t.status} · level {t.level}"
             + (f" · assignee {t.assignee}" if t.assignee else "")),
            ("Priority", f"{t.priority} (impact {t.impact} × urgency {t.urgency}"
             + (", set by hand" if t.priority_source == "given" else "") + ")"),
            ("Category", cat + (f" · playbook {t.playbook}" if t.playbook else "")),
            ("Reported", f"{_when(t.reported_at)}"
             + (f" by {t.reporter}" if t.reporter else "")
             + (f" via {t.channel}" if t.channel else "")),
            ("Occurred", _when(t.occurred_at)),
            ("Response due", _clock(sla["response"])),
            ("Resolution due", _clock(sla["resolution"]))]
    if "escalation" in sla:
        head.append(("L2 response due", _clock(sla["escalation"])))
    if t.paused_since or t.pauses:
        total = span(paused_s(t, now))
        head.append(("Paused", f"waiting on the user since {_when(t.paused_since)}: the "
                     f"clocks stand still ({total} in all)" if t.paused_since else
                     f"{len(t.pauses)} pause(s) waiting on the user, {total} in all"))
    out.append(Section("Summary", "kv", head))
    if t.escalations:
        e = t.escalations[-1]
        rows = [("To", e.to), ("Escalated", f"{_when(e.at)} by {e.by}"),
                ("Reason", e.reason or "—"),
                ("Resources needed", ", ".join(e.resources) or "none named"),
                ("Response due", _when(e.response_due)),
                ("L2 responded", _when(e.responded_at) if e.responded_at else "not yet")]
        if len(t.escalations) > 1:
            rows.append(("Earlier escalations", "; ".join(f"{x.to} at {_when(x.at)}"
                                                          for x in t.escalations[:-1])))
        out.append(Section("Escalation", "kv", rows))
    if t.description:
        out.append(Section("Problem", "para", [t.description]))
    else:
        out.append(Section("Problem", "text", ["(no description given)"]))
    if t.error_message:
        out.append(Section("Error message", "code", t.error_message))
    env = [(_ENV_LABELS.get(k, k), _env_value(k, v)) for k, v in t.environment.items()
           if v not in (None, "")]
    out.append(Section("Environment", "kv", env or [("—", "not collected")]))
    tried = t.tried()
    out.append(Section("Already tried", "table", (
        ["when", "what", "result", "source"],
        [[_when(x["at"]), x["what"], x["result"], x["source"]] for x in tried]))
        if tried else Section("Already tried", "text", ["Nothing recorded as tried."]))
    not_done = t.not_done()
    if not_done:  # shown by unattended runs to nobody: never to be read as tried
        out.append(Section("Not done (unattended run)", "table", (
            ["when", "self-help step", "result", "source"],
            [[_when(x["at"]), x["what"], x["result"], x["source"]] for x in not_done])))
    findings = t.findings()
    if findings:
        out.append(Section("Findings", "table", (
            ["severity", "finding", "recommendation", "KB", "bundle"],
            [[f.get("severity", ""), f.get("finding", ""), f.get("recommend", ""),
              f.get("kb") or "", f.get("bundle", "") + (
                  f" (and {len(f['bundles']) - 1} earlier)" if len(f.get("bundles", [])) > 1
                  else "")] for f in findings])))
    else:
        out.append(Section("Findings", "text", ["No findings in the attached bundles."]))
    if t.attachments:
        evidence = [[a.name, a.sha256, f"{a.size:,}", a.playbook or "", a.outcome or "",
                 a.host or "", _when(a.created), "MISSING" if a.missing else "kept"]
                for a in t.attachments]
        out.append(Section("Evidence", "table", (
            ["bundle", "sha256", "bytes", "playbook", "outcome", "host", "written", "store"],
            evidence)))
        out.append(Section("", "text", ["Check a bundle before use: `supportkit bundle "
                                        "verify BUNDLE` (sha256 as above)."]))
    if t.solution:
        s = t.solution
        steps = s.get("steps") or []
        rows = [("Solution", s.get("text", ""))]
        if len(steps) > 1 or (steps and steps[0] != s.get("text")):
            rows.append(("Steps", "\n".join(f"{i}. {x}" for i, x in enumerate(steps, 1))))
        rows += [("By", f"{s.get('by')} at {_when(s.get('at'))}"),
                ("Backup", s.get("backup", "")), ("Rollback", s.get("rollback", "")),
                ("Risky change", ("yes, checked by " + str(s.get("checked_by")))
                 if s.get("risky") else "no")]
        out.append(Section("Solution", "kv", rows))
    if t.verification:
        v = t.verification
        out.append(Section("Verification", "kv", [
            ("Confirmed by the user", "yes" if v.get("confirmed") else "no"),
            ("Satisfaction", f"{v['satisfaction']}/5" if v.get("satisfaction") else "—"),
            ("Feedback", v.get("feedback") or "—"), ("Recorded", f"{_when(v.get('at'))} by "
                                                     f"{v.get('by')}")]))
    if t.kb:
        out.append(Section("Knowledge base", "text", [f"Article {t.kb}"]))
    notes = [n for n in t.notes if n.kind == "note"]
    if notes:
        out.append(Section("Notes", "table", (["when", "who", "note"],
                                              [[_when(n.at), n.by, n.text] for n in notes])))
    out.append(Section("History", "table", (["when", "who", "what"], [
        [_when(h.at), h.by, _describe(h.action, h.detail)] for h in t.history])))
    return out


_ENV_LABELS = {"collected_by": "Collected by", "hostname": "Host", "device": "Device",
               "source": "Taken from", "bundle": "Bundle", "collected_at": "Collected at",
               "os": "OS",
               "os_version": "OS version", "kernel": "Kernel", "machine": "Architecture",
               "cpu": "CPU", "cpus": "CPUs (logical)", "memory_bytes": "Memory",
               "python": "Python", "timezone": "Time zone", "user": "User",
               "boot_time": "Booted", "error": "Not collected"}


def _env_value(key: str, value: Any) -> str:
    if key == "memory_bytes" and isinstance(value, (int, float)):
        return f"{value / 1024 ** 3:.1f} GiB"
    if key in ("boot_time", "collected_at"):
        return _when(str(value))
    if key == "source":
        return {"intake": "the machine 'ticket new' ran on",
                "bundle": "the machine the evidence came from"}.get(str(value), str(value))
    return str(value)


def _describe(action: str, d: dict[str, Any]) -> str:
    if action == "status":
        return (f"{d.get('from')} → {d.get('to')}"
                + (f" (skipped {', '.join(d['skipped'])})" if d.get("skipped") else "")
                + (f" ({d['reason']})" if d.get("reason") else ""))
    if action == "created":
        return f"created, priority {d.get('priority')}, category {d.get('category')}"
    if action == "note":
        return f"{d.get('kind', 'note')}: {d.get('text')}"
    if action == "attached":
        return f"attached {d.get('name')} ({str(d.get('sha256'))[:12]}…)"
    if action == "run":
        return (f"ran {d.get('playbook')}: {d.get('outcome')}"
                + (f", fixed by {d['resolved_by']}" if d.get("resolved_by") else ""))
    if action == "escalated":
        return f"escalated to {d.get('to')}: {d.get('reason') or 'no reason given'}"
    if action == "deescalated":
        return f"handed back to L1 by {d.get('from')}: {d.get('reason')}"
    if action == "responded":
        return "responded" + (f" to the escalation to {d['to']}" if d.get("to") else "") + (
            f": {d['text']}" if d.get("text") else "")
    if action == "level":
        return f"level {d.get('from')} → {d.get('to')} ({d.get('reason')})"
    if action == "sla_paused":
        return "waiting on the user: the clocks stand still"
    if action == "sla_resumed":
        moved = ", ".join(f"{k} due {_when(v.get('to'))}" for k, v in
                          (d.get("moved") or {}).items())
        return (f"the clocks run again after {span(int(d.get('paused_s') or 0))}"
                + (f": {moved}" if moved else ""))
    if action == "environment":
        changed = ", ".join(sorted(d.get("changed") or {}))
        kept = ", ".join(d.get("kept") or [])
        return (f"environment from {d.get('source')}"
                + (f" (host {d['host']})" if d.get("host") else "")
                + (f": {changed}" if changed else "")
                + (f"; kept as typed: {kept}" if kept else ""))
    if action == "resolved":
        return f"resolved: {d.get('solution')}"
    if action == "assigned":
        return f"assigned to {d.get('to')}" + (f" (was {d['from']})" if d.get("from") else "")
    if action == "kb_drafted":
        return f"knowledge-base draft {d.get('kb')} written"
    if action == "verified":
        return "verified: " + ("fixed" if d.get("confirmed") else "not fixed") + (
            f", satisfaction {d['satisfaction']}/5" if d.get("satisfaction") else "")
    return action + (": " + ", ".join(f"{k}={v}" for k, v in d.items()) if d else "")


# --------------------------------------------------------------------------- renderers

_cell = mdsafe.cell


def markdown(t: Ticket, now: datetime | None = None) -> str:
    """Every value from the ticket goes through ``mdsafe``: it cannot add a section, a
    row or close a fence (what trackers render from this is what L2 reads)."""
    lines = [f"# {mdsafe.inline(t.id)} — {mdsafe.inline(t.title)}", ""]
    for s in sections(t, now):
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
    lines.append("_Exported by supportkit — `supportkit ticket show "
                 f"{t.id} --json` has every field._")
    return "\n".join(lines) + "\n"


_CSS = ("body{font:14px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
        "pre{background:#f6f6f6;padding:.8em;overflow:auto}h2{border-bottom:1px solid #ddd}"
        "code{font-size:90%}")


# The page shows ticket text only: no script, nothing fetched, no form, no base URL.
CSP = ("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">")


def to_html(t: Ticket, now: datetime | None = None) -> str:
    e = html.escape  # every value, text and attribute alike (quote=True)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'>{CSP}<title>{e(t.id)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{e(t.id)} — {e(t.title)}</h1>"]
    for s in sections(t, now):
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


def to_json(t: Ticket, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    doc = {"format": "supportkit-escalation-package", "version": 1,
           "exported_at": now.isoformat(timespec="seconds"), "sla": sla_state(t, now),
           "ticket": t.as_json()}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(t: Ticket, fmt: str, now: datetime | None = None) -> str:
    return {"md": markdown, "html": to_html, "json": to_json}[fmt](t, now)
