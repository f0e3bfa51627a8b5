"""The customer's answer page: ``/followup/<token>``, where the follow-up email's links lead.

Opening a link only shows the question (mail scanners open links: nothing is
recorded); pressing the page's button (a POST carrying the double-submit token
of its cookie) records the answer, once. The page shows nothing about the
customer but the network's name, is never cached, and sends no referrer (the
link's token is in the path). A press without the page's form token records
nothing (403).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.desk.rendering import desk_of, page
from bot.desk.security import CSRF_FIELD, DESK_CSP, form_token, is_secure, same_token
from bot.language import LANGUAGES
from bot.register.followups import ANSWERS, WORDS_LIMIT, Answer, FollowUps

# The page's own double-submit cookie (the desk's is only sent to /desk).
FOLLOWUP_COOKIE = "fd_followup"
FOLLOWUP_PATH = "/followup"
# The page sends no referrer (the link's token is in its path): followup_base.html says so in a <meta>,
# since the SecurityHeaders middleware sets the Referrer-Policy header of every path outside /desk.
HEADERS = {"Content-Security-Policy": DESK_CSP, "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _followups(request: Request) -> FollowUps:
    frontdoor = desk_of(request).frontdoor
    return FollowUps(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def _language(request: Request, fallback: str) -> str:
    wanted = request.query_params.get("lang")
    return wanted if wanted in LANGUAGES else fallback


def _show(request: Request, template: str, language: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    token = request.cookies.get(FOLLOWUP_COOKIE) or form_token(request)
    context.setdefault("chosen", "")
    response = page(
        request, template, None, status_code=status_code, language=language, form_token=token, Answer=Answer, **context
    )
    response.headers.update(HEADERS)
    response.set_cookie(FOLLOWUP_COOKIE, token, path=FOLLOWUP_PATH, secure=is_secure(request), httponly=True, samesite="strict")
    return response


def _chosen(value: object) -> Answer | None:
    """One of the question's answers (yes, partly, no), or ``None``: only these go back into the page's links."""
    answer = Answer.of(value)
    return answer if answer in ANSWERS else None


def _form(
    request: Request,
    language: str,
    network: str,
    *,
    chosen: Answer | None = None,
    error: str = "",
    words: str = "",
    status_code: int | None = None,
) -> Response:
    return _show(
        request,
        "followup.html",
        language,
        status_code=status_code or (400 if error else 200),
        network=network,
        answers=ANSWERS,
        chosen=chosen or "",
        error=error,
        words=words,
        words_limit=WORDS_LIMIT,
    )


def _gone(request: Request) -> Response:
    return _show(request, "followup_gone.html", _language(request, "fi"), status_code=404)


async def question_page(request: Request) -> Response:
    """``GET /followup/<token>``: the question and its buttons (``?a=`` chooses one beforehand); records nothing."""
    question = await asyncio.to_thread(_followups(request).question, request.path_params["token"])
    if question is None:
        return _gone(request)
    language = _language(request, question.language)
    if question.answer is not None:
        return _show(request, "followup_done.html", language, answer=question.answer, recorded=False)
    return _form(request, language, question.network, chosen=_chosen(request.query_params.get("a")))


async def answer_page(request: Request) -> Response:
    """``POST /followup/<token>``: the answer (and the customer's words), recorded once."""
    token = request.path_params["token"]
    form = await request.form()
    followups = _followups(request)
    question = await asyncio.to_thread(followups.question, token)
    if question is None:
        return _gone(request)
    language = _language(request, question.language)
    answer, words = Answer.of(form.get("answer")), str(form.get("words") or "")[:WORDS_LIMIT]
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(FOLLOWUP_COOKIE)):
        # Another site's form, or a page whose cookie went: nothing recorded; the page asks to press again.
        chosen = _chosen(answer)
        return _form(request, language, question.network, chosen=chosen, error="followup_expired", words=words, status_code=403)
    if answer is None:
        return _form(request, language, question.network, error="followup_choose", words=words)
    answered = await asyncio.to_thread(followups.answer, token, answer, words if answer != Answer.STOP else None)
    if answered.result == "unknown":
        return _gone(request)
    recorded = answered.result == "recorded"
    return _show(request, "followup_done.html", language, answer=answered.answer, recorded=recorded)


routes = [
    Route(FOLLOWUP_PATH + "/{token}", question_page, methods=["GET"]),
    Route(FOLLOWUP_PATH + "/{token}", answer_page, methods=["POST"]),
]
