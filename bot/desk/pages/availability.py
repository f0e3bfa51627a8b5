"""A mentor's own away periods and capacity on the desk (``/desk/availability``), on top of the network file's.

Routing reads them in the transaction that assigns a case, so a change holds for the very next one.
The coordinator has no such page (404): routing never counts their capacity or time away.
"""

from __future__ import annotations

import asyncio
from datetime import date

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.desk.access import SignedIn
from bot.desk.pages.forms import FormError, kept_fields
from bot.desk.rendering import back_to, checked_form, desk_of, page, signed_in
from bot.register.availability import MAX_CAPACITY, AvailabilityError, MentorAvailabilityView
from bot.register.lifecycle import today_in

AVAILABILITY_PATH = "/desk/availability"


async def _availability(request: Request, signed: SignedIn) -> MentorAvailabilityView:
    try:
        return await asyncio.to_thread(desk_of(request).availability.of, signed.person.id)
    except AvailabilityError as error:  # the coordinator: routing never counts their capacity or time away
        raise HTTPException(404) from error


async def availability_page(request: Request, *, status_code: int = 200, error: FormError | None = None, **kept: str) -> Response:
    """``GET /desk/availability``: the mentor's own capacity and away periods, and the network file's."""
    signed = await signed_in(request)
    return page(
        request,
        "availability.html",
        signed,
        status_code=status_code,
        view=await _availability(request, signed),
        max_capacity=MAX_CAPACITY,
        day=lambda value: f"{value.day}.{value.month}.{value.year}",
        error=error,
        kept=kept,
    )


def _capacity(form: FormData) -> int | None:
    raw = str(form.get("capacity") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= MAX_CAPACITY:
        raise FormError("mentor_capacity_invalid", "capacity")
    return int(raw)


def _day(form: FormData, name: str) -> date:
    try:
        return date.fromisoformat(str(form.get(name) or ""))
    except ValueError as error:
        raise FormError("mentor_away_date_invalid", f"away-{name}") from error


def _away(form: FormData, today: date) -> tuple[date, date]:
    starts, ends = _day(form, "starts"), _day(form, "ends")
    if ends < starts:
        raise FormError("mentor_away_ends_before_start", "away-ends")
    if ends < today:
        raise FormError("mentor_away_in_past", "away-ends")
    return starts, ends


def _change(request: Request, signed: SignedIn, form: FormData) -> str:
    """Make the change the form asks for; the status message's key."""
    availability = desk_of(request).availability
    mentor = signed.person.id
    asked = str(form.get("do") or "")
    if asked == "capacity":
        availability.set_capacity(mentor, _capacity(form), mentor)
        return "mentor_said_capacity_saved"
    if asked == "add_away":
        starts, ends = _away(form, today_in(desk_of(request).frontdoor.clock(), availability.network))
        availability.add_away(mentor, starts, ends, mentor)
        return "mentor_said_away_added"
    raw = str(form.get("away") or "")
    if asked == "remove_away" and raw.isdigit() and availability.remove_away(mentor, int(raw)):
        return "mentor_said_away_removed"
    raise HTTPException(404)


async def change_availability(request: Request) -> Response:
    """``POST /desk/availability``: set the own capacity, add an away period or remove one of one's own."""
    signed = await signed_in(request)
    form = await checked_form(request, signed)
    await _availability(request, signed)
    try:
        said = await asyncio.to_thread(_change, request, signed, form)
    except FormError as error:  # the values the service would refuse are checked before it is asked
        return await availability_page(request, status_code=400, error=error, **kept_fields(form, "capacity", "starts", "ends"))
    return back_to(AVAILABILITY_PATH, said)


routes: list[BaseRoute] = [
    Route(AVAILABILITY_PATH, availability_page, methods=["GET"]),
    Route(AVAILABILITY_PATH, change_availability, methods=["POST"]),
]
