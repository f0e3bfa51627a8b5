"""The coordinator corrects a closed case's outcome on the desk (``POST /desk/cases/REF/outcome``), as an event."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.desk.rendering import back_to, checked_form, coordinator, desk_of
from bot.network.model import CaseOutcome
from bot.register.lifecycle import CaseNotFound, TransitionError
from bot.register.models import Via

NOTE_LIMIT = 4000


async def correct_outcome(request: Request) -> Response:
    """Record the corrected outcome and the partners it credits; back to the case with a status message."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    reference = request.path_params["reference"]
    outcome = str(form.get("outcome") or "")
    partners = [str(p) for p in form.getlist("delivered_by")] if outcome == CaseOutcome.SERVED else []
    note = str(form.get("note") or "").strip()[:NOTE_LIMIT] or None
    lifecycle = desk_of(request).frontdoor.lifecycle
    try:
        await asyncio.to_thread(lifecycle.correct_outcome, reference, signed.person.id, outcome, partners, note, via=Via.DESK)
    except CaseNotFound:
        return back_to("/desk/all", "coord_said_no_such_case")
    except TransitionError:  # not closed, no outcome chosen, or served without a partner
        return back_to(f"/desk/cases/{reference}", "coord_said_outcome_refused")
    return back_to(f"/desk/cases/{reference}", "coord_said_outcome_corrected")


routes: list[BaseRoute] = [Route("/desk/cases/{reference}/outcome", correct_outcome, methods=["POST"])]
