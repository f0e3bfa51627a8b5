"""The coordinator's side of the outbox (``frontdoor outbox list`` and ``retry``)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from bot.register.models import Case, OutboxMessage, wire_time
from bot.register.service import RegisterService


class OutboxAdmin(RegisterService):
    """What a coordinator does with the outbox: look at it, and send given-up notifications again."""

    def listing(self, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Notifications newest first, without addresses (they are personal data)."""
        with self.sessions() as session:
            query = (
                select(OutboxMessage, Case.reference)
                .join(Case, Case.id == OutboxMessage.case_id)
                .order_by(OutboxMessage.id.desc())
                .limit(limit)
            )
            if status:
                query = query.where(OutboxMessage.status == status)
            return [
                {
                    "id": row.id,
                    "reference": reference,
                    "kind": row.kind,
                    "recipient": row.recipient,
                    "channel": row.channel,
                    "status": row.status,
                    "attempts": row.attempts,
                    "created_at": wire_time(row.created_at),
                    "delivered_at": wire_time(row.delivered_at),
                    "last_error": row.last_error,
                }
                for row, reference in session.execute(query)
            ]

    def retry(self, ids: list[int], *, every_dead: bool = False) -> int:
        """Put dead notifications back in the queue with fresh attempts."""
        now = self.clock()
        with self.sessions.begin() as session:
            query = update(OutboxMessage).where(OutboxMessage.status == "dead")
            if not every_dead:
                query = query.where(OutboxMessage.id.in_(ids))
            # an UPDATE's result is a CursorResult (the stubs type Session.execute as the plain Result)
            result = cast(
                CursorResult,
                session.execute(
                    query.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None).execution_options(
                        synchronize_session=False
                    )
                ),
            )
            return int(result.rowcount or 0)
