"""--anonymize and numbers that name a person: payment cards, Chinese resident IDs,
IBANs, phone numbers — each pseudonymised consistently, and no pseudonym is a valid
number where the format has a checksum."""

from __future__ import annotations

import random
import re

from toolkit.redact.anonymize import Pseudonymizer, cn_id_check, iban_ok, luhn_ok


def _card(rng: random.Random, prefix: str = "4", length: int = 16) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


def _cn_id(rng: random.Random) -> str:
    body = "110105" + f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}" \
        f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + cn_id_check(body)


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DE00")) % 97
    return f"DE{check:02d}{bban}"


def test_cards_ids_ibans_phones_get_consistent_pseudonyms() -> None:
    rng = random.Random()
    card, amex, cn, iban = _card(rng), _card(rng, "37", 15), _cn_id(rng), _iban(rng)
    assert luhn_ok(card) and iban_ok(iban)
    spaced = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    phone = f"+1 415 555 {rng.randint(1000, 9999)}"
    mobile = f"13{rng.randint(100000000, 999999999)}"
    p = Pseudonymizer()
    a = p.apply(f"paid with {spaced} (amex {amex}) by {cn}, IBAN {iban}, call {phone} or {mobile}")
    b = p.apply(f"again {card.replace('', '')} and {cn.lower()} {mobile}")
    for real in (card, spaced, amex, cn, iban, phone, mobile):
        assert real not in a and real not in b
    fake_card = re.search(r"paid with ([\d ]+) ", a).group(1)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", fake_card)  # the same layout
    assert fake_card.startswith("9999 99") and not luhn_ok(fake_card.replace(" ", ""))
    fake_id = re.search(r"by (\w+),", a).group(1)
    assert fake_id.startswith("000000") and cn_id_check(fake_id[:17]) != fake_id[17]
    fake_iban = re.search(r"IBAN (\w+)", a).group(1)
    assert fake_iban.startswith("XX00") and not iban_ok(fake_iban)
    assert "+44 7700 900" in a
    assert fake_card.replace(" ", "") in b or fake_card in b  # the same card, the same pseudonym
    assert p.apply(a) == a  # pseudonyms are never pseudonymised again
    assert p.summary()["card"] == 3 and p.summary()["national_id"] == 2


def test_numbers_that_fail_their_checksum_are_left_alone() -> None:
    rng = random.Random()
    card = _card(rng)
    bad_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    cn = _cn_id(rng)
    bad_cn = cn[:-1] + ("0" if cn[-1] != "0" else "1")
    text = (f"order {bad_card} id {bad_cn} blk_-1608999687919862906 pid 31337 "
            f"at 2026-11-25T13:30:21 size 4096000000")
    assert Pseudonymizer().apply(text) == text
