"""Who gets a case: a deterministic, explainable choice of partner and mentor.

Partners are scored by need (required), area and sector; within the best
partner the mentor with the fewest open cases who still has capacity wins
(ties by the order in the network file). When nobody fits, the network
coordinator gets the case: no case is ever unrouted. The returned reason is
stored with the case so anyone can see why it went where it went.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.network import Mentor, Network, Partner


@dataclass(frozen=True)
class RoutingRequest:
    """What routing looks at."""

    need: str
    municipality: str | None = None
    place_named: str | None = None
    sector: str | None = None
    language: str = "fi"


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


def _pick_mentor(mentors: list[Mentor], request: RoutingRequest, loads: Mapping[str, int]) -> tuple[Mentor, str] | None:
    able = [m for m in mentors if m.handles(request.need, request.sector)]
    free = [m for m in able if loads.get(m.id, 0) < m.capacity]
    if not free:
        return None
    chosen = min(free, key=lambda m: (m.languages.isdisjoint({request.language}), loads.get(m.id, 0)))
    why = f"least loaded of {len(free)} ({loads.get(chosen.id, 0)} open)" if len(free) > 1 else "only available mentor"
    if len(able) > len(free):
        why += f", {len(able) - len(free)} at capacity"
    return chosen, why


def route(network: Network, request: RoutingRequest, loads: Mapping[str, int]) -> Route:
    """Choose the partner and mentor for a case; ``loads`` is open cases per mentor."""
    area_obj = network.area_of(request.municipality, request.place_named)
    area = area_obj.id if area_obj else None
    described = _describe(request, area)
    scored = [(score, i, p) for i, p in enumerate(network.partners) if (score := _partner_score(p, request, area)) is not None]
    scored.sort(key=lambda item: (-item[0], item[1]))
    for _score, _i, partner in scored:
        picked = _pick_mentor(network.mentors_of(partner.id), request, loads)
        if picked is None:
            continue
        mentor, why = picked
        return Route(
            partner=partner.id,
            mentor=mentor.id,
            area=area,
            reason=f"{described} → partner {partner.id}, mentor {mentor.id}: {why}",
            to_coordinator=False,
        )
    coordinator = network.coordinator
    why = "no partner offers this need here" if not scored else f"{len(scored)} matching partner(s) but no mentor with capacity"
    return Route(
        partner=coordinator.partner or None,
        mentor=coordinator.id,
        area=area,
        reason=f"{described} → coordinator {coordinator.id}: {why}",
        to_coordinator=True,
    )
