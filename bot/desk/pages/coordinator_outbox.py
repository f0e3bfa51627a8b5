"""``/desk/outbox``: notifications the delivery gave up on (status ``dead``), and sending them again.

The list is ``frontdoor outbox list --status dead`` without addresses; an
email address or phone number in a delivery error is masked too. Retrying is
``frontdoor outbox retry``: the row goes back to the queue with fresh
attempts, and its case gets a ``notification_retried`` event (who, via desk).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.delivery.admin import OutboxAdmin
from bot.desk.pages.coordinator_shared import names_of
from bot.desk.rendering import Desk, back_to, checked_form, coordinator, desk_of, language_of, page
from bot.privacy.masking import EMAIL, PHONE
from bot.register.models import OutboxStatus, Via

logger = logging.getLogger(__name__)

OUTBOX_PATH = "/desk/outbox"
# The most given-up notifications the page lists (the oldest beyond are left for the CLI).
LISTED = 500


def _admin(desk: Desk) -> OutboxAdmin:
    frontdoor = desk.frontdoor
    return OutboxAdmin(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def _masked(error: str | None) -> str:
    return PHONE.sub("[phone]", EMAIL.sub("[email]", error or ""))


def _dead(desk: Desk) -> list[dict[str, Any]]:
    rows = _admin(desk).listing(OutboxStatus.DEAD.value, limit=LISTED)
    return [{**row, "last_error": _masked(row["last_error"]), "created": _time(row["created_at"])} for row in rows]


def _time(wire: str | None) -> datetime | None:
    """A listing's time (ISO 8601 with ``Z``) back as a time, for the desk to show in the network's zone."""
    return datetime.fromisoformat(wire.replace("Z", "+00:00")) if wire else None


async def outbox_page(request: Request) -> Response:
    """``GET /desk/outbox``: the given-up notifications, newest first, each with a retry button."""
    signed = await coordinator(request)
    desk = desk_of(request)
    rows = await asyncio.to_thread(_dead, desk)
    return page(
        request,
        "coord_outbox.html",
        signed,
        rows=rows,
        limited=len(rows) >= LISTED,
        names=names_of(desk, language_of(request, signed)),
    )


async def retry(request: Request) -> Response:
    """``POST /desk/outbox/retry``: one notification (``id``) or every given-up one (``all``) back to the queue."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    every = form.get("all") == "1"
    wanted = str(form.get("id", ""))
    if not every and not wanted.isdigit():
        return back_to(OUTBOX_PATH, "coord_said_retry_none")
    ids = [] if every else [int(wanted)]
    count = await asyncio.to_thread(_admin(desk_of(request)).retry, ids, every_dead=every, actor=signed.person.id, via=Via.DESK)
    logger.info("desk: %d given-up notification(s) queued again by %s", count, signed.person.id)
    return back_to(OUTBOX_PATH, "coord_said_retried" if count else "coord_said_retry_none")


routes: list[BaseRoute] = [
    Route(OUTBOX_PATH, outbox_page, methods=["GET"]),
    Route(f"{OUTBOX_PATH}/retry", retry, methods=["POST"]),
]
