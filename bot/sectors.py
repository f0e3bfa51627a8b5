"""Recognising the sector a customer names ("varastossa" → logistics)."""

from __future__ import annotations

from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.municipalities import Lemmatizer, fold
from bot.needs import Taxonomy

SECTOR_WORDS_FILE = Path(__file__).resolve().parent / "data" / "sector_words.yml"
# Key of the list of compounds that look like sector words but are not ("sähköposti").
NOT_SECTORS = "not_sectors"
# Key of the nouns that end a sector's name ("paper mill", "care home", "IT support").
SECTOR_HEADS = "heads"


class SectorMatcher:
    """Maps words (and their lemmas and compound parts) to sector ids."""

    def __init__(self, taxonomy: Taxonomy, words: dict[str, list[str]], lemmatizer: Lemmatizer | None = None):
        self._lemmatizer = lemmatizer
        self._by_word: dict[str, str] = {}
        for sector_id, sector in taxonomy.sectors.items():
            self._by_word[fold(sector_id)] = sector_id
            for name in sector.names.values():
                self._by_word.setdefault(fold(name), sector_id)
        for sector_id, vocabulary in words.items():
            if sector_id not in taxonomy.sectors:
                raise ValueError(f"{SECTOR_WORDS_FILE}: unknown sector id '{sector_id}'")
            for word in vocabulary:
                self._by_word.setdefault(fold(word), sector_id)
        self._words = list(self._by_word)

    @classmethod
    def load(cls, taxonomy: Taxonomy, lemmatizer: Lemmatizer | None = None, path: Path = SECTOR_WORDS_FILE) -> SectorMatcher:
        words = yaml.safe_load(path.read_text(encoding="utf-8"))
        words.pop(NOT_SECTORS, None)
        words.pop(SECTOR_HEADS, None)
        return cls(taxonomy, words, lemmatizer)

    def _forms(self, word: str) -> list[str]:
        forms = [word]
        if self._lemmatizer is not None:
            forms.extend(self._lemmatizer(word))
        return [fold(f) for f in forms]

    def match(self, text: str) -> str | None:
        """The sector named in ``text``, or ``None``."""
        whole = fold(text.strip(" .!?"))
        if whole in self._by_word:
            return self._by_word[whole]
        words = [w.strip(".,!?;:()\"'") for w in text.split()]
        for word in filter(None, words):
            for form in self._forms(word):
                if form in self._by_word:
                    return self._by_word[form]
        for word in filter(None, words):
            for form in self._forms(word):
                # compound words: "trukkikuski", "metsäkoneenkuljettaja"
                for known in self._words:
                    if len(known) >= 4 and form.startswith(known):
                        return self._by_word[known]
        for word in filter(None, words):
            if len(word) >= 5:
                found = process.extractOne(fold(word), self._words, scorer=fuzz.ratio, score_cutoff=85)
                if found:
                    return self._by_word[found[0]]
        return None
