"""A mentor's desk: their cases, a case page with the lifecycle's actions, notes, away periods and capacity."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.desk.access import SignedIn
from bot.desk.rendering import desk_of, page
from bot.register.models import Case, CaseHolder


def _held(request: Request, person_id: str) -> list[Case]:
    with desk_of(request).frontdoor.sessions() as session:
        query = select(Case).join(CaseHolder).where(CaseHolder.mentor == person_id).order_by(Case.id.desc()).limit(50)
        return list(session.execute(query).scalars())


async def inbox(request: Request, signed: SignedIn) -> Response:
    """The signed-in person's cases."""
    cases = await asyncio.to_thread(_held, request, signed.person.id)
    return page(request, "inbox.html", signed, cases=cases)


routes: list[BaseRoute] = []
