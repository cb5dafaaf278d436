"""The DNS reply parser (collectors/_dnswire.py) on real replies, on every truncation of
them, on thousands of random mutations and on hand-made hostile replies.

The contract under test: ``parse_response`` returns a result or raises ``ReplyError`` (its
own type) — never ``struct.error``, ``IndexError`` or anything else — and ``judge_reply``,
which the collector calls for every datagram, never raises at all: each message is an
answer, a malformed reply to our question (status ``malformed``), or not ours (ignored).
"""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import pytest

from collectors import _dnswire
from collectors._dnswire import MalformedReply, ReplyError, judge_reply, parse_response

FIX = Path(__file__).parent / "fixtures" / "network.dns"
REPLIES = sorted(FIX.glob("*.bin"))
MUTATIONS = 3000  # per seed; a few thousand replies find the crash the old parser had


def test_fixtures_exist() -> None:
    assert len(REPLIES) >= 10, "the corpus below would be too thin to mean anything"


@pytest.mark.parametrize("path", REPLIES, ids=lambda p: p.stem)
def test_real_replies(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text())
    parsed = parse_response(path.read_bytes())
    assert parsed["question"] == expected["question"]
    assert parsed["edns"] == expected["edns"]
    counts = {s: sum(r["section"] == s for r in parsed["records"])
              for s in ("answer", "authority", "additional")}
    assert counts == expected["sections"]
    assert _dnswire.summarise(parsed, expected["qtype"]) == expected["summary"]


# --- truncation and mutation ---------------------------------------------------

def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four byte flips, insertions or deletions."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.5 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op < 0.75:
            out.insert(rng.randrange(len(out) + 1), rng.randrange(256))
        elif out:
            del out[rng.randrange(len(out))]
    return bytes(out)


def _question(path: Path) -> tuple[str, str]:
    asked = json.loads(path.with_suffix(".json").read_text())
    return (asked["question"] or {"name": "x.example"})["name"], asked["qtype"]


def _check(data: bytes, context: str, question: tuple[str, str]) -> str:
    """Parse and judge one message as the reply to ``question`` (name, type); fail with
    ``context`` (how to reproduce) on a crash."""
    ident = _dnswire.reply_id(data) or 0
    try:
        parse_response(data)
    except ReplyError:
        pass
    except Exception as exc:  # the very thing this test exists to catch
        pytest.fail(f"{context}: parse_response raised {type(exc).__name__}: {exc} "
                    f"on {data.hex()}")
    try:
        kind, found = judge_reply(data, ident, *question)
    except Exception as exc:
        pytest.fail(f"{context}: judge_reply raised {type(exc).__name__}: {exc} "
                    f"on {data.hex()}")
    assert kind in ("answer", "malformed", "ignore"), context
    if kind == "malformed":
        assert isinstance(found, MalformedReply) and f"at byte {found.offset} (" in str(found)
    return kind


@pytest.mark.parametrize("path", REPLIES, ids=lambda p: p.stem)
def test_every_truncation_is_malformed_or_read(path: Path) -> None:
    data = path.read_bytes()
    truncated_flag = bool(data[2] & 0x02)
    for length in range(len(data)):
        prefix = data[:length]
        _check(prefix, f"{path.name} cut to {length} bytes", _question(path))
        if truncated_flag and length >= _question_end(data):
            continue  # a TC reply may stop anywhere after its question: read, not malformed
        # Every record count in these replies is honest, so each shorter prefix is cut
        # inside something: the parser must say so, not read it as a shorter answer.
        with pytest.raises(MalformedReply) as caught:
            parse_response(prefix)
        if caught.value.problem == "is cut short":
            assert caught.value.offset == length, str(caught.value)


def _question_end(data: bytes) -> int:
    offset = 12
    for _ in range(struct.unpack_from("!H", data, 4)[0]):
        while data[offset] and data[offset] < 0xC0:
            offset += 1 + data[offset]
        offset += 2 if data[offset] >= 0xC0 else 1
        offset += 4
    return offset


@pytest.mark.parametrize("seed", [20240611, random.SystemRandom().randrange(2**32)],
                         ids=["fixed-seed", "fresh-seed"])
def test_mutated_replies_never_crash(seed: int) -> None:
    # The fresh seed differs each run and is in every failure message: rerun a failure
    # with that number in place of the fixed one.
    rng = random.Random(seed)
    corpus = [(p.read_bytes(), _question(p)) for p in REPLIES]
    kinds: dict[str, int] = {}
    for n in range(MUTATIONS):
        original, question = rng.choice(corpus)
        kind = _check(_mutate(rng, original), f"seed {seed}, mutation {n}", question)
        kinds[kind] = kinds.get(kind, 0) + 1
    # A mutator that only ever produced readable (or only unreadable) replies would test
    # one path: both must have been taken.
    assert kinds.get("malformed", 0) > MUTATIONS // 20 and kinds.get("answer", 0) > 0, \
        f"seed {seed}: {kinds}"


# --- hostile replies, made by hand ---------------------------------------------

def _reply(body: bytes, *, qd: int = 1, an: int = 1, ns: int = 0, ar: int = 0,
           flags: int = 0x8180, ident: int = 0x1234) -> bytes:
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar) + body


QUESTION = _dnswire.encode_name("intranet.corp.example") + struct.pack("!HH", 1, 1)
A_RR = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 10])


@pytest.mark.parametrize(("body", "counts", "message"), [
    # a name that points at itself: the smallest loop
    (QUESTION + b"\xc0\x27" + A_RR[2:], {}, "compression pointer to byte 39, which is not "
     "before the name (a loop, or a pointer forward or past the end) at byte 39 "
     "(answer record 1)"),
    # two names pointing at each other: record 2's name (at 54) points back to a pointer
    # hidden in record 1's data (at 50), which points on to 54
    (QUESTION + b"\x00" + struct.pack("!HHIH", 99, 1, 300, 4) + b"\xc0\x36\0\0"
     + b"\xc0\x32" + A_RR[2:], {"an": 2}, "compression pointer to byte 54, which is not "
     "before the name (a loop, or a pointer forward or past the end) at byte 50 "
     "(answer record 2)"),
    # a pointer past the end of the message
    (QUESTION + b"\xff\xff" + A_RR[2:], {}, "compression pointer to byte 16383"),
    # a label of 64 bytes (the length byte's top bits are 01: no such label type)
    (QUESTION + b"\x40" + b"a" * 64 + b"\x00" + A_RR[2:], {},
     "label length of 64, over the 63 allowed at byte 39 (answer record 1)"),
    # a name of five 63-byte labels: 321 bytes
    (QUESTION + (b"\x3f" + b"a" * 63) * 5 + b"\x00" + A_RR[2:], {},
     "name longer than 255 bytes at byte 231 (answer record 1)"),
    # 65535 answers claimed, 40 bytes there
    (QUESTION + A_RR + b"\0" * 24, {"an": 65535},
     "claims 65535 answer records, more than the 40 bytes left can hold (each takes at least "
     "11) at byte 39 (answer section)"),
    # an A record of 5 bytes
    (QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 5) + b"\x01\x02\x03\x04\x05",
     {}, "has an A record of 5 bytes (an address is 4) at byte 51 (answer record 1)"),
    # record data that says 200 bytes, 4 there
    (QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 200) + b"\x01\x02\x03\x04",
     {}, "is cut short at byte 55 (answer record 1)"),
    # a CNAME whose name runs on past its record data
    (QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, 3) + b"\x05abcde\x00", {},
     "name running past the end of its record data at byte 54 (answer record 1)"),
    # a question cut in the middle of its name
    (QUESTION[:9], {"an": 0}, "is cut short at byte 21 (question)"),
])
def test_hostile_replies_are_malformed_with_a_reason(body: bytes, counts: dict[str, int],
                                                      message: str) -> None:
    data = _reply(body, **counts)
    with pytest.raises(MalformedReply, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_response(data)
    kind, found = judge_reply(data, 0x1234, "intranet.corp.example", "A")
    assert kind == "malformed" and message in str(found)


def test_a_chain_of_pointers_is_refused_before_it_costs() -> None:
    # 300 pointers, each to the one before: no loop, yet a name that walks them all is
    # a way to make every record cost thousands of steps. They hide in the data of an
    # unknown record type (at 50: a root name, then pointers at 51, 53, …); the next
    # record's name points at the last of them.
    chain = b"\x00" + b"".join(struct.pack("!H", 0xC000 | (50 if n == 0 else 49 + 2 * n))
                               for n in range(300))
    body = (QUESTION + b"\x00" + struct.pack("!HHIH", 99, 1, 300, len(chain)) + chain
            + struct.pack("!H", 0xC000 | (49 + 2 * 300)) + A_RR[2:])
    with pytest.raises(MalformedReply, match="more than 128 compression pointers"):
        parse_response(_reply(body, an=2))


def test_replies_to_other_questions_are_ignored() -> None:
    ours = _reply(QUESTION + A_RR)
    assert judge_reply(ours, 0x1234, "intranet.corp.example", "A")[0] == "answer"
    # 0x20 case randomisation (resolvers may echo the question in any case)
    assert judge_reply(ours, 0x1234, "INTRANET.Corp.Example.", "A")[0] == "answer"
    assert judge_reply(ours, 0x4321, "intranet.corp.example", "A") == (
        "ignore", "another query ID")
    assert judge_reply(ours, 0x1234, "other.corp.example", "A")[0] == "ignore"
    assert judge_reply(ours, 0x1234, "intranet.corp.example", "AAAA")[0] == "ignore"
    # a query, not a reply
    assert judge_reply(_dnswire.build_query(0x1234, "intranet.corp.example"), 0x1234,
                       "intranet.corp.example", "A")[0] == "ignore"
    # broken, but plainly a reply to someone else's question: not ours either
    other = _dnswire.encode_name("other.example") + struct.pack("!HH", 1, 1)
    assert judge_reply(_reply(other + A_RR[:-2]), 0x1234, "intranet.corp.example",
                       "A")[0] == "ignore"
    # no question: an error reply may leave it out, an answer may not
    assert judge_reply(_reply(b"", qd=0, an=0, flags=0x8185), 0x1234, "x.example",
                       "A")[0] == "answer"
    assert judge_reply(_reply(A_RR.replace(b"\xc0\x0c", b"\x00"), qd=0), 0x1234,
                       "intranet.corp.example", "A")[0] == "ignore"


def test_a_truncated_reply_keeps_what_it_has() -> None:
    # TC set and cut inside its second record: read up to there, not malformed — the
    # collector asks again over TCP.
    data = _reply(QUESTION + A_RR + A_RR[:7], an=2, flags=0x8380)
    parsed = parse_response(data)
    assert parsed["truncated"] and [r["value"] for r in parsed["records"]] == ["192.0.2.10"]
    with pytest.raises(MalformedReply, match="cut short at byte 62 .answer record 2."):
        parse_response(_reply(QUESTION + A_RR + A_RR[:7], an=2))


def test_labels_are_escaped_as_dig_prints_them() -> None:
    name = b"\x05a.b\\c\x01\x1b\x00"  # a dot, a backslash and ESC inside labels
    parsed = parse_response(_reply(name + struct.pack("!HH", 1, 1), an=0))
    assert parsed["question"]["name"] == "a\\.b\\\\c.\\027"
