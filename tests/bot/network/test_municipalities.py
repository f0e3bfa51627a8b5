from __future__ import annotations

import pytest

from bot.network.municipalities import Municipalities
from bot.nlu.entities import PLACE_NAMED, EntityFinder
from bot.nlu.morphology import FinnishMorphology


def test_all_current_municipalities_are_known(municipalities: Municipalities) -> None:
    assert len(municipalities.names) == 308
    assert {"Kouvola", "Kotka", "Hamina", "Oulu", "Helsinki", "Maarianhamina"} <= set(municipalities.names)


@pytest.mark.parametrize(
    ("typed", "municipality", "former"),
    [
        ("Kouvola", "Kouvola", None),
        ("kouvolassa", "Kouvola", None),
        ("Kouvolasta", "Kouvola", None),
        ("Helsingissä", "Helsinki", None),
        ("Lahdessa", "Lahti", None),
        ("asun Haminassa", "Hamina", None),
        ("Kouvloa", "Kouvola", None),
        ("hameenlinna", "Hämeenlinna", None),
        ("Haukipudas", "Oulu", "Haukipudas"),
        ("Haukiputaalla", "Oulu", "Haukipudas"),
        ("Kuusankoski", "Kouvola", "Kuusankoski"),
        ("Helsingfors", "Helsinki", None),
        ("Tammisaari", "Raasepori", "Tammisaari"),
        ("Tenhola", "Raasepori", "Tenhola"),
        ("Koivulahdella", "Mustasaari", "Koivulahti"),
    ],
)
def test_a_typed_place_becomes_the_current_municipality(
    municipalities: Municipalities, typed: str, municipality: str, former: str | None
) -> None:
    place = municipalities.resolve(typed)
    assert place is not None
    assert (place.municipality, place.former) == (municipality, former)


@pytest.mark.parametrize("typed", ["Tukholma", "xyz", "", "en tiedä", "Springfield"])
def test_unknown_places_are_not_guessed(municipalities: Municipalities, typed: str) -> None:
    assert municipalities.resolve(typed) is None


@pytest.fixture(scope="module")
def finder(morphology: FinnishMorphology, municipalities: Municipalities) -> EntityFinder:
    """The first message's entity finder, over these municipalities."""
    return EntityFinder.load(morphology, municipalities=municipalities)


SWEDISH = [
    ("Pyttis", "Pyhtää", None),
    ("i Pyttis", "Pyhtää", None),
    ("Fredrikshamn", "Hamina", None),
    ("Fredrikshamns hamn", "Hamina", None),
    ("Lovisa", "Loviisa", None),
    ("i Lovisas centrum", "Loviisa", None),
    ("Kotkas", "Kotka", None),
    ("Borgås", "Porvoo", None),
    ("Strömfors", "Loviisa", "Strömfors"),
    ("Ekenäs", "Raasepori", "Ekenäs"),
    ("i Karis", "Raasepori", "Karis"),
    ("Pojo", "Raasepori", "Pojo"),
    ("Raseborg", "Raasepori", None),
    ("Ingå", "Inkoo", None),
    ("Nagu", "Parainen", "Nagu"),
    ("Kimito", "Kemiönsaari", "Kimito"),
    ("Bjärnå", "Salo", "Bjärnå"),
    ("Jeppo", "Uusikaarlepyy", "Jeppo"),
    ("Oravais", "Vöyri", "Oravais"),
    ("Lappfjärd", "Kristiinankaupunki", "Lappfjärd"),
    ("Esse", "Pedersören kunta", "Esse"),
    ("Kelviå", "Kokkola", "Kelviå"),
]


@pytest.mark.parametrize(("typed", "municipality", "former"), SWEDISH)
def test_swedish_names_and_their_genitives_become_the_municipality(
    municipalities: Municipalities, typed: str, municipality: str, former: str | None
) -> None:
    place = municipalities.resolve(typed)
    assert place is not None
    assert (place.municipality, place.former) == (municipality, former)


@pytest.mark.parametrize(("typed", "municipality", "former"), SWEDISH)
def test_swedish_names_are_found_in_a_first_message(
    finder: EntityFinder, typed: str, municipality: str, former: str | None
) -> None:
    found = {f.entity: f.value for f in finder.find(f"Vi söker en praktikant, {typed}")}
    assert (found.get("municipality"), found.get(PLACE_NAMED)) == (municipality, former or municipality)


def test_a_genitive_never_makes_a_typo_match() -> None:
    municipalities = Municipalities.load()
    assert municipalities.resolve("Atlantis") is None  # not "Kalantis", the genitive of Kalanti
    assert "Helsingforss" not in municipalities.spellings()  # a name in -s takes no genitive s
    assert municipalities.spellings()["Lovisas"] == "Loviisa"
