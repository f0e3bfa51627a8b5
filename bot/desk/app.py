"""The web part's application: the widget's files and demo page, and the desk.

:func:`create_web_app` is the web part's composition (Flask's ``create_app``):
it takes the front door's services and an optional mailer, and builds the
Starlette application that ``frontdoor web`` serves with uvicorn.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.app import FrontDoor
from bot.desk.access import DeskAccess
from bot.desk.pages import availability, coordinator, coordinator_outcome, followup, mentor, signin
from bot.desk.rendering import TEMPLATES_DIR, Desk, Mailer, NotSignedIn, page, sign_in_path
from bot.desk.security import SESSION_COOKIE, SecurityHeaders, SignInLimits, set_session_cookie
from bot.desk.texts import DeskTexts
from bot.doors.web import site_routes
from bot.register.availability import Availability

STATIC_DIR = TEMPLATES_DIR.parent / "static"
ERROR_PAGES = {
    400: ("bad_request_title", "bad_request"),
    403: ("forbidden_title", "forbidden"),
    404: ("not_found_title", "not_found"),
    405: ("not_found_title", "not_found"),
}


def build_desk(frontdoor: FrontDoor, mailer: Mailer | None = None) -> Desk:
    """The desk's services over the front door's."""
    settings = frontdoor.settings
    access = DeskAccess(
        frontdoor.sessions,
        frontdoor.networks.current,
        frontdoor.clock,
        link_minutes=settings.desk_link_minutes,
        idle_minutes=settings.desk_idle_minutes,
        session_hours=settings.desk_session_hours,
    )
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html
    return Desk(
        frontdoor=frontdoor,
        access=access,
        availability=Availability(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock),
        texts=DeskTexts.load(),
        templates=templates,
        limits=SignInLimits(),
        mailer=mailer,
    )


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    """A visitor asking for a page goes to sign in (and back afterwards); a form sent without a session is refused."""
    assert isinstance(exc, NotSignedIn)
    if request.method not in ("GET", "HEAD"):
        response: Response = page(request, "error.html", None, status_code=403, title="forbidden_title", message="csrf_refused")
    else:
        response = RedirectResponse(sign_in_path(exc.next_path), status_code=303)
    if request.cookies.get(SESSION_COOKIE):  # an ended session's id: the browser need not send it again
        set_session_cookie(response, request, None)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith("/desk"):
        return Response(status_code=exc.status_code, headers=exc.headers)
    title, message = ERROR_PAGES.get(exc.status_code, ("forbidden_title", "csrf_refused"))
    if exc.detail == "csrf":
        message = "csrf_refused"
    signed = getattr(request.state, "signed", None)
    response = page(request, "error.html", signed, status_code=exc.status_code, title=title, message=message)
    response.headers.update(exc.headers or {})
    return response


def create_web_app(frontdoor: FrontDoor, mailer: Mailer | None = None) -> Starlette:
    """The web part: desk routes first, then the widget's site."""
    app = Starlette(
        routes=[
            Mount("/desk/static", StaticFiles(directory=STATIC_DIR), name="desk-static"),
            *signin.routes,
            *mentor.routes,
            *availability.routes,
            *coordinator.routes,
            *coordinator_outcome.routes,
            *followup.routes,
            *site_routes(frontdoor.settings),
        ],
        exception_handlers={NotSignedIn: _not_signed_in, HTTPException: _http_error},
    )
    app.add_middleware(SecurityHeaders)
    app.state.desk = build_desk(frontdoor, mailer)
    return app
