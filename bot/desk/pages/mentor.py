"""A mentor's desk: their cases, a case page with the lifecycle's actions and private notes, their away periods and capacity.

Changes go through the services Telegram and the command line use, recorded as made on the desk (``via="desk"``).
A mentor sees only the cases they hold or held (any other answers 404, as an unknown one); the coordinator sees all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.delivery.notices import ACTIONS_BY_STATUS
from bot.desk.access import SignedIn
from bot.desk.pages.forms import FormError, kept_fields
from bot.desk.people import person
from bot.desk.rendering import back_to, checked_form, desk_of, page, signed_in
from bot.network.model import CaseOutcome
from bot.paths.offerings import in_language
from bot.register.inbox import CaseView, Inbox
from bot.register.lifecycle import ALLOWED, SYSTEM, CaseNotFound, Lifecycle, TransitionError
from bot.register.models import AWAITING_STATUSES, OUTCOMES, Case, Verb, Via, utc

VIA = Via.DESK
# The longest note, reason or comment the desk keeps.
TEXT_LIMIT = 4000
# What an event's detail may say, and the desk text that labels it (the rest is the register's own).
DETAIL_LABELS = {
    "mentor": "mentor_detail_to_mentor",
    "to_mentor": "mentor_detail_to_mentor",
    "to_partner": "mentor_detail_to_partner",
    "outcome": "mentor_detail_outcome",
    "delivered_by": "mentor_detail_delivered_by",
    "answer": "mentor_detail_answer",
    "reason": "mentor_detail_reason",
    "note": "mentor_detail_note",
    "need_text": "mentor_detail_words",
    "transcript": "mentor_detail_transcript",
}


@dataclass(frozen=True)
class EventLine:
    """One event of a case's history as the page shows it."""

    at: datetime
    kind: str
    who: str
    what: str
    via: str
    details: tuple[tuple[str, str], ...]
    note: str = ""


def _inbox(request: Request) -> Inbox:
    frontdoor = desk_of(request).frontdoor
    return Inbox(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def _say(request: Request, signed: SignedIn, key: str, **values: Any) -> str:
    return desk_of(request).texts.get(key, signed.language, **values)


def _span(request: Request, signed: SignedIn, seconds: float) -> str:
    minutes = int(abs(seconds)) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _say(request, signed, "mentor_span_days", days=days, hours=hours)
    if hours:
        return _say(request, signed, "mentor_span_hours", hours=hours, minutes=minutes)
    return _say(request, signed, "mentor_span_minutes", minutes=minutes)


def time_left(request: Request, signed: SignedIn, respond_by: datetime | None, now: datetime) -> tuple[str, bool]:
    """How long the service promise still runs ("3 h 20 min left"), or how late it is; and whether it ran out."""
    if respond_by is None:
        return "", False
    seconds = (utc(respond_by) - now).total_seconds()
    if seconds <= 0:
        return _say(request, signed, "mentor_overdue_by", span=_span(request, signed, seconds)), True
    return _say(request, signed, "mentor_time_left", span=_span(request, signed, seconds)), False


def _need_name(request: Request, need: str | None, language: str) -> str:
    found = desk_of(request).frontdoor.taxonomy.needs.get(need or "")
    return found.name(language) if found else need or ""


async def inbox(request: Request, signed: SignedIn) -> Response:
    """``/desk/``: the cases waiting for the signed-in person first, by deadline, then the rest, newest first."""
    asked = request.query_params.get("page", "1")
    number = int(asked) if asked.isdigit() and len(asked) < 7 else 1
    listing = await asyncio.to_thread(_inbox(request).page, signed.person.id, number)
    now = desk_of(request).frontdoor.clock()
    return page(
        request,
        "inbox.html",
        signed,
        listing=listing,
        waiting=[row for row in listing.rows if row.waiting],
        others=[row for row in listing.rows if not row.waiting],
        need_name=lambda need: _need_name(request, need, signed.language),
        left=lambda row: time_left(request, signed, row.respond_by, now),
    )


# -- the case page ---------------------------------------------------------------
async def _visible(request: Request, signed: SignedIn) -> CaseView:
    """The case of the URL if the signed-in person may see it; 404 otherwise, for a case unknown or not theirs."""
    reference = request.path_params["reference"]
    view = await asyncio.to_thread(_inbox(request).case_for, reference, signed.person.id)
    if view is None:
        raise HTTPException(404)
    return view


def _who(request: Request, signed: SignedIn, actor: str) -> str:
    if actor == SYSTEM:
        return _say(request, signed, "mentor_actor_system")
    if actor == "customer":
        return _say(request, signed, "mentor_actor_customer")
    found = person(desk_of(request).frontdoor.network, actor)
    return found.name if found else actor


def _detail_value(request: Request, signed: SignedIn, key: str, value: object) -> str:
    if key in ("mentor", "to_mentor"):
        return _who(request, signed, str(value))
    network = desk_of(request).frontdoor.network
    partner = network.partner(str(value)) if key == "to_partner" else None
    if partner:
        return partner.name
    if key == "outcome":
        return desk_of(request).frontdoor.notices.texts.word("outcomes", str(value), signed.language)
    if key == "answer" and f"followup_answer_{value}" in desk_of(request).texts:
        return desk_of(request).texts.get(f"followup_answer_{value}", signed.language)
    if key == "delivered_by" and isinstance(value, list):
        return " / ".join(p.name if (p := network.partner(str(item))) else str(item) for item in value)
    if isinstance(value, list):
        return " / ".join(str(item) for item in value)
    return str(value)


def _history(request: Request, signed: SignedIn, case: Case) -> list[EventLine]:
    texts = desk_of(request).texts
    lines = []
    for event in case.events:
        detail = event.detail or {}
        what = f"mentor_event_{event.kind}"
        via = f"mentor_via_{detail.get('via')}"
        lines.append(
            EventLine(
                at=event.at,
                kind=event.kind,
                who=_who(request, signed, event.actor),
                what=texts.get(what, signed.language) if what in texts else event.kind,
                via=(texts.get(via, signed.language) if via in texts else str(detail["via"])) if detail.get("via") else "",
                details=tuple(
                    (texts.get(label, signed.language), _detail_value(request, signed, key, detail[key]))
                    for key, label in DETAIL_LABELS.items()
                    if detail.get(key) and event.kind != "noted"
                ),
                note=str(detail.get("note") or "") if event.kind == "noted" else "",
            )
        )
    return lines


def _verbs(request: Request, signed: SignedIn, case: Case) -> tuple[str, ...]:
    """The actions the page offers: those the case's status allows, to its mentor or the coordinator."""
    coordinator = desk_of(request).frontdoor.network.coordinator.id
    if signed.person.id not in (case.mentor, coordinator):
        return ()
    verbs = ACTIONS_BY_STATUS.get(case.status, ())
    return tuple(str(v) for v in verbs if not (v is Verb.DECLINE and case.mentor == coordinator))


def _case_page(
    request: Request, signed: SignedIn, view: CaseView, *, status_code: int = 200, error: FormError | None = None, **kept: str
) -> Response:
    case = view.case
    network = desk_of(request).frontdoor.network
    taxonomy = desk_of(request).frontdoor.taxonomy
    sector = taxonomy.sectors.get(case.sector or "")
    partner = network.partner(case.partner or "")
    events = _history(request, signed, case)
    waiting = case.status in AWAITING_STATUSES
    return page(
        request,
        "case.html",
        signed,
        status_code=status_code,
        case=case,
        path=view.path,
        pick=in_language,
        need_name=_need_name(request, case.need, signed.language),
        sector_name=sector.name(signed.language) if sector else case.sector or "",
        partner_name=partner.name if partner else case.partner or "",
        mentor_name=_who(request, signed, case.mentor) if case.mentor else "",
        left=time_left(request, signed, case.respond_by, desk_of(request).frontdoor.clock()) if waiting else ("", False),
        history=[line for line in events if line.kind != "noted"],
        notes=[line for line in events if line.kind == "noted"],
        verbs=_verbs(request, signed, case),
        partners=[p for p in network.partners if p.id != case.partner],
        every_partner=network.partners,
        outcomes=OUTCOMES,
        error=error,
        kept=kept,
    )


async def case_page(request: Request) -> Response:
    """``GET /desk/cases/<reference>``: everything about one case, and what can be done to it."""
    signed = await signed_in(request)
    return _case_page(request, signed, await _visible(request, signed))


def _text(form: FormData, name: str, field: str, *, required: bool = False) -> str | None:
    """The form's text ``name`` (``None`` when empty); ``field`` is its input's id."""
    value = str(form.get(name) or "").strip()
    if len(value) > TEXT_LIMIT:
        raise FormError("mentor_text_too_long", field)
    if required and not value:
        raise FormError("mentor_note_empty", field)
    return value or None


def _apply(lifecycle: Lifecycle, verb: str, reference: str, actor: str, form: FormData) -> None:
    """Do ``verb`` to the case through the lifecycle, as made on the desk."""
    if verb == Verb.ACCEPT:
        lifecycle.accept(reference, actor, via=VIA)
    elif verb == Verb.DECLINE:
        lifecycle.decline(reference, actor, _text(form, "reason", "decline-reason"), via=VIA)
    elif verb == Verb.FORWARD:
        lifecycle.forward(reference, actor, str(form.get("partner") or ""), _text(form, "note", "forward-note"), via=VIA)
    elif verb == Verb.CONTACTED:
        lifecycle.contacted(reference, actor, via=VIA)
    else:
        outcome = str(form.get("outcome") or "")
        if outcome not in OUTCOMES:
            raise FormError("mentor_outcome_missing", "close-outcome")
        # Only a served case credits partners; the boxes are ignored for any other outcome.
        partners = [str(p) for p in form.getlist("delivered_by")] if outcome == CaseOutcome.SERVED else []
        note = _text(form, "note", "close-note")
        lifecycle.close(reference, actor, note, outcome=outcome, delivered_by=partners, via=VIA)


def _refusal(request: Request, signed: SignedIn, case: Case, verb: str) -> FormError:
    """Why the lifecycle refused, in the person's words (its own message is for developers)."""
    coordinator = desk_of(request).frontdoor.network.coordinator.id
    if case.status not in ALLOWED[verb]:
        return FormError("mentor_refused_status", verb)
    if signed.person.id not in (case.mentor, coordinator):
        return FormError("mentor_refused_not_holder", verb)
    if verb == Verb.DECLINE and case.mentor == coordinator:
        return FormError("mentor_refused_coordinator_decline", verb)
    return FormError("mentor_refused_other", verb)


def _check_form(request: Request, verb: str, case: Case, form: FormData) -> None:
    """:class:`FormError` for a value the action cannot take (before anything changes)."""
    _text(form, "reason", "decline-reason")
    _text(form, "note", f"{verb}-note")
    if verb == Verb.FORWARD:
        partner = str(form.get("partner") or "")
        if partner == case.partner or desk_of(request).frontdoor.network.partner(partner) is None:
            raise FormError("mentor_partner_missing", "forward-partner")


async def act(request: Request) -> Response:
    """``POST /desk/cases/<reference>/<verb>``: accept, decline, forward, contacted or close; back to the case."""
    signed = await signed_in(request)
    form = await checked_form(request, signed)
    verb = request.url.path.rsplit("/", 1)[-1]
    view = await _visible(request, signed)
    reference = str(view.case.reference)
    try:
        _check_form(request, verb, view.case, form)
        await asyncio.to_thread(_apply, desk_of(request).frontdoor.lifecycle, verb, reference, signed.person.id, form)
    except FormError as error:
        return _case_page(
            request, signed, view, status_code=400, error=error, **kept_fields(form, "reason", "note", "partner", "outcome")
        )
    except CaseNotFound as gone:
        raise HTTPException(404) from gone
    except TransitionError:
        fresh = await _visible(request, signed)
        return _case_page(request, signed, fresh, status_code=409, error=_refusal(request, signed, fresh.case, verb))
    return back_to(f"/desk/cases/{reference}", f"mentor_said_{verb}")


async def add_note(request: Request) -> Response:
    """``POST /desk/cases/<reference>/note``: a private note, for the network's people only."""
    signed = await signed_in(request)
    form = await checked_form(request, signed)
    view = await _visible(request, signed)
    reference = str(view.case.reference)
    try:
        text = _text(form, "text", "note-text", required=True)
        await asyncio.to_thread(desk_of(request).frontdoor.lifecycle.note, reference, signed.person.id, text or "", via=VIA)
    except FormError as error:  # the lifecycle refuses only an empty note or a stranger, both answered before
        return _case_page(request, signed, view, status_code=400, error=error, **kept_fields(form, "text"))
    return back_to(f"/desk/cases/{reference}", "mentor_said_noted")


routes: list[BaseRoute] = [
    Route("/desk/cases/{reference}", case_page, methods=["GET"]),
    Route("/desk/cases/{reference}/note", add_note, methods=["POST"]),
    # One route per verb: other acts on a case (the coordinator's reassign) have routes of their own.
    *(Route(f"/desk/cases/{{reference}}/{verb}", act, methods=["POST"]) for verb in ALLOWED),
]
