"""The coordinator's desk: all cases, reassigning, the network at a glance, the outbox, the report, personal data.

This module has the case list and reassigning; the other pages are in the
``coordinator_*`` modules beside it, and :data:`routes` gathers them all.
Every page and action is the coordinator's only: anyone else signed in gets
403 (:func:`bot.desk.rendering.coordinator`), never a redirect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Container, Mapping
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.desk.access import SignedIn
from bot.desk.pages import coordinator_network, coordinator_outbox, coordinator_privacy, coordinator_report
from bot.desk.pages.coordinator_shared import names_of, network_today
from bot.desk.rendering import Desk, back_to, checked_form, coordinator, desk_of, language_of, page
from bot.register.lifecycle import CaseNotFound, TransitionError
from bot.register.models import CASE_STATUSES, OPEN_STATUSES, Via
from bot.register.overview import CaseFilter, CaseOverview, CasePage, CaseRow, MentorLoad

logger = logging.getLogger(__name__)

# The list's filters, as the GET form names them.
FILTERS = ("status", "need", "area", "partner", "mentor", "overdue")
NOTE_LIMIT = 2000


def _filter(query: Mapping[str, str], desk: Desk) -> CaseFilter:
    """The filters asked for; a value the register cannot have counts as not given."""
    network = desk.frontdoor.network

    def known(name: str, values: Container[str]) -> str | None:
        value = query.get(name, "")
        return value if value and value in values else None

    return CaseFilter(
        status=known("status", CASE_STATUSES),
        need=known("need", desk.frontdoor.taxonomy.needs),
        area=known("area", {a.id for a in network.areas}),
        partner=known("partner", {p.id for p in network.partners}),
        mentor=known("mentor", {network.coordinator.id, *(m.id for m in network.mentors)}),
        overdue={"yes": True, "no": False}.get(query.get("overdue", "")),
    )


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 7 else 1


def _read_page(desk: Desk, wanted: CaseFilter, number: int) -> CasePage:
    with desk.frontdoor.sessions() as session:
        return CaseOverview(session).page(wanted, desk.frontdoor.clock(), number)


async def all_cases(request: Request) -> Response:
    """``GET /desk/all``: every case, filtered and paged, newest first."""
    signed = await coordinator(request)
    desk = desk_of(request)
    wanted = _filter(request.query_params, desk)
    found = await asyncio.to_thread(_read_page, desk, wanted, _page_number(request.query_params.get("page")))
    chosen = {name: request.query_params.get(name, "") for name in FILTERS}
    kept = {name: value for name, value in chosen.items() if value}
    network = desk.frontdoor.network
    return page(
        request,
        "coord_all.html",
        signed,
        found=found,
        chosen=chosen,
        statuses=CASE_STATUSES,
        names=names_of(desk, language_of(request, signed)),
        areas=network.areas,
        partners=network.partners,
        people=(network.coordinator, *network.mentors),
        previous_link=f"?{urlencode({**kept, 'page': found.page - 1})}" if found.page > 1 else None,
        next_link=f"?{urlencode({**kept, 'page': found.page + 1})}" if found.page < found.pages else None,
    )


def _reassigning(desk: Desk, reference: str) -> tuple[CaseRow | None, dict[str, MentorLoad]]:
    with desk.frontdoor.sessions() as session:
        overview = CaseOverview(session)
        now = desk.frontdoor.clock()
        return overview.case(reference, now), overview.load(now)


async def _reassign_page(
    request: Request, signed: SignedIn, *, status_code: int = 200, error: str | None = None, form: FormData | None = None
) -> Response:
    desk = desk_of(request)
    case, load = await asyncio.to_thread(_reassigning, desk, request.path_params["reference"])
    if case is None:
        raise HTTPException(404)
    network = await asyncio.to_thread(desk.availability.effective)
    people = [network.coordinator, *network.mentors]
    return page(
        request,
        "coord_reassign.html",
        signed,
        status_code=status_code,
        case=case,
        is_open=case.status in OPEN_STATUSES,
        names=names_of(desk, language_of(request, signed)),
        people=people,
        load=load,
        empty=MentorLoad(),
        today=network_today(desk),
        error=error,
        picked=str(form.get("mentor", "")) if form else "",
        note=str(form.get("note", "")) if form else "",
    )


async def reassign_form(request: Request) -> Response:
    """``GET /desk/cases/{reference}/reassign``: the case's mentor now, and a choice of any mentor of the network."""
    signed = await coordinator(request)
    return await _reassign_page(request, signed)


async def reassign(request: Request) -> Response:
    """``POST /desk/cases/{reference}/reassign``: give the case to the chosen mentor; back to the case."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    desk = desk_of(request)
    reference = request.path_params["reference"]
    mentor_id = str(form.get("mentor", ""))
    note = str(form.get("note", "")).strip()[:NOTE_LIMIT] or None
    if desk.frontdoor.network.mentor(mentor_id) is None:
        return await _reassign_page(request, signed, status_code=400, error="coord_reassign_pick", form=form)
    try:
        outcome = await asyncio.to_thread(
            desk.frontdoor.lifecycle.reassign, reference, signed.person.id, mentor_id, note, via=Via.DESK
        )
    except CaseNotFound:
        raise HTTPException(404) from None
    except TransitionError:
        return await _reassign_page(request, signed, status_code=409, error=await _why_not(desk, reference, mentor_id), form=form)
    logger.info("desk: case %s reassigned by %s", outcome.reference, signed.person.id)
    return back_to(f"/desk/cases/{outcome.reference}", "coord_said_reassigned")


async def _why_not(desk: Desk, reference: str, mentor_id: str) -> str:
    """Which of the reassign's refusals this was, as a text key."""
    case, _load = await asyncio.to_thread(_reassigning, desk, reference)
    if case is not None and case.status not in OPEN_STATUSES:
        return "coord_reassign_not_open"
    if case is not None and case.mentor == mentor_id:
        return "coord_reassign_same"
    return "coord_reassign_refused"


routes: list[BaseRoute] = [
    Route("/desk/all", all_cases, methods=["GET"]),
    Route("/desk/cases/{reference}/reassign", reassign_form, methods=["GET"]),
    Route("/desk/cases/{reference}/reassign", reassign, methods=["POST"]),
    *coordinator_network.routes,
    *coordinator_outbox.routes,
    *coordinator_report.routes,
    *coordinator_privacy.routes,
]
