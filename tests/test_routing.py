"""Symptom routing and knowledge-base search, measured on held-out labelled sets.

``tests/fixtures/labelled/routing_set8.tsv``: phrasings → playbook (top-1 counts: the
playbook ``supportkit run --symptom`` would pick, the general triage when nothing
matches); ``tests/fixtures/labelled/howto_kb.tsv``: how-to questions → article
(top-3 counts). Only the "held" lines are measured: they were never used to build or
tune the index (the tuning phrasings are ``toolkit/playbook/examples.tsv``, part of
the index, which holds the earlier sets ``routing.tsv``, ``routing_set5.tsv``,
``routing_set6.tsv`` and ``routing_set7.tsv``, now "tune" lines; and the "tune"
lines of howto_kb.tsv).
The figures are printed (``pytest -s`` not needed) and written in the README; the
floors below are what the sets measured, so a change that makes routing worse fails
here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit import kb
from toolkit.playbook.suggest import all_playbooks, examples, rank
from toolkit.tickets.classify import playbook_phrases

LABELLED = Path(__file__).parent / "fixtures" / "labelled"
HAN = re.compile(r"[\u3400-\u9fff]")
ROUTING_SET = "routing_set8.tsv"
TUNING_SETS = ("routing.tsv", "routing_set5.tsv", "routing_set6.tsv", "routing_set7.tsv")
# Set 8 measured 172/180 = 95.6 % (en 87/90, zh 85/90), once, with the method of this
# commit: sets 4-7 and 600 phrasings written for training in the index, naive Bayes
# beside BM25; 160/167 = 95.8 % without its 13 lines close to an indexed phrasing.
# Earlier sets, each with the method of its time: set 7 92.4 %, set 6 90.6 %, set 5
# 84.4 %, set 4 90.0 %.
ROUTING_FLOOR = 0.95
KB_FLOOR = 0.95  # set 3 measured 58/60


def rows(name: str, split: str = "held") -> list[tuple[str, str]]:
    out = []
    for line in (LABELLED / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        part, label, text = line.split("\t")
        if part == split:
            out.append((label, text))
    return out


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n{line}")


def test_the_held_out_sets_are_big_enough_and_half_chinese() -> None:
    routing, howto = rows(ROUTING_SET), rows("howto_kb.tsv")
    assert len(routing) >= 150 and len(howto) >= 60
    zh = sum(bool(HAN.search(t)) for _, t in routing)
    assert zh >= len(routing) / 2
    books = {pb.id for pb in all_playbooks()}
    assert {label for label, _ in routing} == books  # every playbook, none unknown
    articles = kb.articles()
    assert all(label in articles for label, _ in howto)


def test_no_held_out_phrase_is_in_the_index() -> None:
    indexed = {p.strip().lower() for phrases in examples().values() for p in phrases}
    for name in TUNING_SETS:
        indexed |= {t.strip().lower() for _, t in rows(name, "tune")}
    leaked = [t for _, t in rows(ROUTING_SET) if t.strip().lower() in indexed]
    assert not leaked
    tuned = {t.strip().lower() for _, t in rows("howto_kb.tsv", "tune")}
    assert not [t for _, t in rows("howto_kb.tsv") if t.strip().lower() in tuned]


def test_routing_top1_on_held_out_phrasings(capsys: pytest.CaptureFixture[str]) -> None:
    books, phrases = all_playbooks(), playbook_phrases()
    misses, by_lang = [], {"en": [0, 0], "zh": [0, 0]}
    held = rows(ROUTING_SET)
    for label, text in held:
        found = rank(text, books, phrases=phrases)
        got = found[0].playbook if found else "general"  # what 'run' falls back to
        lang = "zh" if HAN.search(text) else "en"
        by_lang[lang][1] += 1
        if got == label:
            by_lang[lang][0] += 1
        else:
            misses.append((text, label, got))
    ok = len(held) - len(misses)
    # Writers of the training phrasings and of the set can meet on a wording: the figure
    # is also given without the held-out lines that come close to an indexed one.
    indexed = [p.strip().lower() for ps in examples().values() for p in ps]
    near = {text for _, text in held if _close(text.strip().lower(), indexed)}
    far_ok = sum(1 for label, text in held if text not in near) - \
        sum(1 for text, _, _ in misses if text not in near)
    report(capsys, f"routing top-1 (held out): {ok}/{len(held)} = {ok / len(held):.1%} "
           f"(en {by_lang['en'][0]}/{by_lang['en'][1]}, zh {by_lang['zh'][0]}/{by_lang['zh'][1]}); "
           f"without the {len(near)} lines within a 0.75 difflib ratio of an indexed phrasing: "
           f"{far_ok}/{len(held) - len(near)} = {far_ok / (len(held) - len(near)):.1%}")
    assert ok / len(held) >= ROUTING_FLOOR, misses


def _close(text: str, indexed: list[str]) -> bool:
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, "", text, autojunk=False)
    for other in indexed:
        matcher.set_seq1(other)  # seq2 (the held-out text) is analysed once
        if matcher.real_quick_ratio() >= 0.75 and matcher.quick_ratio() >= 0.75 \
                and matcher.ratio() >= 0.75:
            return True
    return False


def test_kb_top3_on_held_out_questions(capsys: pytest.CaptureFixture[str]) -> None:
    misses = []
    held = rows("howto_kb.tsv")
    for label, question in held:
        found = [a["id"] for a in kb.search(question, limit=3)]
        if label not in found:
            misses.append((question, label, found))
    ok = len(held) - len(misses)
    report(capsys, f"KB top-3 (held out): {ok}/{len(held)} = {ok / len(held):.1%}")
    assert ok / len(held) >= KB_FLOOR, misses


def test_the_shipped_examples_route_to_their_playbook() -> None:
    # In the index, so not a measure of accuracy: a check that nothing drowns them.
    books, phrases = all_playbooks(), playbook_phrases()
    pairs = [(b, p) for b, ps in examples().items() for p in ps]
    wrong = [(p, b) for b, p in pairs
             if (rank(p, books, phrases=phrases) or [None])[0] is None
             or rank(p, books, phrases=phrases)[0].playbook != b]
    assert len(wrong) <= len(pairs) // 50, wrong
