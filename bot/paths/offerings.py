"""What the catalogue holds: offerings (a programme, a course, a service of a partner), the sync plan, the catalogue.

Plain frozen values: :mod:`bot.paths.catalogue` reads them from the curated
and the synced file (checked by :mod:`bot.paths.checking`), :mod:`bot.paths.konfo`
makes them from Opintopolku's offerings, :mod:`bot.paths.drafting` ranks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = (
    "degree_programme",
    "continuing_education",
    "short_course",
    "open_studies",
    "apprenticeship_training",
    "instructor_training",
    "employment_service",
    "business_service",
)
# Where an offering sits on a path: a short first step, a vocational or higher-education
# programme, or a service (no studies).
LEVELS = ("course", "vocational", "higher", "service")
FORMATS = ("online", "on_site", "blended")


def in_language(values: Mapping[str, str], language: str) -> str:
    """``values`` in ``language``, else English, else Finnish (a title or link in the reader's language)."""
    return values.get(language) or values.get("en") or values.get("fi") or next(iter(values.values()), "")


@dataclass(frozen=True)
class Offering:
    """One concrete thing a partner offers: a programme, a course, a service."""

    id: str
    partner: str
    kind: str
    level: str
    title: Mapping[str, str]  # by language; Finnish always
    link: Mapping[str, str]  # by language; Finnish always
    needs: tuple[str, ...]
    sectors: tuple[str, ...] = ()  # none: any sector
    languages: tuple[str, ...] = ("fi",)
    format: str = "on_site"
    municipalities: tuple[str, ...] = ()  # where it is held; none: anywhere (online)
    start: str | None = None  # ISO date of the next start; none: continuous or by agreement
    cost_eur: float | None = None  # 0: free; none: not stated
    summary: Mapping[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()  # extra words customers use for it (Finnish, Swedish or English)
    source: str = "curated"  # or "konfo" for an offering synced from Opintopolku

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: (list(value) if isinstance(value, tuple) else value) for key, value in data.items()}


@dataclass(frozen=True)
class KonfoPartner:
    """Which institutions' education offerings belong to a partner, and of which education types."""

    partner: str
    organisations: tuple[str, ...]  # Opintopolku organisation oids (1.2.246.562.10.…)
    education_types: tuple[str, ...]  # konfo's koulutustyyppi filter values (amm, amk-opintojakso-avoin, …)


@dataclass(frozen=True)
class SyncPlan:
    """What ``frontdoor catalogue sync`` asks Opintopolku for."""

    partners: tuple[KonfoPartner, ...] = ()
    municipality_codes: tuple[str, ...] = ()  # kunta_286, …: where the network is
    keywords: tuple[str, ...] = ()  # none: everything of the education types there
    limit: int = 200  # toteutukset per partner at most


@dataclass(frozen=True)
class Catalogue:
    """The offerings in use: curated and synced, each id once (curated wins)."""

    offerings: tuple[Offering, ...] = ()
    plan: SyncPlan = SyncPlan()
    synced_at: str | None = None

    def __len__(self) -> int:
        return len(self.offerings)

    def get(self, offering_id: str) -> Offering | None:
        return next((o for o in self.offerings if o.id == offering_id), None)
