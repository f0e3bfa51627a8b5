"""``GET /desk/network``: the partners, the mentors' capacity, load and away periods, and the network file's check.

Capacity is shown three ways: the network file's, the mentor's own (set on
the desk), and the one routing uses. The load is each mentor's open cases now.
The network file is checked as ``frontdoor check-network`` checks it; a file
that fails is never taken into use, and the page says so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.desk.pages.coordinator_shared import names_of, network_today
from bot.desk.rendering import Desk, coordinator, desk_of, language_of, page
from bot.network.loading import NetworkError, load_network
from bot.network.model import Mentor, Network
from bot.register.availability import AvailabilityRepository, effective_network
from bot.register.overview import CaseOverview, MentorLoad


@dataclass(frozen=True)
class MentorRow:
    """One mentor on the network page."""

    id: str
    name: str
    partner: str | None
    file_capacity: int
    own_capacity: int | None
    capacity: int
    load: MentorLoad
    away_now: tuple[date, date] | None
    upcoming: list[tuple[date, date]] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.load.open >= self.capacity


@dataclass(frozen=True)
class FileCheck:
    """The network file as checked now: fine (its counts), or its problems."""

    path: str
    problems: list[str]
    partners: int = 0
    mentors: int = 0


def _row(file_mentor: Mentor, routed: Mentor, own: int | None, load: MentorLoad, today: date) -> MentorRow:
    periods = sorted(routed.away)
    return MentorRow(
        id=routed.id,
        name=routed.name,
        partner=routed.partner or None,
        file_capacity=file_mentor.capacity,
        own_capacity=own,
        capacity=routed.capacity,
        load=load,
        away_now=next(((s, e) for s, e in periods if s <= today <= e), None),
        upcoming=[(s, e) for s, e in periods if s > today],
    )


def _mentors(desk: Desk, network: Network, today: date) -> list[MentorRow]:
    """Every mentor (the coordinator first) with capacity, load and away periods: three queries."""
    with desk.frontdoor.sessions() as session:
        routed = effective_network(session, network, today)
        own = AvailabilityRepository(session).capacities()
        load = CaseOverview(session).load(desk.frontdoor.clock())
    rows = []
    for mentor in (network.coordinator, *network.mentors):
        in_use = routed.mentor(mentor.id) or mentor
        rows.append(_row(mentor, in_use, own.get(mentor.id), load.get(mentor.id, MentorLoad()), today))
    return rows


def _check_file(desk: Desk) -> FileCheck:
    frontdoor = desk.frontdoor
    path = frontdoor.networks.path
    try:
        checked = load_network(path, frontdoor.taxonomy, frontdoor.municipalities)
    except NetworkError as problems:
        return FileCheck(str(path), list(problems.problems))
    return FileCheck(str(path), [], len(checked.partners), len(checked.mentors))


async def network_page(request: Request) -> Response:
    """``GET /desk/network``."""
    signed = await coordinator(request)
    desk = desk_of(request)
    network = desk.frontdoor.network
    today = network_today(desk)
    mentors, check = await asyncio.gather(asyncio.to_thread(_mentors, desk, network, today), asyncio.to_thread(_check_file, desk))
    open_by_partner: dict[str, int] = {}
    for row in mentors:
        if row.partner and row.id != network.coordinator.id:  # the coordinator's cases are the network's
            open_by_partner[row.partner] = open_by_partner.get(row.partner, 0) + row.load.open
    return page(
        request,
        "coord_network.html",
        signed,
        network=network,
        mentors=mentors,
        check=check,
        today=today,
        open_by_partner=open_by_partner,
        names=names_of(desk, language_of(request, signed)),
    )


routes: list[BaseRoute] = [Route("/desk/network", network_page, methods=["GET"])]
