from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.language import LanguageDetector, language_of


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Tarvitsisimme oppisopimusopiskelijan varastoomme", "fi"),
        ("meidän porukka tarttis trukkikoulutusta", "fi"),
        ("We need an apprentice for our warehouse", "en"),
        ("I am looking for a job in Kotka", "en"),
        ("Vi behöver en lärling till vårt lager", "sv"),
    ],
)
def test_a_first_message_sets_the_language(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.conversation_language(text, None, first_message=True) == language


@pytest.mark.parametrize("text", ["kyllä", "yes", "joo", "ok", "Maija Meikäläinen", "maija@example.org", "040 123 4567", "Kotka"])
@pytest.mark.parametrize("current", ["fi", "en"])
def test_short_answers_do_not_flip_the_language(detector: LanguageDetector, text: str, current: str) -> None:
    assert detector.conversation_language(text, current, first_message=False) == current


def test_a_clear_sentence_switches_the_language(detector: LanguageDetector) -> None:
    assert detector.conversation_language("Could we continue in English please", "fi", first_message=False) == "en"
    assert detector.conversation_language("Voidaanko jatkaa suomeksi kiitos", "en", first_message=False) == "fi"


def test_an_unclear_first_message_means_finnish(detector: LanguageDetector) -> None:
    assert detector.conversation_language("hi", None, first_message=True) == "fi"
    assert detector.conversation_language("123", None, first_message=True) == "fi"


@pytest.mark.parametrize("text", ["maija.example.org", "Smith Logistics Ltd", "www.example.org/yhteystiedot"])
def test_addresses_and_company_names_do_not_flip_the_language(detector: LanguageDetector, text: str) -> None:
    assert detector.conversation_language(text, "fi", first_message=False) == "fi"


@dataclass
class _User:
    language_code: str | None


@pytest.mark.parametrize(("code", "language"), [("en-GB", "en"), ("sv", "sv"), ("fi", "fi"), ("de", "fi"), (None, "fi")])
def test_someone_who_has_not_written_is_answered_in_their_clients_language(code: str | None, language: str) -> None:
    assert language_of(_User(code)) == language
    assert language_of(None) == "fi"
