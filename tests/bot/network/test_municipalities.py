from __future__ import annotations

import pytest

from bot.network.municipalities import Municipalities


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
