"""Finding municipalities, sectors, email addresses and phone numbers in a message.

Rule-based and fed by data files: spaCy's PhraseMatcher on Voikko lemmas
for names and sector words ("Kouvolassa" → Kouvola, "varastoon" → logistics),
each municipality with the place as the customer named it (``place_named``:
"Haukiputaalla" → Haukipudas, a former municipality of Oulu with an area of
its own; "Kouvolassa" → Kouvola),
compound parts for sector compounds ("metsäkoneenkuljettajaksi" →
bioeconomy), the head of Swedish compounds ("bilverkstaden" → technology), spaCy's ``LIKE_EMAIL`` checked by email-validator, and
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
from spacy.tokens import Doc, Token

from bot.contact import check_email
from bot.network.municipalities import Municipalities, fold
from bot.nlu.morphology import FinnishMorphology
from bot.nlu.sectors import NOT_SECTORS, SECTOR_HEADS, SECTOR_WORDS_FILE, swedish_words

# The entity beside each ``municipality``: the place as named, a former municipality's own name.
PLACE_NAMED = "place_named"
# Sector words this short are matched only as whole words, not as compound parts.
MIN_COMPOUND_PART = 4
# A Swedish sector word ends a compound ("bilverkstad") only if it is this long: not "el" or "bil".
MIN_SWEDISH_HEAD = 5
# The shortest modifier before a Swedish head ("elfirma" has "el").
MIN_SWEDISH_MODIFIER = 2
# Swedish endings a sector word may carry: definite, plural, genitive ("verkstaden", "butikerna", "hamnens").
SWEDISH_SUFFIXES = (
    "arnas",
    "ernas",
    "ornas",
    "arna",
    "erna",
    "orna",
    "ens",
    "ets",
    "na",
    "en",
    "et",
    "ar",
    "er",
    "or",
    "n",
    "t",
    "s",
)
MIN_SWEDISH_STEM = 3
# English sector words that are everyday Swedish words ("vi driver en restaurang": we run a restaurant),
# not sector words in a message with one of the Swedish words below.
SWEDISH_HOMOGRAPHS = frozenset({"driver", "port"})
SWEDISH_MARKERS = frozenset(
    {"och", "är", "jag", "vi", "ni", "ett", "på", "för", "som", "inte", "har", "med", "av", "det", "vill", "söker", "hej"}
)


def _is_acronym(word: str) -> bool:
    return len(word) <= 2 and word.isupper()


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
        heads: frozenset[str] = frozenset(),
        *,
        named: dict[str, str] | None = None,
        swedish: frozenset[str] = frozenset(),
    ):
        """``places``: every spelling → its current municipality; ``named``: every spelling → the
        place it names (a former municipality's own name, else the current municipality's);
        ``swedish``: the sector words that are Swedish (compounds end in them)."""
        self._morphology = morphology
        self._not_sectors = frozenset(fold(w) for w in not_sectors)
        self._heads = frozenset(fold(w) for w in heads)
        self._nlp = spacy.blank("fi")
        self._places = places
        self._phrases = PhraseMatcher(self._nlp.vocab, attr="LEMMA")
        for name, canonical in places.items():
            place = (named or {}).get(name, canonical)
            self._phrases.add(f"municipality|{canonical}|{place}", [self._lemmatised(name)])
        # Short upper-case acronyms ("IT") match only as written: "it" is an English pronoun.
        self._acronyms = {w: s for w, s in sector_words.items() if _is_acronym(w)}
        for word, sector in sector_words.items():
            if word not in self._acronyms:
                self._phrases.add(f"sector|{sector}", [self._lemmatised(word)])
        # Single sector words by folded lemma, for the parts of compounds.
        self._sector_lookup = {
            fold(morphology.analyse(w).lemma): s for w, s in sector_words.items() if " " not in w and w not in self._acronyms
        }
        # Words Voikko knows are Finnish: a Swedish word does not begin them ("gård" is not in "gardiini").
        only_swedish = {w for w in swedish if not any(o != w and fold(o) == fold(w) for o in sector_words)}
        self._finnish_lookup = {
            fold(morphology.analyse(w).lemma): s
            for w, s in sector_words.items()
            if " " not in w and w not in self._acronyms and w not in only_swedish
        }
        # Swedish words as written, for the Swedish endings and the heads of compounds.
        self._swedish_lookup = {fold(w): s for w, s in sector_words.items() if w in swedish and " " not in w}
        self._emails = Matcher(self._nlp.vocab)
        self._emails.add("email", [[{"LIKE_EMAIL": True}]])

    @classmethod
    def load(
        cls,
        morphology: FinnishMorphology,
        sector_words_file: Path = SECTOR_WORDS_FILE,
        municipalities: Municipalities | None = None,
    ) -> EntityFinder:
        register = municipalities or Municipalities.load()
        places = register.spellings()
        named = {name: place.named for name in places if (place := register.resolve(name)) is not None}
        words = yaml.safe_load(sector_words_file.read_text(encoding="utf-8"))
        not_sectors = frozenset(str(w) for w in words.pop(NOT_SECTORS, []))
        heads = frozenset(str(w) for w in words.pop(SECTOR_HEADS, []))
        sector_words = {str(word): sector for sector, vocabulary in words.items() for word in vocabulary}
        swedish = swedish_words(sector_words_file)
        return cls(morphology, places, sector_words, not_sectors, heads, named=named, swedish=swedish)

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
        lookup = self._finnish_lookup if analysis.known else self._sector_lookup
        beginnings = [analysis.lemma[:i] for i in range(len(analysis.lemma), MIN_COMPOUND_PART - 1, -1)]
        for part in [*beginnings, *analysis.parts]:
            sector = lookup.get(fold(part))
            if sector and len(part) >= MIN_COMPOUND_PART:
                return sector
        return None

    @staticmethod
    def _swedish_stems(word: str) -> list[str]:
        """``word`` and what it may be without a Swedish ending ("snickarna" → "snickare", "daghemmet" → "daghem")."""
        stems = [word]
        for suffix in SWEDISH_SUFFIXES:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= MIN_SWEDISH_STEM:
                stems += [stem, f"{stem}e", f"{stem}a"]
                if stem[-1] == stem[-2]:
                    stems.append(stem[:-1])
        return stems

    def _swedish_sector(self, text: str) -> str | None:
        """The sector of a word Voikko does not know, read as Swedish.

        A listed Swedish word with a Swedish ending ("verkstaden", "snickarna")
        first; then the head of a compound, the longest listed Swedish word it
        ends in ("lunchrestaurangen" → hospitality). Swedish compounds are
        head-final: the head names what the workplace is, so it wins over a
        modifier of another sector ("handelsträdgård" is a garden, bioeconomy).
        """
        stems = self._swedish_stems(fold(text))
        if self._not_sectors.intersection(stems):
            return None
        for stem in stems:
            if stem in self._swedish_lookup:
                return self._swedish_lookup[stem]
        heads = [
            stem[i:]
            for stem in stems
            for i in range(MIN_SWEDISH_MODIFIER, len(stem) - MIN_SWEDISH_HEAD + 1)
            if stem[i:] in self._swedish_lookup
        ]
        if heads:
            return self._swedish_lookup[max(heads, key=len)]
        return None

    def _word_sector(self, text: str) -> str | None:
        """The sector of one word; a hyphenated word by its parts ("IT-tukeen", "backend-kehittäjä")."""
        if text in self._acronyms:
            return self._acronyms[text]
        unknown = not self._morphology.analyse(text).known
        if unknown and fold(text).startswith(tuple(self._not_sectors)):
            return None  # "vardagen" begins like "vård" but is not care
        if unknown and len(text) >= MIN_SWEDISH_STEM and text.replace("-", "").isalpha():
            sector = self._swedish_sector(text)
            if sector:
                return sector
        if "-" in text.strip("-"):
            for part in text.strip("-").split("-"):
                sector = self._acronyms.get(part) or self._sector_lookup.get(fold(part))
                if sector is None and len(part) >= MIN_COMPOUND_PART + 2:
                    sector = self._compound_sector(part)
                if sector:
                    return sector
            return None
        if text.isalpha() and len(text) > MIN_COMPOUND_PART and text[-1] in "sS" and not self._morphology.analyse(text).known:
            # an English plural of a short word ("farms", "ports", "chefs")
            sector = self._sector_lookup.get(fold(text[:-1]))
            if sector:
                return sector
        if text.isalpha() and len(text) >= MIN_COMPOUND_PART + 2:
            return self._compound_sector(text)
        return None

    def _sector(self, doc: Doc, matched: list[tuple[str, int, int]], taken: set[int]) -> Found | None:
        """The message's sector: its first mention, with the words that belong to it.

        A customer has one sector, and later mentions are usually details
        ("sahalla ... trukkikortit"). A mention in words that are not Finnish
        takes in the next words of the same sector and a following head noun
        ("paper mill", "delivery drivers"); Finnish writes those as compounds.
        """
        spans = list(matched)
        for token in doc:
            if token.i not in taken:
                sector = self._word_sector(token.text)
                if sector:
                    spans.append((sector, token.i, token.i + 1))
        if not spans:
            return None
        sector, start, end = min(spans, key=lambda span: span[1])
        ends = {s: e for v, s, e in spans if v == sector}
        while not self._morphology.analyse(doc[end - 1].text).known:
            if end in ends:
                end = ends[end]
            elif end < len(doc) and end not in taken and doc[end - 1].whitespace_ and self._is_head(doc[end]):
                end += 1
            else:
                break
        span = doc[start:end]
        return Found("sector", sector, span.start_char, span.end_char, span.text)

    def _is_head(self, token: Token) -> bool:
        word = fold(token.text)
        return word in self._heads or (word.endswith("s") and word[:-1] in self._heads)

    def find(self, text: str) -> list[Found]:
        """Every entity in ``text``; overlapping matches keep the longest, and one sector at most.

        Each ``municipality`` is followed by a ``place_named`` over the same words.
        """
        doc = self._lemmatised(text)
        found: list[Found] = []
        sectors: list[tuple[str, int, int]] = []
        taken: set[int] = set()
        swedish = any(token.lower_ in SWEDISH_MARKERS for token in doc)
        matches = sorted(self._phrases(doc), key=lambda m: (m[1] - m[2], m[1]))
        for match_id, start, end in matches:
            if taken & set(range(start, end)):
                continue
            entity, value, *named = self._nlp.vocab.strings[match_id].split("|")
            taken |= set(range(start, end))
            if swedish and entity == "sector" and doc[start:end].text.lower() in SWEDISH_HOMOGRAPHS:
                continue
            if entity == "sector":
                sectors.append((value, start, end))
                continue
            span = doc[start:end]
            found.append(Found(entity, value, span.start_char, span.end_char, span.text))
            if named:
                found.append(Found(PLACE_NAMED, named[0], span.start_char, span.end_char, span.text))
        sector = self._sector(doc, sectors, taken)
        if sector:
            found.append(sector)
        for _match_id, start, end in self._emails(doc):
            span = doc[start:end]
            checked = check_email(span.text)
            if checked.ok and checked.value:
                found.append(Found("email", checked.value, span.start_char, span.end_char, span.text))
        for match in phonenumbers.PhoneNumberMatcher(text, "FI"):
            number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append(Found("phone", number, match.start, match.end, match.raw_string))
        return sorted(found, key=lambda f: f.start)
