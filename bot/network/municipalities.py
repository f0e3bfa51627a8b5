"""Finnish municipalities: recognising the one a customer names.

Customers write "Kouvola", "kouvolassa", "Kouvolasta", "Helsingissä",
"haukipudas" or "Kouvloa", and in Swedish "Fredrikshamn", "i Pyttis" or
"Lovisas" (a Swedish name inflects only in the genitive). The register keeps the current municipality's
canonical name, and the former municipality a customer named (Haukipudas is
part of Oulu but served by its own unit, so it can decide the area).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.settings import DATA_DIR

logger = logging.getLogger(__name__)

MUNICIPALITIES_FILE = DATA_DIR / "municipalities.yml"

# Below this similarity (0-100) a typed name is not taken as a municipality.
FUZZY_CUTOFF = 85


def fold(text: str) -> str:
    """Lower-case, without diacritics: "Hämeenlinna" and "hameenlinna" meet."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Place:
    """A municipality as the customer named it, and where that is now."""

    municipality: str
    named: str

    @property
    def former(self) -> str | None:
        """The former municipality the customer named, if it was one."""
        return self.named if self.named != self.municipality else None


Lemmatizer = Callable[[str], Iterable[str]]


def _takes_genitive(name: str) -> bool:
    """Whether a name's Swedish genitive adds an s ("Lovisa" → "Lovisas"; "Närpes" stays)."""
    return name[-1:].lower() not in ("s", "x", "z", "")


class Municipalities:
    """Current and former Finnish municipalities, looked up by what people type."""

    def __init__(
        self,
        current: Iterable[str],
        former: dict[str, str],
        lemmatizer: Lemmatizer | None = None,
        aliases: dict[str, str] | None = None,
    ):
        self._current = sorted(set(current))
        self._former = dict(former)
        self._lemmatizer = lemmatizer
        self._spellings = {name: name for name in self._current} | dict(aliases or {}) | self._former
        self._by_folded: dict[str, Place] = {}
        for name in self._current:
            self._by_folded[fold(name)] = Place(municipality=name, named=name)
        for alias, name in (aliases or {}).items():
            self._by_folded.setdefault(fold(alias), Place(municipality=name, named=name))
        for old, new in self._former.items():
            self._by_folded.setdefault(fold(old), Place(municipality=new, named=old))
        self._folded_names = list(self._by_folded)  # typos are looked for among the names, not their genitives
        # Swedish genitives ("Fredrikshamns hamn", "Lovisas centrum", "Kotkas"): a name that ends in s, x or z
        # takes none ("Helsingfors"), and a real name is never shadowed by another's genitive.
        for spelling, municipality in list(self._spellings.items()):
            if _takes_genitive(spelling):
                self._spellings.setdefault(f"{spelling}s", municipality)
        for folded, place in list(self._by_folded.items()):
            if _takes_genitive(folded):
                self._by_folded.setdefault(f"{folded}s", place)

    @classmethod
    def load(cls, path: Path = MUNICIPALITIES_FILE, lemmatizer: Lemmatizer | None = None) -> Municipalities:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        names = [entry["name"] for entry in raw["municipalities"]]
        aliases = {entry["sv"]: entry["name"] for entry in raw["municipalities"] if entry.get("sv")}
        return cls(names, raw.get("former") or {}, lemmatizer, aliases)

    @property
    def names(self) -> list[str]:
        """The canonical names of the current municipalities."""
        return list(self._current)

    def spellings(self) -> dict[str, str]:
        """Every name a place goes by (current, Swedish, former) → the current municipality."""
        return dict(self._spellings)

    def canonical(self, name: str) -> str | None:
        """The current municipality a (current or former) name belongs to."""
        place = self._by_folded.get(fold(name))
        return place.municipality if place else None

    def resolve(self, text: str) -> Place | None:
        """The municipality in ``text``: exact, by lemma, then typo-tolerant."""
        words = [w.strip(".,!?;:()\"'") for w in text.split()]
        words = [w for w in words if w]
        if not words:
            return None
        # Whole phrase first ("Yli-Ii", "Pedersöre"), then single words.
        candidates = [" ".join(words), *words]
        for candidate in candidates:
            place = self._by_folded.get(fold(candidate))
            if place:
                return place
        if self._lemmatizer is not None:
            for word in words:
                for lemma in self._lemmatizer(word):
                    place = self._by_folded.get(fold(lemma))
                    if place:
                        return place
        for candidate in candidates:
            if len(candidate) < 4:
                continue
            match = process.extractOne(fold(candidate), self._folded_names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match:
                return self._by_folded[match[0]]
        return None
