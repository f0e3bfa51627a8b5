from __future__ import annotations

import pytest

from bot.nlu.entities import EntityFinder
from bot.nlu.morphology import FinnishMorphology
from bot.nlu.sectors import swedish_words


def _entities(finder: EntityFinder, text: str) -> list[tuple[str, str, str]]:
    return [(f.entity, f.value, f.text) for f in finder.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kouvolassa", ("municipality", "Kouvola", "Kouvolassa")),
        ("oppisopimuspaikkaa Haminaan", ("municipality", "Hamina", "Haminaan")),
        ("olemme Haukiputaalla", ("municipality", "Oulu", "Haukiputaalla")),
        ("Kuusankoskella", ("municipality", "Kouvola", "Kuusankoskella")),
        ("Helsingissä", ("municipality", "Helsinki", "Helsingissä")),
        ("i live in Kotka", ("municipality", "Kotka", "Kotka")),
    ],
)
def test_municipalities_whatever_their_inflection(finder: EntityFinder, text: str, expected: tuple[str, str, str]) -> None:
    assert expected in _entities(finder, text)


@pytest.mark.parametrize(
    ("text", "sector"),
    [
        ("tarvitsemme väkeä varastoon", "logistics"),
        ("haluan metsäkoneenkuljettajaksi", "bioeconomy"),
        ("etsimme koodareita", "ict"),
        ("lähihoitajia puuttuu", "social_health"),
        ("paivakotiin tarvitaan apua", "social_health"),
        ("trukinkuljettaja", "logistics"),
        ("we need software developers", "ict"),
    ],
)
def test_sectors_from_everyday_words(finder: EntityFinder, text: str, sector: str) -> None:
    assert ("sector", sector) in [(e, v) for e, v, _ in _entities(finder, text)]


def test_email_and_phone_are_found_and_normalised(finder: EntityFinder) -> None:
    found = _entities(finder, "sähköposti maija@example.org ja puh 040 123 4567")
    assert ("email", "maija@example.org", "maija@example.org") in found
    assert ("phone", "+358401234567", "040 123 4567") in found
    assert not [e for e in found if e[0] == "sector"], "sähköposti is not the technology sector"


def test_offsets_point_at_the_words(finder: EntityFinder) -> None:
    text = "Tarvitsemme oppisopimusopiskelijan Kotkaan"
    (place,) = [f for f in finder.find(text) if f.entity == "municipality"]
    assert text[place.start : place.end] == "Kotkaan"


def test_nothing_is_found_in_plain_talk(finder: EntityFinder) -> None:
    assert _entities(finder, "Hei, kiitos paljon avusta!") == []


def _sectors(finder: EntityFinder, text: str) -> list[tuple[str, str]]:
    return [(f.value, f.text) for f in finder.find(text) if f.entity == "sector"]


def test_a_message_has_one_sector_its_first_mention(finder: EntityFinder) -> None:
    assert _sectors(finder, "Kuljetusliikkeemme kuljettajat tarvitsevat trukkikortit") == [("logistics", "Kuljetusliikkeemme")]
    assert _sectors(finder, "Haen töitä varastosta tai kahvilasta") == [("logistics", "varastosta")]


def test_an_english_pronoun_is_not_the_it_sector(finder: EntityFinder) -> None:
    assert _sectors(finder, "is it possible to get help with it?") == []
    assert _sectors(finder, "We run an IT support company") == [("ict", "IT support")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Haemme ICT-opiskelijalle harjoittelupaikkaa", ("ict", "ICT-opiskelijalle")),
        ("Tarvitsemme apua IT-tukeen", ("ict", "IT-tukeen")),
        ("ravintola-alalla töissä", ("hospitality", "ravintola-alalla")),
    ],
)
def test_hyphenated_compounds_by_their_parts(finder: EntityFinder, text: str, expected: tuple[str, str]) -> None:
    assert _sectors(finder, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("our paper mill needs a forklift driver", ("bioeconomy", "paper mill")),
        ("we are looking for delivery drivers", ("logistics", "delivery drivers")),
        ("we run two farms in Sippola", ("bioeconomy", "farms")),
        ("I want to work in a care home", ("social_health", "care home")),
    ],
)
def test_english_sector_names_of_several_words(finder: EntityFinder, text: str, expected: tuple[str, str]) -> None:
    assert _sectors(finder, text) == [expected]


def test_generic_nouns_are_not_part_of_the_sector_name(finder: EntityFinder) -> None:
    assert _sectors(finder, "we are a logistics firm in Kotka") == [("logistics", "logistics")]
    assert _sectors(finder, "our daycare staff need training") == [("social_health", "daycare")]


@pytest.mark.parametrize(
    ("text", "municipality", "named"),
    [
        ("Etsimme työntekijöitä, yritys on Haukiputaalla", "Oulu", "Haukipudas"),
        ("Haukipudas", "Oulu", "Haukipudas"),
        ("toimipiste Kiimingissä", "Oulu", "Kiiminki"),
        ("Kuusankoskella", "Kouvola", "Kuusankoski"),
        ("Kouvolassa", "Kouvola", "Kouvola"),
        ("vi finns i Uleåborg", "Oulu", "Oulu"),
    ],
)
def test_the_place_as_named_comes_with_the_municipality(finder: EntityFinder, text: str, municipality: str, named: str) -> None:
    # contracts.md: the municipality is the current one, and a former municipality the customer named is kept too.
    found = finder.find(text)
    assert [(f.entity, f.value) for f in found if f.entity in ("municipality", "place_named")] == [
        ("municipality", municipality),
        ("place_named", named),
    ]
    place, as_named = (f for f in found if f.entity in ("municipality", "place_named"))
    assert (as_named.start, as_named.end, as_named.text) == (place.start, place.end, place.text)


def test_each_municipality_named_has_its_own_place(finder: EntityFinder) -> None:
    found = [(f.entity, f.value, f.text) for f in finder.find("Oulussa ja Haukiputaalla")]
    assert found == [
        ("municipality", "Oulu", "Oulussa"),
        ("place_named", "Oulu", "Oulussa"),
        ("municipality", "Oulu", "Haukiputaalla"),
        ("place_named", "Haukipudas", "Haukiputaalla"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vi är en bilverkstad i Ekenäs", ("technology", "bilverkstad")),
        ("Vår lunchrestaurang behöver en kock", ("hospitality", "lunchrestaurang")),
        ("Jag jobbar på en livsmedelsbutik", ("commerce", "livsmedelsbutik")),
        ("Jag jobbar i järnhandeln", ("commerce", "järnhandeln")),
        ("Centrallagret behöver folk", ("logistics", "Centrallagret")),
        ("Vi är en elektrikerfirma", ("technology", "elektrikerfirma")),
        ("Fordonsmekanikerna behöver utbildning", ("technology", "Fordonsmekanikerna")),
    ],
)
def test_a_swedish_compound_is_named_by_its_head(finder: EntityFinder, text: str, expected: tuple[str, str]) -> None:
    assert _sectors(finder, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vi driver en handelsträdgård", ("bioeconomy", "handelsträdgård")),  # a garden, not commerce
        ("Städarna på sjukhusen", ("hospitality", "Städarna")),
    ],
)
def test_the_swedish_head_wins_over_a_modifier_of_another_sector(
    finder: EntityFinder, text: str, expected: tuple[str, str]
) -> None:
    assert _sectors(finder, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Daghemmet behöver en barnskötare", ("social_health", "Daghemmet")),
        ("Sjukskötarna på hälsocentralen", ("social_health", "Sjukskötarna")),
        ("Restaurangen söker servitörer", ("hospitality", "Restaurangen")),
        ("Hon jobbar inom hemvården", ("social_health", "hemvården")),
        ("Snickaren behöver en lärling", ("construction", "Snickaren")),
        ("Mitt städbolag söker personal", ("hospitality", "städbolag")),
        ("Vi söker kökspersonal", ("hospitality", "kökspersonal")),
        ("ett litet mjukvaruföretag", ("ict", "mjukvaruföretag")),
        ("Vår elfirma har två lärlingar", ("technology", "elfirma")),
        ("Jag vill jobba inom e-handeln", ("ict", "e-handeln")),
        ("Lokalvårdarna behöver utbildning", ("hospitality", "Lokalvårdarna")),
    ],
)
def test_swedish_sector_words_with_their_endings(finder: EntityFinder, text: str, expected: tuple[str, str]) -> None:
    assert _sectors(finder, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # Swedish: short words are no heads ("el", "bil"), and what only begins like a sector word
        "Vi har en bil och el i huset",
        "Hur fungerar läroavtal i vardagen?",
        "Jag hamnade i en svår situation",
        "Vårdnadshavaren måste skriva under",
        "Vi driver ett familjeföretag",  # "driver" is "run", not an English driver
        # Finnish spoken forms and typos Voikko does not know, and Finnish words that end like Swedish ones
        "mä tarttisin semmosta duunii",
        "olis kiva saada hommii jostain",
        "kaverin firmaan haettas tyyppii",
        "työttömyyskassa ei maksa",
        # English
        "I need help restoring my account",
        "the villagers struck a deal",
    ],
)
def test_no_sector_from_words_that_only_end_or_begin_like_one(finder: EntityFinder, text: str) -> None:
    assert _sectors(finder, text) == []


def test_english_driver_is_still_a_driver(finder: EntityFinder) -> None:
    assert _sectors(finder, "I work as a driver") == [("logistics", "driver")]


def test_a_swedish_word_does_not_begin_a_finnish_one(morphology: FinnishMorphology) -> None:
    # "reklam" (advertising) is Swedish; "reklamaatio" (a complaint) is a Finnish word Voikko knows.
    finder = EntityFinder(morphology, {}, {"reklam": "commerce", "metsä": "bioeconomy"}, swedish=frozenset({"reklam"}))
    assert _sectors(finder, "tein reklamaation") == []
    assert _sectors(finder, "metsäkoneita") == [("bioeconomy", "metsäkoneita")]
    assert _sectors(finder, "reklambyrån") == [("commerce", "reklambyrån")]


def test_swedish_words_are_read_from_their_heading() -> None:
    swedish = swedish_words()
    assert {"verkstad", "restaurang", "äldreboende", "butik", "hemvård"} <= swedish
    assert not {"varasto", "warehouse", "ravintola", "restaurant"} & swedish
