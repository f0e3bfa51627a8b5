"""The coordinator's side of the outbox (``frontdoor outbox list`` and ``retry``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bot.register.models import Case, OutboxMessage, wire_time
from bot.register.repositories import CaseRepository
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

    def retry(self, ids: list[int], *, every_dead: bool = False, actor: str = "coordinator", via: str | None = None) -> int:
        """Put dead notifications back in the queue with fresh attempts; each case gets a ``notification_retried`` event."""
        now = self.clock()
        with self.sessions.begin() as session:
            dead = select(OutboxMessage.id, OutboxMessage.case_id).where(OutboxMessage.status == "dead").with_for_update()
            if not every_dead:
                dead = dead.where(OutboxMessage.id.in_(ids))
            rows = session.execute(dead).all()
            if not rows:
                return 0
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row_id for row_id, _case in rows]))
                .values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
            retried: dict[int, list[int]] = {}
            for row_id, case_id in rows:
                retried.setdefault(case_id, []).append(row_id)
            cases = CaseRepository(session)
            for case in session.execute(select(Case).where(Case.id.in_(list(retried)))).scalars():
                cases.record(case, "notification_retried", actor, now, outbox=retried[case.id], **({"via": via} if via else {}))
            return len(rows)
