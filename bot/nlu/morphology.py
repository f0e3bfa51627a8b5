"""Finnish morphology for the NLU: spaCy's Finnish tokenizer and Voikko's analyses.

What the trial in ``shared/notes/finnish-nlu.md`` taught is built in here:
Voikko's first analysis is often wrong for common words, so analyses are
ranked (fewest compound parts, common words before proper names, then
Voikko's order); unknown words (spoken forms, typos, words without ä/ö) keep
their surface form; and compound parts come from STRUCTURE's ``=``
boundaries, added to the lemma string so the token count does not change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

logger = logging.getLogger(__name__)

PROPER_CLASSES = frozenset({"etunimi", "sukunimi", "paikannimi", "nimi"})
MIN_PART_LENGTH = 3
MAX_RESTORE_POSITIONS = 8
RESTORABLE_CLASSES = frozenset({"nimisana", "laatusana", "nimisana_laatusana", "paikannimi"})
_DOTTED = {"a": "ä", "o": "ö", "A": "Ä", "O": "Ö"}


@dataclass(frozen=True)
class Analysis:
    """What the NLU uses of one word."""

    surface: str
    lemma: str
    parts: tuple[str, ...] = ()
    person: str | None = None
    number: str | None = None
    mood: str | None = None
    possessive: str | None = None
    known: bool = False

    @property
    def lemma_string(self) -> str:
        """The lemma followed by compound parts: "työpaikkaohjaaja työ paikka ohjaaja"."""
        return " ".join((self.lemma, *self.parts)) if self.parts else self.lemma


def _parts(analysis: Mapping[str, Any], baseform: str) -> tuple[str, ...]:
    """Compound parts of the base form from STRUCTURE's ``=`` boundaries."""
    structure = str(analysis.get("STRUCTURE") or "")
    pieces = [p for p in structure.split("=") if p]
    if len(pieces) < 2:
        return ()
    parts: list[str] = []
    position = 0
    lowered = baseform.lower()
    for piece in pieces:
        # STRUCTURE marks letters of the inflected word; apply its lengths to the base form.
        length = len(piece.replace("-", ""))
        part = lowered[position : position + length]
        position += length
        if len(part) >= MIN_PART_LENGTH:
            parts.append(part)
    # The last part is cut by the inflection: take the rest of the base form.
    if parts and position < len(lowered):
        parts[-1] = lowered[position - len(pieces[-1].replace("-", "")) :]
    return tuple(parts) if len(parts) > 1 else ()


def _rank(analysis: Mapping[str, Any], order: int) -> tuple[int, int, int]:
    structure = str(analysis.get("STRUCTURE") or "")
    compound_parts = structure.count("=")
    proper = 1 if analysis.get("CLASS") in PROPER_CLASSES else 0
    return (compound_parts, proper, order)


class FinnishMorphology:
    """Analyses Finnish words with Voikko; one instance per process."""

    def __init__(self) -> None:
        import libvoikko  # noqa: PLC0415 - the C library is loaded only when asked for

        self._voikko = libvoikko.Voikko("fi")
        self.analyse = lru_cache(maxsize=131072)(self._analyse)
        self.baseforms = lru_cache(maxsize=65536)(self._baseforms)

    def _baseforms(self, word: str) -> tuple[str, ...]:
        """Every base form Voikko gives, place names first: for looking names up, not for features."""
        analyses = self._voikko.analyze(word) if any(ch.isalpha() for ch in word) else []
        ranked = sorted(analyses, key=lambda a: a.get("CLASS") != "paikannimi")
        return tuple(dict.fromkeys(str(a["BASEFORM"]) for a in ranked if a.get("BASEFORM")))

    def _analyse(self, word: str) -> Analysis:
        analyses = self._voikko.analyze(word) if any(ch.isalpha() for ch in word) else []
        if not analyses:
            analyses = self._with_dots_restored(word)
        if not analyses:
            return Analysis(surface=word, lemma=word.lower())
        ranked = sorted(enumerate(analyses), key=lambda item: _rank(item[1], item[0]))
        best = ranked[0][1]
        baseform = str(best.get("BASEFORM") or word)
        return Analysis(
            surface=word,
            lemma=baseform.lower(),
            parts=_parts(best, baseform),
            person=best.get("PERSON"),
            number=best.get("NUMBER"),
            mood=best.get("MOOD"),
            possessive=best.get("POSSESSIVE"),
            known=True,
        )

    def _with_dots_restored(self, word: str) -> list[dict[str, Any]]:
        """Analyses of ``word`` typed without ä/ö ("tyopaikkaohjaaja"), if exactly one spelling is a word.

        Only for words Voikko does not know as typed, trying the fewest changes
        first, only nouns and adjectives (a spoken verb like "olisko" must not
        become "ölistä"), and only when one restored spelling is known: a guess
        between two words is worse than the surface form.
        """
        positions = [i for i, ch in enumerate(word) if ch in "aoAO"]
        if not positions or len(positions) > MAX_RESTORE_POSITIONS or not word.isalpha():
            return []
        for changes in range(1, len(positions) + 1):
            known = []
            for chosen in combinations(positions, changes):
                letters = list(word)
                for i in chosen:
                    letters[i] = _DOTTED[letters[i]]
                candidate = "".join(letters)
                analyses = [a for a in self._voikko.analyze(candidate) if a.get("CLASS") in RESTORABLE_CLASSES]
                if analyses:
                    known.append(analyses)
            if len(known) == 1:
                return list(known[0])
            if known:
                return []
        return []
