"""What the masking of stored conversations finds, and what it leaves alone."""

from __future__ import annotations

import pytest

from bot.nlu.lemmas import open_word_classes
from bot.privacy.masking import Masker, personal_values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sähköpostini on leena.lahtinen@example.fi kiitos", "sähköpostini on [email] kiitos"),
        ("soita 040 123 4567", "soita [phone]"),
        ("puh. +358 40 1234567 tai 05-1234567", "puh. [phone] tai [phone]"),
        ("numero (05) 123 4567", "numero [phone]"),
        ("hetu 010190-123A ja 311299A9876", "hetu [id-code] ja [id-code]"),
        # What is not personal stays readable.
        ("asia FD-2026-00042 vuonna 2026, postinumero 45100", "asia FD-2026-00042 vuonna 2026, postinumero 45100"),
        ("kello 16.00, 20 työntekijää", "kello 16.00, 20 työntekijää"),
    ],
)
def test_patterns_mask_emails_phones_and_identity_codes(text: str, expected: str) -> None:
    assert Masker().text(text) == expected


def test_names_given_are_masked_also_inflected_but_short_parts_are_not_searched() -> None:
    masker = Masker({"contact_name": ["Leena Lahtinen"], "email": ["-"]})
    assert masker.text("Leena Lahtinen") == "[name] [name]"
    assert masker.text("Kiitos Leenalle ja lahtiselle? ei, Lahtinen") == "Kiitos [name] ja lahtiselle? ei, [name]"
    assert Masker({"contact_name": ["Li Wu"]}).text("Li Wu asuu Lissabonissa") == "[name] asuu Lissabonissa"


def test_a_live_personal_slot_stays_and_an_old_one_is_masked_everywhere_else_it_appears() -> None:
    events = [
        {"event": "slot", "name": "email", "value": "old@example.fi", "timestamp": 1.0},
        {"event": "slot", "name": "email", "value": "new@example.fi", "timestamp": 2.0},
        {"event": "user", "text": "new@example.fi", "parse_data": {"text": "new@example.fi", "entities": []}, "timestamp": 2.0},
        {"event": "slot", "name": "need_text", "value": "soita 0401234567", "timestamp": 3.0},
    ]
    masker = Masker(personal_values(events))
    live = {"email": "new@example.fi"}
    masked = [masker.event(e, live) for e in events]
    assert masked[0]["value"] == "[email]"
    assert masked[1]["value"] == "new@example.fi"
    assert masked[2]["text"] == "[email]" and masked[2]["parse_data"]["text"] == "[email]"
    assert masked[3]["value"] == "soita [phone]"
    assert masked[2]["timestamp"] == 2.0
    # Masking twice changes nothing more.
    assert [masker.event(e, live) for e in masked] == masked
    assert personal_values(masked) == {"email": {"new@example.fi"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Before any name was asked: the first name Voikko knows, and the unknown surname after it.
        ("Tarvitsen töitä, olen Outi Ohikulkija Kouvolasta", "Tarvitsen töitä, olen [name] [name] Kouvolasta"),
        ("Matti Virtanen tässä", "[name] [name] tässä"),
        ("Kuljetus Virtanen Oy", "Kuljetus [name] Oy"),
        # Words that are names only sometimes, and place names, stay.
        ("Anna minulle apua oppisopimukseen Haminassa", "Anna minulle apua oppisopimukseen Haminassa"),
        ("Onni on tärkeää. Satu Nieminen", "Onni on tärkeää. Satu Nieminen"),
    ],
)
def test_names_in_free_text_are_found_with_voikko(text: str, expected: str) -> None:
    classes = open_word_classes()
    assert classes is not None, "Voikko (libvoikko1 + voikko-fi) is part of the set-up: run make setup"
    assert Masker(word_classes=classes).text(text) == expected
