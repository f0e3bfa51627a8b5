"""The need taxonomy (``needs.yml``): what a customer can come for, and sectors.

The file is the contract shared with the NLU (intent ``need_<id>``) and the
case register (``need`` field); it is copied verbatim from the shared spec and
a test keeps the copy identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import NEEDS_FILE

INTENT_PREFIX = "need_"
OTHER = "other"
CUSTOMER_TYPES = ("employer", "individual")


@dataclass(frozen=True)
class Need:
    """One need of the taxonomy with its names in each language."""

    id: str
    customer_types: tuple[str, ...]
    names: Mapping[str, str]

    @property
    def intent(self) -> str:
        return f"{INTENT_PREFIX}{self.id}"

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["fi"]


@dataclass(frozen=True)
class Sector:
    """A sector (toimiala) id with its names."""

    id: str
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.names["fi"]


@dataclass(frozen=True)
class Taxonomy:
    """Needs and sectors, looked up by id."""

    needs: Mapping[str, Need]
    sectors: Mapping[str, Sector]

    def need_for_intent(self, intent: str | None) -> Need | None:
        """The need an NLU intent stands for, or ``None`` for other intents."""
        if not intent or not intent.startswith(INTENT_PREFIX):
            return None
        return self.needs.get(intent[len(INTENT_PREFIX) :])

    def sector_names(self, sector_id: str) -> Iterable[str]:
        """A sector's names in every language (what a drafted path's words are matched against)."""
        return self.sectors[sector_id].names.values()

    def implied_customer_type(self, need_id: str) -> str | None:
        """The customer type a need implies, when only one kind of customer has it."""
        need = self.needs.get(need_id)
        if need is None or len(need.customer_types) != 1:
            return None
        return need.customer_types[0]


def _sector_names(body: Mapping[str, str | None]) -> dict[str, str]:
    """Names by language, mending unquoted commas in a YAML flow mapping.

    ``{fi: Biotalous (metsä, energia, puu), en: …}`` parses as ``fi: "Biotalous
    (metsä"``, ``energia: None``, ``puu): None``: a key without a value is the
    rest of the previous name, so it is joined back.
    """
    names: dict[str, str] = {}
    last: str | None = None
    for key, value in body.items():
        if value is None and last is not None:
            names[last] = f"{names[last]}, {key}"
        elif value is not None:
            names[key] = str(value)
            last = key
    return names


def load_taxonomy(path: Path = NEEDS_FILE) -> Taxonomy:
    """Read ``needs.yml``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    needs = {
        need_id: Need(
            id=need_id,
            customer_types=tuple(body["customer"]),
            names={lang: body[lang] for lang in ("fi", "en", "sv") if lang in body},
        )
        for need_id, body in raw["needs"].items()
    }
    sectors = {sector_id: Sector(id=sector_id, names=_sector_names(body)) for sector_id, body in raw["sectors"].items()}
    return Taxonomy(needs=needs, sectors=sectors)
