"""The network as routing sees it: partners, the areas they serve, their mentors, a coordinator, the service promise.

Plain frozen values: :mod:`bot.network.loading` builds them from the network
file (checked by :mod:`bot.network.checking`), :mod:`bot.network.reload`
keeps the newest working one in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum

PARTNER_KINDS = ("education_provider", "employment_services", "business_services", "coordination", "other")
CHANNEL_KINDS = ("email", "telegram", "webhook")
# Network upkeep, shared out among partners as in the seeds: who coordinates
# the mentor network, who gathers foresight data, who keeps the web service.
UPKEEP_ROLES = ("mentor_network", "foresight", "web_service")


@dataclass(frozen=True)
class Channel:
    """Where a mentor is told about a case: ``kind`` and its address."""

    kind: str
    address: str | None = None


@dataclass(frozen=True)
class Mentor:
    """A person at a partner who takes cases."""

    id: str
    name: str
    partner: str
    needs: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"fi"})
    capacity: int = 20
    channels: tuple[Channel, ...] = ()
    away: tuple[tuple[date, date], ...] = ()

    def available_on(self, day: date) -> bool:
        """Whether the mentor is at work on ``day`` (not inside an away period)."""
        return not any(start <= day <= end for start, end in self.away)

    def handles(self, need: str, sector: str | None) -> bool:
        """Whether the mentor's own focus (if any) covers this case."""
        if self.needs and need not in self.needs:
            return False
        return not (self.sectors and sector and sector not in self.sectors)


@dataclass(frozen=True)
class Partner:
    """An organisation of the network and what it offers where."""

    id: str
    name: str
    kind: str
    needs: frozenset[str]
    sectors: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"fi"})
    # The partner's own web origins (``https://www.example.fi``): a widget on one of them credits the partner
    # as the customer's first contact.
    sites: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Area:
    """A set of municipalities, or of former municipalities within one."""

    id: str
    name: str
    municipalities: frozenset[str]


@dataclass(frozen=True)
class Service:
    """The network's promise: a case is accepted within so many working hours."""

    response_hours: float = 8.0
    day_starts: time = time(8, 0)
    day_ends: time = time(16, 0)
    timezone: str = "Europe/Helsinki"
    # A second request for the same need from the same person within this
    # many days joins the first case.
    duplicate_days: int = 3
    # Personal data of a case closed this many days ago, and conversations idle
    # that long, are erased by the retention purge.
    retention_days: int = 365
    # The customer is asked once whether they got help, this many working days after the mentor marked the
    # contact (or at a close as served or referred outside, if that comes first).
    followup_working_days: int = 10


class CaseOutcome(str, Enum):
    """What came of a case, recorded when it is closed (``frontdoor cases close --outcome``); the network file's
    ``compensation.points.delivery`` gives points per outcome."""

    SERVED = "served"  # the network delivered: training, a placement, an apprenticeship agreement, a recruitment …
    REFERRED_OUTSIDE = "referred_outside"  # to a service outside the network
    NOT_REACHABLE = "not_reachable"
    NO_NEED = "no_need"
    NOT_OFFERED = "not_offered"  # not something the network offers

    def __str__(self) -> str:
        return str(self.value)


# What the compensation counts per case, and the periods shares are counted in.
COMPENSATED_ROLES = ("first_contact", "mentoring", "delivery")
SHARE_PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Compensation:
    """Points per role, as the seed says "each is compensated for its own share" (network file's ``compensation``).

    Per case: ``first_contact`` to the partner the customer came in through, ``mentoring`` to the partner
    whose mentor accepted it, ``delivery[outcome]`` shared among the partners that delivered it. Per
    period: ``upkeep[role]`` to the holder of each upkeep role (``roles:``).
    """

    first_contact: float = 1.0
    mentoring: float = 2.0
    delivery: Mapping[str, float] = field(default_factory=lambda: {"served": 5.0})
    upkeep: Mapping[str, float] = field(default_factory=dict)
    period: str = "month"


@dataclass(frozen=True)
class Network:
    """The whole network as routing sees it."""

    id: str
    name: str
    partners: tuple[Partner, ...]
    mentors: tuple[Mentor, ...]
    areas: tuple[Area, ...]
    coordinator: Mentor
    contact_email: str
    contact_phone: str | None = None
    service: Service = Service()
    roles: Mapping[str, str] = field(default_factory=dict)
    compensation: Compensation = Compensation()
    _mentor_index: Mapping[str, Mentor] = field(default_factory=dict, compare=False, repr=False)

    def mentor(self, mentor_id: str) -> Mentor | None:
        if mentor_id == self.coordinator.id:
            return self.coordinator
        return self._mentor_index.get(mentor_id)

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def partner_of_site(self, partner_id: str | None, origin: str | None) -> str | None:
        """``partner_id`` if ``origin`` is one of that partner's own sites, else ``None`` (a copied tag claims nothing)."""
        partner = self.partner(partner_id) if partner_id else None
        if partner is None or not origin:
            return None
        return partner.id if origin.strip().rstrip("/").lower() in partner.sites else None

    def mentors_of(self, partner_id: str) -> list[Mentor]:
        return [m for m in self.mentors if m.partner == partner_id]

    def area_of(self, municipality: str | None, named: str | None = None) -> Area | None:
        """The area a place belongs to: a former municipality's own area wins."""
        for name in (named, municipality):
            if not name:
                continue
            for area in self.areas:
                if name in area.municipalities:
                    return area
        return None
