"""A path step as a line: the title in the reader's language, else the Finnish one noted as Finnish only."""

from __future__ import annotations

import pytest

from bot.delivery.notices import Texts
from bot.messages import Catalog
from bot.paths.steps import PathStep, step_line

STEP = PathStep(
    id="amk-logistiikka",
    partner="kaakko-amk",
    partner_name="Kaakon AMK",
    kind="degree",
    title={"fi": "Logistiikan tradenomi", "sv": "Tradenom, logistik"},
    link={"fi": "https://example.org/fi"},
    start="2027-01-11",
)
FINNISH_ONLY = PathStep(
    id="kouvola-varasto",
    partner="ekami",
    partner_name="Ekami",
    kind="course",
    title={"fi": "Varastotyön perusteet"},
    link={"fi": "https://example.org/varasto"},
    format="online",
)


def words(language: str) -> dict[str, str]:
    """The customer's words for a step, as the dialogue takes them from the message catalogue."""
    catalog = Catalog.load()
    return {word: catalog.render(f"path_{word}", language).text for word in ("starts", "online", "finnish_only")}


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("sv", "Tradenom, logistik (Kaakon AMK, börjar 11.1.2027) https://example.org/fi"),
        ("fi", "Logistiikan tradenomi (Kaakon AMK, alkaa 11.1.2027) https://example.org/fi"),
        ("en", "Logistiikan tradenomi – in Finnish only (Kaakon AMK, starts 11 Jan 2027) https://example.org/fi"),
    ],
)
def test_the_title_is_the_readers_language_s_else_finnish_with_a_note(language: str, line: str) -> None:
    assert step_line(STEP, language, words(language)) == line


def test_a_finnish_only_offering_is_noted_as_such_in_swedish_and_english_not_in_finnish() -> None:
    assert step_line(FINNISH_ONLY, "sv", words("sv")) == (
        "Varastotyön perusteet – endast på finska (Ekami, på nätet) https://example.org/varasto"
    )
    assert step_line(FINNISH_ONLY, "en", words("en")).startswith("Varastotyön perusteet – in Finnish only (Ekami, online)")
    assert step_line(FINNISH_ONLY, "fi", words("fi")).startswith("Varastotyön perusteet (Ekami, verkossa)")


def test_the_mentors_notice_has_the_same_words() -> None:
    texts = Texts.load()
    for language in ("fi", "en", "sv"):
        notice_words = {word: texts.word("labels", word, language) for word in ("starts", "online", "finnish_only")}
        assert notice_words == words(language)


def test_a_step_is_shown_whatever_languages_and_dates_it_has() -> None:
    words = {"starts": "börjar", "online": "på nätet"}
    step = PathStep(
        id="amk-logistiikka",
        partner="amk",
        partner_name="Kaakon AMK",
        kind="degree",
        title={"sv": "Grundexamen i logistik"},
        link={"en": "https://example.org/en"},
        start="next spring",
        format="online",
    )
    assert (
        step_line(step, "fi", words) == "Grundexamen i logistik (Kaakon AMK, börjar next spring, på nätet) https://example.org/en"
    )
