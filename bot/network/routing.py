"""Who gets a case: a deterministic, explainable choice of partner and mentor.

Partners are scored by need (required), area, sector and language; within
the best partner, of the mentors who still have capacity and are not away,
one who speaks the customer's language comes first, then the one with the
fewest open cases, ties in turn (whoever was given a case least recently). Mentors who already declined the case are skipped. When nobody
fits, the network coordinator gets the case: no case is ever unrouted. The
returned reason is stored with the case so anyone can see why it went where
it went.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.network.model import Mentor, Network, Partner


@dataclass(frozen=True)
class RoutingRequest:
    """What routing looks at."""

    need: str
    municipality: str | None = None
    place_named: str | None = None
    sector: str | None = None
    language: str = "fi"
    # Mentors who must not get the case (they declined it, or let it wait).
    exclude: frozenset[str] = frozenset()
    # Only this partner (a mentor forwards the case to it).
    partner: str | None = None


@dataclass(frozen=True)
class Workload:
    """What routing needs to know of the register: open cases and the last assignment per mentor."""

    open_cases: Mapping[str, int] = field(default_factory=dict)
    last_assigned: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """The decision: where the case goes and why."""

    partner: str | None
    mentor: str
    area: str | None
    reason: str
    to_coordinator: bool


def _describe(request: RoutingRequest, area: str | None) -> str:
    parts = [f"need={request.need}", f"area={area or '-'}"]
    if request.sector:
        parts.append(f"sector={request.sector}")
    parts.append(f"language={request.language}")
    return ", ".join(parts)


def _partner_score(partner: Partner, request: RoutingRequest, area: str | None) -> int | None:
    """How well a partner fits, or ``None`` when it cannot take the case."""
    if request.need not in partner.needs:
        return None
    score = 0
    if partner.areas:
        if area is None or area not in partner.areas:
            return None
        score += 2
    if partner.sectors and request.sector:
        if request.sector not in partner.sectors:
            return None
        score += 1
    if request.language in partner.languages:
        score += 1
    return score


def _pick_mentor(
    mentors: list[Mentor], request: RoutingRequest, work: Workload, today: date
) -> tuple[Mentor | None, str, list[str]]:
    """The mentor for the case (or ``None``), why, and notes on who was passed over."""
    able = [m for m in mentors if m.handles(request.need, request.sector) and m.id not in request.exclude]
    present = [m for m in able if m.available_on(today)]
    free = [m for m in present if work.open_cases.get(m.id, 0) < m.capacity]
    notes = []
    if len(present) > len(free):
        notes.append(f"{len(present) - len(free)} at capacity")
    if len(able) > len(present):
        notes.append(f"{len(able) - len(present)} away")
    excluded = sum(1 for m in mentors if m.id in request.exclude)
    if excluded:
        notes.append(f"{excluded} excluded (declined or passed on)")
    if not free:
        return None, "", notes
    never = datetime.min
    order = {m.id: i for i, m in enumerate(mentors)}

    def rank(m: Mentor) -> tuple[bool, int, datetime, int]:
        last = work.last_assigned.get(m.id)
        return (
            request.language not in m.languages,
            work.open_cases.get(m.id, 0),
            last.replace(tzinfo=None) if last else never,
            order[m.id],
        )

    chosen = min(free, key=rank)
    if len(free) == 1:
        why = "only available mentor"
    else:
        tied = [m for m in free if rank(m)[:2] == rank(chosen)[:2]]
        speakers = [m for m in free if request.language in m.languages]
        if chosen in speakers and len(speakers) < len(free):
            # The customer's language comes before the load: say so, or "least loaded" would not be true.
            why = f"speaks {request.language}, least loaded of the {len(speakers)} of {len(free)} who do"
        else:
            why = f"least loaded of {len(free)}"
        why += f" ({work.open_cases.get(chosen.id, 0)} open)"
        if len(tied) > 1:
            why += f", longest without a new case of {len(tied)} tied"
    return chosen, why, notes


def route(network: Network, request: RoutingRequest, work: Workload, today: date) -> Route:
    """Choose the partner and mentor for a case."""
    area_obj = network.area_of(request.municipality, request.place_named)
    area = area_obj.id if area_obj else None
    described = _describe(request, area)
    candidates = [p for p in network.partners if request.partner in (None, p.id)]
    scored = [(score, i, p) for i, p in enumerate(candidates) if (score := _partner_score(p, request, area)) is not None]
    scored.sort(key=lambda item: (-item[0], item[1]))
    passed_over: list[str] = []
    for _score, _i, partner in scored:
        mentor, why, notes = _pick_mentor(network.mentors_of(partner.id), request, work, today)
        if mentor is None:
            passed_over.append(f"{partner.id}: {', '.join(notes) or 'no mentor for this need or sector'}")
            continue
        return Route(
            partner=partner.id,
            mentor=mentor.id,
            area=area,
            reason=f"{described} → partner {partner.id}, mentor {mentor.id}: {', '.join([why, *notes])}",
            to_coordinator=False,
        )
    coordinator = network.coordinator
    if not scored:
        why = (
            f"partner {request.partner} does not offer this need here" if request.partner else "no partner offers this need here"
        )
    else:
        why = f"{len(scored)} matching partner(s) but no mentor who is free, present and has not declined ({'; '.join(passed_over)})"
    return Route(
        partner=coordinator.partner or None,
        mentor=coordinator.id,
        area=area,
        reason=f"{described} → coordinator {coordinator.id}: {why}",
        to_coordinator=True,
    )
