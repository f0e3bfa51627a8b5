"""The desk's guards: response headers, the session cookie, CSRF tokens and sign-in limits."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict

from aiolimiter import AsyncLimiter
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "fd_desk"
# The sign-in forms have no session yet: their token is also in this cookie (double submit).
FORM_COOKIE = "fd_form"
CSRF_FIELD = "csrf"
DESK_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeaders:
    """Adds the headers every response needs; the desk's pages get a strict CSP and are never cached."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        desk = path.startswith("/desk")
        static = path.startswith("/desk/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                # The desk's links and the follow-up's carry tokens in their paths: never sent on as a referrer.
                private = desk or path.startswith("/followup")
                headers["Referrer-Policy"] = "no-referrer" if private else "strict-origin-when-cross-origin"
                if desk:
                    headers["Content-Security-Policy"] = DESK_CSP
                    headers.setdefault("Cache-Control", "public, max-age=3600" if static else "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over https (behind a configured proxy, as it says)."""
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_id: str | None) -> None:
    """Give the browser its session id, or take it away (``None``)."""
    if session_id is None:
        response.delete_cookie(SESSION_COOKIE, path="/desk", secure=is_secure(request), httponly=True, samesite="lax")
        return
    response.set_cookie(SESSION_COOKIE, session_id, path="/desk", secure=is_secure(request), httponly=True, samesite="lax")


def form_token(request: Request) -> str:
    """The anonymous forms' token: the one in the browser's cookie, or a new one."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def keep_form_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(FORM_COOKIE, token, path="/desk", secure=is_secure(request), httponly=True, samesite="strict")


def same_token(sent: object, expected: str | None) -> bool:
    return isinstance(sent, str) and bool(expected) and secrets.compare_digest(sent.encode(), str(expected).encode())


class SignInLimits:
    """Sign-in requests allowed per email address and per client address (a flood is slowed, not served)."""

    def __init__(
        self, per_address: tuple[float, float] = (3, 900), per_client: tuple[float, float] = (10, 60), remembered: int = 10_000
    ):
        self._per_address = per_address
        self._per_client = per_client
        self._remembered = remembered
        self._limiters: OrderedDict[str, AsyncLimiter] = OrderedDict()

    def _limiter(self, key: str, rate: tuple[float, float]) -> AsyncLimiter:
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = AsyncLimiter(*rate)
            while len(self._limiters) > self._remembered:
                self._limiters.popitem(last=False)
        self._limiters.move_to_end(key)
        return limiter

    async def allow(self, address: str, client: str) -> bool:
        """Take one request from both budgets; ``False`` when either is spent."""
        # Keyed by a digest: the limiter keeps no typed email address in memory.
        by_address = self._limiter("a:" + hashlib.sha256(address.strip().lower().encode()).hexdigest(), self._per_address)
        by_client = self._limiter("c:" + client, self._per_client)
        if not (by_address.has_capacity() and by_client.has_capacity()):
            return False
        await by_address.acquire()
        await by_client.acquire()
        return True
