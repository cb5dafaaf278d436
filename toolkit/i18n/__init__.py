"""One message catalogue for every text a person sees, in English and Chinese.

Two kinds of entries, both in this package:

- ``messages.MESSAGES``: the toolkit's own texts (prompts, progress, summary, the
  runner's reasons), by id: ``t("ui.fixed", lang)``. The English text is what the
  manifest and ``--json`` keep; the person sees ``t(id, lang, …)``.
- ``reasons.REASONS`` (and the collectors' table in ``collectors_zh``): English
  *templates* of texts that arrive as plain strings from elsewhere — a collector's
  ``Skipped``/``Failed`` reason (it crosses a process boundary as JSON), a SMART
  reason inside a result, a line the ticket store wrote. ``translate(text, lang)``
  matches the whole text against the templates (``{name}`` stands for any text,
  itself translated when it matches another template) and fills in the Chinese.

Why by pattern and not by passing ids along: bundles keep English reasons (agents and
trackers read them; the format is public), and a bundle made elsewhere, or by an
older version, is rendered in Chinese later (``bundle report``) from those same
texts. ``tests/test_i18n.py`` measures how many collector reasons the templates
cover, from the collectors' source.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

LANGS = ("en", "zh")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def t(msg_id: str, lang: str = "en", **params: Any) -> str:
    """The catalogue text ``msg_id`` in ``lang`` with ``params`` filled in. An unknown id
    is a programming error (KeyError): tests render every id."""
    from toolkit.i18n.messages import MESSAGES

    en, zh = MESSAGES[msg_id]
    text = zh if lang == "zh" and zh else en
    return text.format(**params) if params else text


def label(kind: str, value: Any, lang: str) -> Any:
    """A machine word (an outcome, a status, an escalation target…) as the catalogue
    words it, ``{kind}.{value}``; a value the catalogue does not know is shown as it is."""
    from toolkit.i18n.messages import MESSAGES

    key = f"{kind}.{value}"
    return t(key, lang) if isinstance(value, str) and key in MESSAGES else value


@lru_cache(maxsize=1)
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    from toolkit.i18n.collectors_zh import COLLECTOR_REASONS
    from toolkit.i18n.messages import MESSAGES
    from toolkit.i18n.reasons import REASONS

    pairs = list(REASONS) + list(COLLECTOR_REASONS) + [v for v in MESSAGES.values() if v[1]]
    out = []
    for en, zh in pairs:
        parts, seen = [], set()
        pos = 0
        for m in _PLACEHOLDER.finditer(en):
            parts.append(re.escape(en[pos:m.start()]))
            name = m.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            pos = m.end()
        parts.append(re.escape(en[pos:]))
        literal = len(_PLACEHOLDER.sub("", en))
        if literal < 4:  # "{a}: {b}" would match anything: never a template
            continue
        out.append((literal, re.compile("".join(parts), re.S), zh))
    # The most specific template first: more fixed text, fewer guesses.
    out.sort(key=lambda item: -item[0])
    return tuple((pat, zh) for _, pat, zh in out)


def translate(text: Any, lang: str, _depth: int = 0) -> str:
    """``text`` (English, from a collector, the runner or the ticket store) in ``lang``:
    the whole text must match a template; parts joined by "; " are translated one by
    one, and so are the two sides of " — "; anything else is returned as it is (a
    path, a command's own output)."""
    text = "" if text is None else str(text)
    if lang == "en" or not text.strip() or _depth > 4:
        return text
    for pat, zh in _templates():
        m = pat.fullmatch(text)
        if m and all(_balanced(v) for v in m.groupdict().values()):
            params = {k: translate(v, lang, _depth + 1) for k, v in m.groupdict().items()}
            return zh.format(**params)
    for sep, joined in ((" — ", "——"), ("; ", "；")):
        if sep in text:
            parts = text.split(sep)
            done = [translate(p, lang, _depth + 1) for p in parts]
            if done != parts:
                return joined.join(done)
    return text


def _balanced(part: str) -> bool:
    """Whether a part a template took for one placeholder keeps its brackets whole: a
    cut through "(…)" means another template fits the text better."""
    depth = 0
    for ch in part:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def known(text: str) -> bool:
    """Whether ``translate`` has a template for ``text`` (coverage tests)."""
    return any(pat.fullmatch(text) for pat, _ in _templates())


def script_lang(text: str | None) -> str | None:
    """The language a text is written in, by its script: "zh" when it has Chinese
    characters, "en" when it has Latin letters only, None when neither (or empty)."""
    if not text:
        return None
    if _CJK.search(text):
        return "zh"
    return "en" if _LATIN.search(text) else None


YES = ("y", "yes", "true", "1", "on", "是", "是的", "对", "对的", "好", "好的", "行", "可以",
       "嗯", "要", "需要", "已解决", "解决了")
NO = ("n", "no", "false", "0", "off", "否", "不", "不是", "没有", "没", "不对", "不好", "不要",
      "不需要", "不行", "未解决", "没解决")


def yes_no(text: Any) -> bool | None:
    """A yes/no answer in English or Chinese; None when it is neither."""
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower().rstrip("。.!！")
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def choose_lang(flag: str | None, ticket_text: str | None = None,
                ticket_lang: str | None = None, symptom: str | None = None) -> str:
    """The language of a run: ``--lang``; else the ticket's language, or the script of
    its text; else the script of the described symptom; else the locale."""
    from toolkit.lang import default_lang

    if flag in LANGS:
        return flag
    for guess in (ticket_lang if ticket_lang in LANGS else None, script_lang(ticket_text),
                  script_lang(symptom)):
        if guess:
            return guess
    return default_lang()


# The language the current command speaks, for the one place that prints errors
# (toolkit.cli); a run sets it once it has chosen.
current = "en"
