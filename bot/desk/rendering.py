"""What every desk page shares: the desk's services, who is signed in, CSRF-checked forms, pages and redirects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Match, Mount
from starlette.templating import Jinja2Templates

from bot.app import FrontDoor
from bot.delivery.notifiers import Notice
from bot.desk.access import DESK_PATH, DeskAccess, SignedIn
from bot.desk.security import CSRF_FIELD, SESSION_COOKIE, SignInLimits, same_token
from bot.desk.texts import LANGUAGE_NAMES, DeskTexts
from bot.language import LANGUAGES
from bot.register.availability import Availability
from bot.register.models import utc

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class Mailer(Protocol):
    """Sends one email (the delivery's email notifier)."""

    async def send(self, notice: Notice, address: str) -> None: ...


@dataclass(frozen=True)
class Desk:
    """The services the desk's pages use."""

    frontdoor: FrontDoor
    access: DeskAccess
    availability: Availability
    texts: DeskTexts
    templates: Jinja2Templates
    limits: SignInLimits
    mailer: Mailer | None


class NotSignedIn(Exception):
    """A page needs a signed-in person: the visitor goes to the sign-in form, and back here afterwards."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def language_of(request: Request, signed: SignedIn | None = None) -> str:
    """The signed-in person's language, else ``?lang=``, else the browser's first of fi/en/sv."""
    if signed is not None:
        return signed.language
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";", 1)[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]


async def signed_in(request: Request) -> SignedIn:
    """The person signed in on this browser; a visitor who is not is sent to sign in."""
    session_id = request.cookies.get(SESSION_COOKIE)
    signed = await asyncio.to_thread(desk_of(request).access.session, session_id) if session_id else None
    if signed is None:
        raise NotSignedIn(request.url.path)
    request.state.signed = signed
    return signed


async def coordinator(request: Request) -> SignedIn:
    """The coordinator signed in on this browser; anyone else gets 403, never a redirect."""
    signed = await signed_in(request)
    if not signed.person.is_coordinator:
        raise HTTPException(403)
    return signed


async def checked_form(request: Request, signed: SignedIn) -> FormData:
    """The posted form, if it carries the session's CSRF token (403 otherwise)."""
    form = await request.form()
    if not same_token(form.get(CSRF_FIELD), signed.csrf_token):
        raise HTTPException(403, "csrf")
    return form


# Status messages: only these text keys may be shown from ``?said=`` (a crafted link shows nothing else).
STATUS_MESSAGE_PREFIXES = ("said_", "mentor_said_", "coord_said_")


def here(request: Request) -> str:
    """The page a request belongs to: its own path for a GET, else the nearest path above it that has a page
    (``POST /desk/cases/REF/accept`` belongs to ``/desk/cases/REF``, ``POST /desk/sign-in`` to ``/desk/``)."""
    path = request.url.path
    if request.method in ("GET", "HEAD"):
        return path
    while path.startswith(DESK_PATH) and path != DESK_PATH:
        if _has_page(request, path):
            return path
        parent = path.rstrip("/").rsplit("/", 1)[0]
        path = parent if parent != DESK_PATH.rstrip("/") else DESK_PATH
    return DESK_PATH


def _has_page(request: Request, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(not isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL for route in request.app.routes)


def page(
    request: Request,
    template: str,
    signed: SignedIn | None,
    *,
    status_code: int = 200,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A desk page in the person's language (or ``language``), with the helpers every template uses."""
    desk = desk_of(request)
    language = language or language_of(request, signed)
    said = request.query_params.get("said", "")
    zone = ZoneInfo(desk.frontdoor.network.service.timezone)  # the network is read once a page
    values = {
        "request": request,
        "signed": signed,
        "lang": language,
        "languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "here": here(request),
        "next_path": "",
        "csrf": signed.csrf_token if signed else context.pop("form_token", ""),
        "csrf_field": CSRF_FIELD,
        "said": desk.texts.get(said, language) if said.startswith(STATUS_MESSAGE_PREFIXES) and said in desk.texts else None,
        "t": lambda key, **values: desk.texts.get(key, language, **{"minutes": desk.access.link_minutes, **values}),
        "word": lambda section, key: desk.frontdoor.notices.texts.word(section, str(key), language),
        "when": lambda value: "" if value is None else utc(value).astimezone(zone).strftime("%d.%m.%Y %H:%M"),
        **context,
    }
    return desk.templates.TemplateResponse(request, template, values, status_code=status_code)


def back_to(path: str, said: str | None = None, **query: str) -> RedirectResponse:
    """After an action: back to ``path`` with a status message (a key of the desk's texts)."""
    params = {**({"said": said} if said else {}), **query}
    return RedirectResponse(f"{path}?{urlencode(params)}" if params else path, status_code=303)


def sign_in_path(next_path: str | None = None) -> str:
    return DESK_PATH + (f"?{urlencode({'next': next_path})}" if next_path else "")
