"""Recognising the sector a customer names when the form asks for it ("varastossa" → logistics)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from rapidfuzz import fuzz, process

from bot.network.municipalities import fold
from bot.network.needs import Taxonomy
from bot.settings import DATA_DIR

if TYPE_CHECKING:
    from bot.nlu.entities import EntityFinder

SECTOR_WORDS_FILE = DATA_DIR / "sector_words.yml"
# Key of the list of compounds that look like sector words but are not ("sähköposti").
NOT_SECTORS = "not_sectors"
# Key of the nouns that end a sector's name ("paper mill", "care home", "IT support").
SECTOR_HEADS = "heads"
# The comment that starts a sector's Swedish words; "# Finnish" and "# English" start the others.
SWEDISH_HEADING = "# Swedish"
LANGUAGE_HEADINGS = frozenset({"# Finnish", "# English", SWEDISH_HEADING})
# Typos are forgiven in words at least this long, at this similarity (0–100).
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 85


def swedish_words(path: Path = SECTOR_WORDS_FILE) -> frozenset[str]:
    """The words listed under a "# Swedish" heading: Swedish compounds are matched by their head too."""
    words: set[str] = set()
    swedish = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not line.startswith((" ", "#")) and stripped.endswith(":"):
            swedish = False  # a new sector
        elif stripped in LANGUAGE_HEADINGS:
            swedish = stripped == SWEDISH_HEADING
        elif swedish and stripped.startswith("- "):
            words.add(str(yaml.safe_load(stripped[2:])))
    return frozenset(words)


class SectorMatcher:
    """Maps an answer to a sector id: a sector's own name, the NLU's sector words, or a near miss.

    The words, their inflections and compounds are the NLU's
    :class:`~bot.nlu.entities.EntityFinder`'s, so the form understands the
    same answers as the first message; only typo tolerance is added here.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        words: dict[str, list[str]],
        not_sectors: frozenset[str] = frozenset(),
        finder: EntityFinder | None = None,
    ):
        self._finder = finder
        self._not_sectors = tuple(fold(w) for w in not_sectors)
        self._by_word: dict[str, str] = {}
        for sector_id, sector in taxonomy.sectors.items():
            self._by_word[fold(sector_id)] = sector_id
            for name in sector.names.values():
                self._by_word.setdefault(fold(name), sector_id)
        for sector_id, vocabulary in words.items():
            if sector_id not in taxonomy.sectors:
                raise ValueError(f"{SECTOR_WORDS_FILE}: unknown sector id '{sector_id}'")
            for word in vocabulary:
                self._by_word.setdefault(fold(str(word)), sector_id)
        self._words = list(self._by_word)

    @classmethod
    def load(cls, taxonomy: Taxonomy, finder: EntityFinder | None = None, path: Path = SECTOR_WORDS_FILE) -> SectorMatcher:
        words = yaml.safe_load(path.read_text(encoding="utf-8"))
        not_sectors = frozenset(str(w) for w in words.pop(NOT_SECTORS, []))
        words.pop(SECTOR_HEADS, None)
        return cls(taxonomy, words, not_sectors, finder)

    def match(self, text: str) -> str | None:
        """The sector named in ``text``, or ``None``."""
        whole = fold(text.strip(" .!?"))
        if whole in self._by_word:
            return self._by_word[whole]
        if self._finder is not None:
            for found in self._finder.find(text):
                if found.entity == "sector":
                    return found.value
        words = [fold(w.strip(".,!?;:()\"'")) for w in text.split()]
        for word in filter(None, words):
            if word in self._by_word:
                return self._by_word[word]
        for word in words:
            if len(word) < FUZZY_MIN_LENGTH or word.startswith(self._not_sectors):
                continue
            found_word = process.extractOne(word, self._words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if found_word:
                return self._by_word[found_word[0]]
        return None
