from __future__ import annotations

import pytest

from bot.nlu.entities import EntityFinder
from bot.nlu.morphology import FinnishMorphology


@pytest.fixture(scope="session")
def finder(morphology: FinnishMorphology) -> EntityFinder:
    return EntityFinder.load(morphology)
