"""The outbox worker's hold on its rows: claim due rows under a lease, renew the lease before each
delivery, and record what came of it (delivered, waiting, retried later, or dead-lettered with an alert)."""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.delivery.notices import NoticeWriter
from bot.delivery.notifiers import DeliveryError, Notice, NotReady
from bot.delivery.policy import DeliveryPolicy
from bot.network.model import Network
from bot.register.lifecycle import queue
from bot.register.models import Case, CaseEvent, MentorTelegram, OutboxMessage
from bot.register.service import RegisterService

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500


@dataclass(frozen=True)
class Claim:
    """A row this worker has claimed for delivery."""

    id: int
    case_id: int
    channel: str
    recipient: str
    address: str | None


def worker_name() -> str:
    """Unique per process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases(RegisterService):
    """The database steps of one worker (blocking; the worker runs them in a thread)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        *,
        writer: NoticeWriter,
        policy: DeliveryPolicy,
        name: str,
        rng: random.Random,
    ):
        super().__init__(sessions, networks, clock)
        self.writer = writer
        self.policy = policy
        self.name = name
        self.rng = rng

    def claim(self, channels: Collection[str]) -> list[Claim]:
        """Mark up to a batch of due rows of ``channels`` as this worker's."""
        if not channels:
            return []
        now = self.clock()
        with self.sessions.begin() as session:
            rows = (
                session.execute(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status.in_(("pending", "sending")),
                        OutboxMessage.next_attempt_at <= now,
                        OutboxMessage.channel.in_(channels),
                    )
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(self.policy.batch)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.status = "sending"
                row.claimed_by = self.name
                row.attempts += 1
                row.next_attempt_at = now + timedelta(seconds=self.policy.lease_seconds)
            return [Claim(r.id, r.case_id, r.channel, r.recipient, r.address) for r in rows]

    def _mine(self, session: Session, claim: Claim) -> OutboxMessage | None:
        row = session.get(OutboxMessage, claim.id, with_for_update=True)
        if row is None or row.status != "sending" or row.claimed_by != self.name:
            return None
        return row

    def prepare(self, claim: Claim) -> tuple[Notice, str] | None:
        """Renew the lease if the row is still ours, find the address and render the notice.

        ``None`` when another worker has taken the row over; :class:`NotReady`
        when the recipient has no address on this channel yet.
        """
        now = self.clock()
        network = self.network
        with self.sessions.begin() as session:
            # an UPDATE's result is a CursorResult (the stubs type Session.execute as the plain Result)
            renewed = cast(
                CursorResult,
                session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == claim.id,
                        OutboxMessage.status == "sending",
                        OutboxMessage.claimed_by == self.name,
                    )
                    .values(next_attempt_at=now + timedelta(seconds=self.policy.lease_seconds))
                    .execution_options(synchronize_session=False)
                ),
            )
            if renewed.rowcount != 1:
                return None
            row = session.get(OutboxMessage, claim.id)
            assert row is not None  # the update above has just matched it, in this transaction
            case = session.execute(select(Case).where(Case.id == row.case_id).options(selectinload(Case.events))).scalar_one()
            address = row.address or _linked_chat(session, row)
            notice = self.writer.render(row, case, network, now)
            return notice, address

    def delivered(self, claim: Claim) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(OutboxMessage, claim.id, with_for_update=True)
            if row is None or row.status == "delivered":
                return
            row.status = "delivered"
            row.delivered_at = now
            row.claimed_by = None
            row.last_error = None
        logger.info("outbox %s delivered by %s", claim.id, claim.channel)

    def postpone(self, claim: Claim, reason: str, seconds: float) -> None:
        """Try again later without using up an attempt (not reachable yet, or told to wait)."""
        now = self.clock()
        with self.sessions.begin() as session:
            row = self._mine(session, claim)
            if row is None:
                return
            row.status = "pending"
            row.claimed_by = None
            row.attempts = max(0, row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=seconds)
            row.last_error = reason[:ERROR_LIMIT]
        logger.info("outbox %s waits %.0f s: %s", claim.id, seconds, reason)

    def failed(self, claim: Claim, error: DeliveryError) -> None:
        """Schedule a retry, or dead-letter the row and alert the coordinator."""
        if error.retry_after is not None and not error.permanent:
            self.postpone(claim, str(error), max(error.retry_after, 0.0))
            return
        now = self.clock()
        network = self.network
        with self.sessions.begin() as session:
            row = self._mine(session, claim)
            if row is None:
                return
            row.claimed_by = None
            row.last_error = str(error)[:ERROR_LIMIT]
            if error.permanent or row.attempts >= self.policy.max_attempts:
                row.status = "dead"
                dead_letter(session, row, network, now)
                logger.error("outbox %s dead after %s attempts: %s", row.id, row.attempts, row.last_error)
                return
            row.status = "pending"
            attempts = row.attempts
            delay = self.policy.backoff(attempts, self.rng)
            row.next_attempt_at = now + timedelta(seconds=delay)
        logger.warning("outbox %s attempt %s failed (%s); next in %.1f s", claim.id, attempts, error, delay)


def _linked_chat(session: Session, row: OutboxMessage) -> str:
    """The Telegram chat the mentor linked: a row of any other channel without an address is never deliverable."""
    if row.channel != "telegram":
        raise DeliveryError(f"{row.channel}: no address", permanent=True)
    chat = session.execute(select(MentorTelegram.chat_id).where(MentorTelegram.mentor == row.recipient)).scalar_one_or_none()
    if chat is None:
        raise NotReady(
            f"telegram: mentor '{row.recipient}' has not linked Telegram yet (frontdoor mentor invite {row.recipient})"
        )
    return str(chat)


def dead_letter(session: Session, row: OutboxMessage, network: Network, now: datetime) -> None:
    """Log the given-up delivery on its case and queue an alert to the coordinator on each of their channels."""
    detail: dict[str, Any] = {
        "failed_id": row.id,
        "kind": row.kind,
        "recipient": row.recipient,
        "channel": row.channel,
        "attempts": row.attempts,
        "error": row.last_error,
    }
    session.add(CaseEvent(case_id=row.case_id, kind="delivery_failed", actor="frontdoor", at=now, detail=detail))
    if row.kind == "delivery_failed":
        return  # an alert that cannot be delivered is logged, not alerted about again
    coordinator = network.coordinator
    stamp = f"{now:%Y%m%dT%H%M%S%f}"
    for i, channel in enumerate(coordinator.channels):
        queue(
            session,
            row.case_id,
            kind="delivery_failed",
            recipient=coordinator.id,
            channel=channel.kind,
            address=channel.address,
            key=f"alert:{row.id}:{stamp}:{channel.kind}:{i}",
            now=now,
            detail=detail,
        )
