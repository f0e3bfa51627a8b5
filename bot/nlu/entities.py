"""Finding municipalities, sectors, email addresses and phone numbers in a message.

Rule-based and fed by data files: spaCy's PhraseMatcher on Voikko lemmas
for names and sector words ("Kouvolassa" → Kouvola, "varastoon" → logistics),
compound parts for sector compounds ("metsäkoneenkuljettajaksi" →
bioeconomy), spaCy's ``LIKE_EMAIL`` checked by email-validator, and
phonenumbers' matcher for Finnish phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from bot.contact import check_email
from bot.municipalities import Municipalities, fold
from bot.nlu.morphology import FinnishMorphology
from bot.sectors import NOT_SECTORS, SECTOR_WORDS_FILE

# Sector words this short are matched only as whole words, not as compound parts.
MIN_COMPOUND_PART = 4


@dataclass(frozen=True)
class Found:
    """An entity in a message, with character offsets."""

    entity: str
    value: str
    start: int
    end: int
    text: str

    def as_rasa(self) -> dict[str, Any]:
        return {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end, "confidence": 1.0}


class EntityFinder:
    """Rule-based entity finder over lemmatised spaCy docs."""

    def __init__(
        self,
        morphology: FinnishMorphology,
        places: dict[str, str],
        sector_words: dict[str, str],
        not_sectors: frozenset[str] = frozenset(),
    ):
        self._morphology = morphology
        self._not_sectors = frozenset(fold(w) for w in not_sectors)
        self._nlp = spacy.blank("fi")
        self._places = places
        self._phrases = PhraseMatcher(self._nlp.vocab, attr="LEMMA")
        for name, canonical in places.items():
            self._phrases.add(f"municipality|{canonical}", [self._lemmatised(name)])
        for word, sector in sector_words.items():
            self._phrases.add(f"sector|{sector}", [self._lemmatised(word)])
        # Single sector words by folded lemma, for the parts of compounds.
        self._sector_lookup = {fold(morphology.analyse(w).lemma): s for w, s in sector_words.items() if " " not in w}
        self._emails = Matcher(self._nlp.vocab)
        self._emails.add("email", [[{"LIKE_EMAIL": True}]])

    @classmethod
    def load(cls, morphology: FinnishMorphology, sector_words_file: Path = SECTOR_WORDS_FILE) -> EntityFinder:
        places = Municipalities.load().spellings()
        words = yaml.safe_load(sector_words_file.read_text(encoding="utf-8"))
        not_sectors = frozenset(str(w) for w in words.pop(NOT_SECTORS, []))
        sector_words = {str(word): sector for sector, vocabulary in words.items() for word in vocabulary}
        return cls(morphology, places, sector_words, not_sectors)

    def _lemmatised(self, text: str) -> Doc:
        doc = self._nlp.make_doc(text)
        for token in doc:
            token.lemma_ = fold(self._morphology.analyse(token.text).lemma)
        return doc

    def _compound_sector(self, text: str) -> str | None:
        """A sector named by a compound: the modifier decides ("metsäkoneenkuljettaja" → bioeconomy).

        The longest known beginning of the lemma wins, then the compound parts
        from left to right.
        """
        analysis = self._morphology.analyse(text)
        if fold(analysis.lemma) in self._not_sectors:
            return None
        beginnings = [analysis.lemma[:i] for i in range(len(analysis.lemma) - 1, MIN_COMPOUND_PART - 1, -1)]
        for part in [*beginnings, *analysis.parts]:
            sector = self._sector_lookup.get(fold(part))
            if sector and len(part) >= MIN_COMPOUND_PART:
                return sector
        return None

    def find(self, text: str) -> list[Found]:
        """Every entity in ``text``; overlapping matches keep the longest."""
        doc = self._lemmatised(text)
        found: list[Found] = []
        taken: set[int] = set()
        matches = sorted(self._phrases(doc), key=lambda m: (m[1] - m[2], m[1]))
        for match_id, start, end in matches:
            if taken & set(range(start, end)):
                continue
            entity, value = self._nlp.vocab.strings[match_id].split("|", 1)
            span = doc[start:end]
            found.append(Found(entity, value, span.start_char, span.end_char, span.text))
            taken |= set(range(start, end))
        for token in doc:
            if token.i in taken or not token.is_alpha or len(token.text) < MIN_COMPOUND_PART + 2:
                continue
            sector = self._compound_sector(token.text)
            if sector:
                found.append(Found("sector", sector, token.idx, token.idx + len(token.text), token.text))
                taken.add(token.i)
        for _match_id, start, end in self._emails(doc):
            span = doc[start:end]
            checked = check_email(span.text)
            if checked.ok and checked.value:
                found.append(Found("email", checked.value, span.start_char, span.end_char, span.text))
        for match in phonenumbers.PhoneNumberMatcher(text, "FI"):
            number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append(Found("phone", number, match.start, match.end, match.raw_string))
        return sorted(found, key=lambda f: f.start)
