from __future__ import annotations

import pytest

from bot.contact import check_email, check_name, check_organization, check_phone, clean_text, is_skip


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("040 123 4567", "+358401234567"),
        ("0401234567", "+358401234567"),
        ("040-123 4567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("00358401234567", "+358401234567"),
        ("(05) 123 4567", "+35851234567"),
        ("numeroni on 050 765 4321, kiitos", "+358507654321"),
        ("+46 70 123 45 67", "+46701234567"),
    ],
)
def test_finnish_phone_numbers_in_their_usual_forms_are_normalised(typed: str, normalised: str) -> None:
    assert check_phone(typed).value == normalised


@pytest.mark.parametrize("typed", ["123", "abc", "040", "", "000 000 0000 000000", "puhelin"])
def test_what_is_not_a_phone_number_is_refused_with_a_reason(typed: str) -> None:
    result = check_phone(typed)
    assert not result.ok
    assert result.problem == "phone_invalid"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("maija.meikalainen@example.org", "maija.meikalainen@example.org"),
        ("Maija@EXAMPLE.ORG", "Maija@example.org"),
        ("sähköpostini on liisa@example.org.", "liisa@example.org"),
        ("  ville.virtanen+fd@example.org ", "ville.virtanen+fd@example.org"),
    ],
)
def test_email_syntax_is_checked_and_normalised(typed: str, normalised: str) -> None:
    assert check_email(typed).value == normalised


@pytest.mark.parametrize(
    "typed", ["maija.example.org", "maija@", "@example.org", "maija@example", "maija@@example.org", "maija@exa mple.org", ""]
)
def test_malformed_email_is_refused(typed: str) -> None:
    assert check_email(typed).problem == "email_invalid"


def test_names_keep_html_as_plain_text_and_drop_control_characters() -> None:
    assert check_name("<b>Maija</b>\x00 Meikäläinen").value == "<b>Maija</b> Meikäläinen"


@pytest.mark.parametrize("typed", ["1234", "maija@example.org", "???", ""])
def test_what_is_not_a_name_is_refused(typed: str) -> None:
    assert check_name(typed).problem == "name_invalid"


def test_long_input_is_cut_not_refused() -> None:
    assert len(check_organization("Oy " + "a" * 10_000).value or "") == 200
    assert len(clean_text("x" * 10_000, 50)) == 50


@pytest.mark.parametrize("typed", ["ohita", "Ei", "-", "en halua", "skip"])
def test_skip_words(typed: str) -> None:
    assert is_skip(typed)


def test_an_answer_is_not_a_skip() -> None:
    assert not is_skip("Eino Leino")
