"""Shared fixtures: the real taxonomy, municipalities and demo network, and a
fresh SQLite database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import FrontDoor, create_frontdoor
from bot.network.loading import load_network
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy, load_taxonomy
from bot.nlu.morphology import FinnishMorphology
from bot.settings import DEFAULT_NETWORK, PROJECT_ROOT, Settings

SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def morphology() -> FinnishMorphology:
    return FinnishMorphology()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def municipalities(morphology: FinnishMorphology) -> Municipalities:
    return Municipalities.load(lemmatizer=morphology.baseforms)


@pytest.fixture(scope="session")
def network(taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    return load_network(DEFAULT_NETWORK, taxonomy, municipalities)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'cases.db'}")


@pytest.fixture
def frontdoor(settings: Settings) -> Iterator[FrontDoor]:
    app = create_frontdoor(settings)
    yield app
    app.engine.dispose()
