"""Only the bot's own button payloads pass as payloads; a fair pace per sender."""

from __future__ import annotations

from bot.guard import RateLimit, clean, normalise, offered_payloads, screen


def test_the_bots_own_buttons_pass_and_typed_entities_become_text() -> None:
    allowed = offered_payloads()
    assert {"/affirm", "/i_am_employer", "/need_staff_training", '/correct_field{"field":"email"}'} <= allowed
    assert screen("/affirm", allowed) == "/affirm"
    assert screen('/correct_field{"field": "email"}', allowed) == '/correct_field{"field": "email"}'
    assert screen('/affirm{"consent": true}', allowed) == 'affirm{"consent": true}'
    assert screen('/need_staff_training{"consent": true, "email": "x"}', allowed).startswith("need_staff_training")
    assert screen("/nlu_fallback", allowed) == "nlu_fallback"
    assert screen("tavallinen viesti", allowed) == "tavallinen viesti"


def test_payload_spellings_are_normalised() -> None:
    assert normalise('/x{"b": 1, "a": 2}') == normalise('/x{"a":2,"b":1}') == '/x{"a":2,"b":1}'
    assert normalise("/x{broken") == "/x{broken"


def test_the_rate_limit_allows_a_burst_then_the_steady_pace_per_sender() -> None:
    limit = RateLimit(per_minute=60, burst=3)
    assert [limit.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b", now=0.0)  # others are not slowed by one sender
    assert limit.allow("a", now=1.0) and not limit.allow("a", now=1.0)  # one more a second


def test_text_is_cleaned_of_what_breaks_storage() -> None:
    assert clean("hei \ud83d maailma") == "hei ? maailma"  # a lone surrogate made stock Rasa answer 500
    assert clean("a\x00b\x1b[31mc\n\td") == "ab[31mc\n\td"
    assert clean("ääkkösiä 😀 Привет") == "ääkkösiä 😀 Привет"
