"""Signing in and out: the email form, the link's page with its button, the language switch.

The answer to a sign-in request is the same whether or not the address is
known; requests are limited per address and per client. The page a link
opens only shows a button: pressing it (a POST) signs in.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from email_validator import EmailNotValidError, validate_email
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.delivery.notifiers import DeliveryError, Notice
from bot.desk.access import DESK_PATH, AccessError, safe_next
from bot.desk.people import Person, person_by_email
from bot.desk.rendering import NotSignedIn, back_to, checked_form, desk_of, language_of, page, signed_in
from bot.desk.security import CSRF_FIELD, FORM_COOKIE, SESSION_COOKIE, form_token, keep_form_token, same_token, set_session_cookie
from bot.language import LANGUAGES

logger = logging.getLogger(__name__)


def _sign_in_form(
    request: Request, *, status_code: int = 200, error: str | None = None, sent: bool = False, next_path: str | None = None
) -> Response:
    """The email form; ``next_path`` (else ``?next=``) is where the link it sends will land."""
    token = form_token(request)
    response = page(
        request,
        "signin.html",
        None,
        status_code=status_code,
        form_token=token,
        next_path=safe_next(next_path or request.query_params.get("next")) or "",
        error=error,
        sent=sent,
    )
    keep_form_token(response, request, token)
    return response


async def home(request: Request) -> Response:
    """``/desk/``: the signed-in person's cases, or the sign-in form."""
    from bot.desk.pages.mentor import inbox  # noqa: PLC0415 - the mentor's pages build on this module

    if request.cookies.get(SESSION_COOKIE):
        try:
            signed = await signed_in(request)
        except NotSignedIn:  # an ended session: a visitor again
            signed = None
        if signed is not None:
            return await inbox(request, signed)
    return _sign_in_form(request)


async def _anonymous_form(request: Request) -> dict[str, str]:
    form = await request.form()
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(FORM_COOKIE)):
        raise HTTPException(403, "csrf")
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def request_link(request: Request) -> Response:
    """``POST /desk/sign-in``: email a link to the address if it is a person of the network file."""
    form = await _anonymous_form(request)
    address = form.get("email", "").strip()[:320]
    next_path = safe_next(form.get("next"))
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return _sign_in_form(request, status_code=400, error="email_invalid", next_path=next_path)
    client = request.client.host if request.client else "-"
    if not await desk_of(request).limits.allow(address, client):
        return _sign_in_form(request, status_code=429, error="too_many_requests", next_path=next_path)
    who = person_by_email(desk_of(request).frontdoor.network, address)
    response = _sign_in_form(request, sent=True, next_path=next_path)
    if who is not None:
        # After the answer: a known address must not be told apart by a slower answer (the SMTP round trip).
        response.background = BackgroundTask(_send_link, request, who, address.lower(), next_path, language_of(request))
    return response


async def _send_link(request: Request, who: Person, address: str, next_path: str | None, language: str) -> None:
    desk = desk_of(request)
    token = await asyncio.to_thread(desk.access.issue_link, who.id, next_path)
    if desk.mailer is None:
        logger.warning("desk sign-in link for %s not sent: email is off (FRONTDOOR_SMTP_URL)", who.id)
        return
    url = f"{desk.frontdoor.settings.public_url}/desk/link/{token}?lang={language}"
    notice = Notice(
        key=f"desk-link:{secrets.token_hex(8)}",
        kind="desk_link",
        reference="",
        language=language,
        subject=desk.texts.get("signin_mail_subject", language),
        text=desk.texts.get("signin_mail_text", language, name=who.name, url=url, minutes=desk.access.link_minutes),
        html="",
    )
    try:
        await desk.mailer.send(notice, address)
    except DeliveryError as error:
        logger.warning("desk sign-in link for %s not sent: %s", who.id, error)


async def link_page(request: Request) -> Response:
    """``GET /desk/link/<token>``: whose link it is and a button; opening it changes nothing."""
    token = request.path_params["token"]
    who = await asyncio.to_thread(desk_of(request).access.link_holder, token)
    if who is None:
        return page(request, "link_refused.html", None, status_code=410)
    form = form_token(request)
    wanted = request.query_params.get("lang")
    language = wanted if wanted in LANGUAGES else who.language
    response = page(request, "link.html", None, form_token=form, holder=who, language=language)
    keep_form_token(response, request, form)
    return response


async def use_link(request: Request) -> Response:
    """``POST /desk/link/<token>``: sign in with a new session id and go to the desk (or the case the link named)."""
    await _anonymous_form(request)
    token = request.path_params["token"]
    wanted = request.query_params.get("lang")
    try:
        opened = await asyncio.to_thread(desk_of(request).access.sign_in, token, wanted if wanted in LANGUAGES else None)
    except AccessError:
        return page(request, "link_refused.html", None, status_code=410)
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:  # a browser signing in again leaves no older session alive behind it
        await asyncio.to_thread(desk_of(request).access.sign_out, earlier)
    response = back_to(opened.next_path)
    set_session_cookie(response, request, opened.session_id)
    return response


async def sign_out(request: Request) -> Response:
    """``POST /desk/sign-out``: the session ends on the server too."""
    signed = await signed_in(request)
    await checked_form(request, signed)
    await asyncio.to_thread(desk_of(request).access.sign_out, request.cookies[SESSION_COOKIE])
    response = back_to(DESK_PATH, "said_signed_out", lang=signed.language)
    set_session_cookie(response, request, None)
    return response


async def set_language(request: Request) -> Response:
    """``POST /desk/language``: the desk in another of fi, en, sv."""
    signed = await signed_in(request)
    form = await checked_form(request, signed)
    language = str(form.get("language", ""))
    await asyncio.to_thread(desk_of(request).access.set_language, request.cookies[SESSION_COOKIE], language)
    return back_to(safe_next(str(form.get("next", ""))) or DESK_PATH)


routes = [
    Route("/desk/", home, methods=["GET"]),
    Route("/desk/sign-in", request_link, methods=["POST"]),
    Route("/desk/link/{token}", link_page, methods=["GET"]),
    Route("/desk/link/{token}", use_link, methods=["POST"]),
    Route("/desk/sign-out", sign_out, methods=["POST"]),
    Route("/desk/language", set_language, methods=["POST"]),
]
