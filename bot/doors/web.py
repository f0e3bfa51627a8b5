"""The widget's door on the web: its files, the privacy notice and a demo partner page.

The demo page names the Rasa server the widget talks to: ``FRONTDOOR_RASA_PUBLIC_URL``,
or the host the page was asked from with Rasa's port. These routes are part of
the web part's application (:func:`bot.desk.create_web_app`).
"""

from __future__ import annotations

import html
from functools import partial

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.settings import PROJECT_ROOT, Settings

WEB_ROOT = PROJECT_ROOT / "web"
DEMO_PAGES = ("/", "/index.html")
SERVER_MARK = "__FRONTDOOR_SERVER__"


def rasa_url(settings: Settings, request: Request) -> str:
    """Where the browser that asked reaches Rasa."""
    if settings.rasa_public_url:
        return settings.rasa_public_url
    host = request.url.hostname or "localhost"
    return f"http://{host}:{settings.rasa_port}"


async def demo_page(settings: Settings, request: Request) -> Response:
    page = (WEB_ROOT / "index.html").read_text(encoding="utf-8")
    body = page.replace(SERVER_MARK, html.escape(rasa_url(settings, request), quote=True))
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


def site_routes(settings: Settings) -> list[BaseRoute]:
    """The demo page, then every other file of ``web/`` (widget, vendor scripts, privacy notices)."""
    return [
        *(Route(path, partial(demo_page, settings), methods=["GET", "HEAD"]) for path in DEMO_PAGES),
        Mount("/", StaticFiles(directory=WEB_ROOT), name="web"),
    ]
