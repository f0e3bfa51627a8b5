"""``/desk/privacy``: a person's data on request, as ``frontdoor erase`` and ``export`` do it.

Erasing takes two steps: the first POST only shows how many cases the
person's email address (or conversation id) finds, and asks to confirm; the
second erases them with :meth:`bot.privacy.service.PrivacyService.erase`
(each case gets an ``erased`` event naming the coordinator, its mentor is
told). Exporting sends the JSON ``frontdoor export`` prints, as a download.
Neither is written to the log with the person's address.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.contact import check_email
from bot.desk.access import SignedIn
from bot.desk.rendering import Desk, checked_form, coordinator, desk_of, language_of, page
from bot.register.models import Via
from bot.register.repositories import CaseRepository

logger = logging.getLogger(__name__)

PRIVACY_PATH = "/desk/privacy"
CONVERSATION_LIMIT = 200


@dataclass(frozen=True)
class Person:
    """Who the coordinator asked about: an email address, a conversation id, or both."""

    email: str | None
    conversation_id: str | None


@dataclass(frozen=True)
class Found:
    """What an erasure would touch: the cases still kept, those already erased, and stored conversations."""

    references: list[str]
    already_erased: int
    conversations: int


def _person(form: FormData, *, email_only: bool = False) -> Person | str:
    """The person the form names, or the text key of what is wrong with it."""
    typed = str(form.get("email", "")).strip()
    conversation = None if email_only else str(form.get("conversation_id", "")).strip()[:CONVERSATION_LIMIT] or None
    email = None
    if typed:
        checked = check_email(typed)
        if checked.problem or not checked.value:
            return "coord_privacy_bad_email"
        email = str(checked.value)
    if email is None and conversation is None:
        return "coord_privacy_export_needs_email" if email_only else "coord_privacy_needs_someone"
    return Person(email, conversation)


def _found(desk: Desk, who: Person) -> Found:
    """What :meth:`PrivacyService.erase` would find: the same query, read only."""
    privacy = desk.frontdoor.privacy
    with desk.frontdoor.sessions() as session:
        cases = CaseRepository(session).of_person(email=who.email, conversation_id=who.conversation_id)
        kept = [str(c.reference) for c in cases if c.erased_at is None]
        erased = sum(1 for c in cases if c.erased_at is not None)
        conversations = {c.conversation_id for c in cases if c.conversation_id}
    if who.email:
        conversations |= privacy.conversations.mentioning(who.email)
    if who.conversation_id:
        conversations.add(who.conversation_id)
    return Found(kept, erased, len(conversations))


def _form_page(
    request: Request,
    signed: SignedIn,
    *,
    status_code: int = 200,
    error: tuple[str, str] | None = None,
    email: str = "",
    conversation_id: str = "",
    found: Found | None = None,
    said: str | None = None,
) -> Response:
    """The privacy page: ``error`` is (which form: erase or export, text key); ``said`` a status message."""
    extra = {"said": said} if said else {}
    return page(
        request,
        "coord_privacy.html",
        signed,
        status_code=status_code,
        error_in=error[0] if error else None,
        error=error[1] if error else None,
        email=email,
        conversation_id=conversation_id,
        found=found,
        **extra,
    )


async def privacy_page(request: Request) -> Response:
    """``GET /desk/privacy``: the forms to erase or export a person's data."""
    signed = await coordinator(request)
    return _form_page(request, signed)


async def erase(request: Request) -> Response:
    """``POST /desk/privacy/erase``: without ``confirm``, what would be erased; with it, erase."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    who = _person(form)
    if isinstance(who, str):
        return _form_page(request, signed, status_code=400, error=("erase", who), email=str(form.get("email", ""))[:320])
    desk = desk_of(request)
    if form.get("confirm") != "yes":
        found = await asyncio.to_thread(_found, desk, who)
        return _form_page(request, signed, found=found, email=who.email or "", conversation_id=who.conversation_id or "")
    erasure = await asyncio.to_thread(
        desk.frontdoor.privacy.erase, email=who.email, conversation_id=who.conversation_id, actor=signed.person.id, via=Via.DESK
    )
    logger.info("desk: erasure by %s: %d case(s)", signed.person.id, len(erasure.references))
    said = desk.texts.get(
        "coord_privacy_erased",
        language_of(request, signed),
        cases=len(erasure.references),
        references=", ".join(erasure.references) or "–",
        conversations=erasure.conversations,
    )
    return _form_page(request, signed, said=said)


async def export(request: Request) -> Response:
    """``POST /desk/privacy/export``: everything kept about the person with this email address, as a JSON download."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    who = _person(form, email_only=True)
    if isinstance(who, str) or who.email is None:
        error = who if isinstance(who, str) else "coord_privacy_export_needs_email"
        return _form_page(request, signed, status_code=400, error=("export", error))
    data = await asyncio.to_thread(desk_of(request).frontdoor.privacy.export, who.email)
    logger.info("desk: data export by %s: %d case(s)", signed.person.id, len(data["cases"]))
    stamp = str(data["exported_at"])[:10]
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="export-{stamp}.json"'},
    )


routes: list[BaseRoute] = [
    Route(PRIVACY_PATH, privacy_page, methods=["GET"]),
    Route(f"{PRIVACY_PATH}/erase", erase, methods=["POST"]),
    Route(f"{PRIVACY_PATH}/export", export, methods=["POST"]),
]
