"""Offerings by meaning: the real sentence encoder (multilingual-e5-small, local) over the Kymenlaakso demo catalogue."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.network.loading import load_network
from bot.network.municipalities import Municipalities
from bot.network.needs import load_taxonomy
from bot.nlu.encoder import Vectors, shared_encoder
from bot.paths.catalogue import load_catalogue
from bot.paths.meaning import OfferingMeanings, passages
from bot.paths.offerings import Offering
from bot.settings import PROJECT_ROOT, Settings

NETWORK = PROJECT_ROOT / "networks" / "kymenlaakso.yml"


@pytest.fixture(scope="module")
def offerings() -> list[Offering]:
    taxonomy = load_taxonomy()
    municipalities = Municipalities.load()
    network = load_network(NETWORK, taxonomy, municipalities)
    curated = Settings(network_path=NETWORK).curated_catalogue
    return list(load_catalogue(curated, None, taxonomy, municipalities, [p.id for p in network.partners]).offerings)


@pytest.fixture(scope="module")
def meanings(offerings: list[Offering]) -> OfferingMeanings:
    return OfferingMeanings(shared_encoder(), offerings)


def ranked(meanings: OfferingMeanings, offerings: list[Offering], text: str) -> list[str]:
    scores = meanings.similarities(text)
    return [o.id for _, o in sorted(zip(scores, offerings, strict=True), key=lambda pair: -pair[0])]


CARE = ("ao-lahihoitaja", "amk-sairaanhoitaja", "amk-sosionomi")
PORT = ("amk-logistiikka-insinoori", "ao-logistiikka-pt", "amk-avoin-logistiikka", "ty-varastotyo-koulutus")


def closest(meanings: OfferingMeanings, offerings: list[Offering], text: str, ids: tuple[str, ...]) -> float:
    return max(score for score, o in zip(meanings.similarities(text), offerings, strict=True) if o.id in ids)


@pytest.mark.parametrize(
    "text",
    [
        "haluan töihin satamaan",  # no word of it in any logistics offering
        "Jag vill jobba i hamnen",
        "I want to work at the harbour",
    ],
)
def test_work_at_the_port_means_logistics_not_care(meanings: OfferingMeanings, offerings: list[Offering], text: str) -> None:
    assert closest(meanings, offerings, text, PORT) > closest(meanings, offerings, text, CARE)


@pytest.mark.parametrize(
    "text", ["Haluaisin hoitaa vanhuksia työkseni", "Jag vill jobba med äldre", "I'd like to work in elderly care"]
)
def test_caring_for_the_old_means_care_not_logistics(meanings: OfferingMeanings, offerings: list[Offering], text: str) -> None:
    assert closest(meanings, offerings, text, CARE) > closest(meanings, offerings, text, PORT)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("haluan töihin satamaan", "amk-logistiikka-insinoori"),  # its summary: satamalogistiikka
        ("Jag vill bli sjukskötare", "amk-sairaanhoitaja"),
        ("Haluisin motokuskiks", "ao-metsakone"),  # spoken Finnish for a forest-machine driver
        ("I'd like to fix computers for a living", "ao-tieto-pt"),
    ],
)
def test_words_not_in_the_catalogue_find_their_offering(
    meanings: OfferingMeanings, offerings: list[Offering], text: str, first: str
) -> None:
    assert ranked(meanings, offerings, text)[0] == first


def test_an_offering_is_known_in_each_language_of_its_titles(offerings: list[Offering]) -> None:
    port = next(o for o in offerings if o.id == "amk-logistiikka-insinoori")
    texts = passages(port)
    assert len(texts) == len(port.title) == 3
    assert texts[0].startswith(port.title["fi"]) and port.summary["fi"].rstrip(".") in texts[0]
    assert all("satama" in text for text in texts)  # the keywords, in every passage


class CountingEncoder:
    """The real encoder, counting the texts it is given."""

    def __init__(self) -> None:
        self.encoder = shared_encoder()
        self.texts = 0

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def queries(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.encoder.queries(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.encoder.passages(texts)


def test_the_offerings_are_encoded_once_when_the_catalogue_loads(offerings: list[Offering]) -> None:
    encoder = CountingEncoder()
    meanings = OfferingMeanings(encoder, offerings)
    loaded = encoder.texts
    assert loaded == sum(len(o.title) for o in offerings)
    for _ in range(3):
        meanings.similarities("haluan töihin satamaan")
    assert encoder.texts == loaded + 3  # the customer's words each time, never the offerings again


def test_no_words_and_no_offerings_mean_nothing(offerings: list[Offering]) -> None:
    assert OfferingMeanings(shared_encoder(), offerings).similarities("  ") == [0.0] * len(offerings)
    empty: Sequence[Offering] = ()
    assert OfferingMeanings(shared_encoder(), empty).similarities("satama") == []
