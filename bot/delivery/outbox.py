"""The outbox delivery worker: every notification arrives, at least once, however long a receiver is down.

Notifications are written to the ``outbox`` table in the same transaction as
the change that causes them; this worker delivers them. A worker *claims* a
batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers share the table; SQLite runs one) by marking them ``sending`` with a
lease; before each delivery it renews the lease only if the row is still its
own, so a row whose worker died is taken over when the lease runs out, and a
live worker never sends a row another has taken. A failure is retried with
exponential backoff and jitter; after ``max_attempts`` (or at once on a
permanent error) the row is dead-lettered and the coordinator alerted. A 429
or a recipient not reachable yet (no Telegram link, no webhook secret) waits
without using up attempts. Each delivery carries its idempotency key
(webhook header, email Message-ID) so a receiver can drop the one repeat a
crash between "sent" and "marked delivered" can cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import selectors
import socket
import threading
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.delivery.notices import NoticeWriter
from bot.delivery.notifiers import DeliveryError, Notice, Notifier, NotReady
from bot.network.model import Network
from bot.register.lifecycle import RegisterService, queue
from bot.register.models import Case, CaseEvent, MentorTelegram, OutboxMessage
from bot.register.repositories import OUTBOX_CHANNEL
from bot.settings import Settings

logger = logging.getLogger(__name__)

# How long a notification whose recipient is not reachable yet waits before the next look.
NOT_READY_SECONDS = 60.0
ERROR_LIMIT = 500
# How long a worker whose listening connection was lost polls before it tries to listen again.
RELISTEN_SECONDS = 30.0
# How often the listening thread looks whether the worker is stopping.
WATCH_SECONDS = 1.0


@dataclass(frozen=True)
class DeliveryPolicy:
    """Batch size, retries and timing of the worker."""

    batch: int = 20
    max_attempts: int = 8
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    poll_seconds: float = 0.25

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            batch=settings.outbox_batch,
            max_attempts=settings.outbox_max_attempts,
            backoff_seconds=settings.outbox_backoff_seconds,
            backoff_max_seconds=settings.outbox_backoff_max_seconds,
            lease_seconds=float(settings.outbox_lease_seconds),
            poll_seconds=settings.outbox_poll_seconds,
        )

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Exponential in the attempts made, capped, with "equal jitter" (half fixed, half random)."""
        delay = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))
        return delay / 2 + rng.uniform(0, delay / 2)


@dataclass(frozen=True)
class Claim:
    """A row this worker has claimed for delivery."""

    id: int
    case_id: int
    channel: str
    recipient: str
    address: str | None


class Wakeup:
    """Wakes an idle worker the moment a notification is queued, instead of at its next poll.

    On PostgreSQL a thread of the worker LISTENs on a connection of its own,
    and the transaction that queues a notification NOTIFYs at commit. Polling
    stays underneath: it finds retries that come due, and it is all there is
    on SQLite or while the listening connection is lost (the thread connects
    again every ``relisten_seconds``). A thread, not the event loop's
    ``add_reader``: libpq closes a lost connection's socket itself, and a
    watched descriptor that is closed and reused under the loop is not noticed
    by every loop implementation.
    """

    def __init__(self, engine: Engine | None = None, *, relisten_seconds: float = RELISTEN_SECONDS):
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.relisten_seconds = relisten_seconds
        self.event = asyncio.Event()
        self.listening = False
        self.listens = 0  # times listening began (again after a lost connection)
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def clear(self) -> None:
        """Forget earlier wake-ups: called just before the worker looks for due rows."""
        self.event.clear()

    async def wait(self, stop: asyncio.Event, timeout: float) -> None:
        """Return when woken, when ``stop`` is set, or after ``timeout`` seconds (the poll)."""
        if self.engine is not None and self._thread is None:
            loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._listen, args=(loop,), name="outbox-listen", daemon=True)
            self._thread.start()
        waiters = [asyncio.ensure_future(self.event.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def close(self) -> None:
        """Stop listening."""
        self._closing.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, WATCH_SECONDS + 5)

    def _connect(self) -> Any:
        assert self.engine is not None
        pooled = self.engine.raw_connection()
        pooled.detach()  # ours for good: the pool neither reuses nor resets it
        connection = pooled.connection  # psycopg2's
        connection.rollback()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return connection

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """The listening thread: connect, LISTEN, wake the worker on each notification; after a loss, again."""

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the worker has stopped
                loop.call_soon_threadsafe(self.event.set)

        while not self._closing.is_set():
            try:
                connection = self._connect()
            except Exception as error:  # the database is down or refuses: polling goes on
                logger.warning("outbox: cannot listen for new notifications (%s); polling", type(error).__name__)
                self._closing.wait(self.relisten_seconds)
                continue
            self.listening = True
            self.listens += 1
            logger.info("outbox: listening for new notifications")
            wake()  # whatever was queued while not listening is looked for at once
            try:
                with selectors.DefaultSelector() as watch:
                    watch.register(connection, selectors.EVENT_READ)
                    while not self._closing.is_set():
                        if not watch.select(WATCH_SECONDS):
                            continue
                        connection.poll()
                        if connection.notifies:
                            connection.notifies.clear()
                            wake()
            except Exception as error:  # the server closed the connection (restart, terminated backend)
                logger.warning("outbox: the listening connection was lost (%s); polling until it is back", type(error).__name__)
            finally:
                self.listening = False
                with contextlib.suppress(Exception):
                    connection.close()
            self._closing.wait(self.relisten_seconds)


def worker_name() -> str:
    """Unique per process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxWorker(RegisterService):
    """Claims due notifications and hands each to its channel's notifier."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        *,
        notifiers: MutableMapping[str, Notifier],
        writer: NoticeWriter,
        policy: DeliveryPolicy | None = None,
        name: str | None = None,
        rng: random.Random | None = None,
        wakeup: Wakeup | None = None,
    ):
        super().__init__(sessions, networks, clock)
        # Mutable: a channel joins when it becomes ready (e.g. Telegram answered getMe).
        self.notifiers = notifiers
        self.writer = writer
        self.policy = policy or DeliveryPolicy()
        self.name = name or worker_name()
        self.rng = rng or random.Random()
        self.wakeup = wakeup or Wakeup()

    # -- database steps (blocking; run in a thread) -------------------------
    def claim(self) -> list[Claim]:
        """Mark up to a batch of due rows of the ready channels as this worker's."""
        channels = list(self.notifiers)
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
            renewed = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == claim.id,
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_by == self.name,
                )
                .values(next_attempt_at=now + timedelta(seconds=self.policy.lease_seconds))
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount != 1:
                return None
            row = session.get(OutboxMessage, claim.id)
            case = session.execute(select(Case).where(Case.id == row.case_id).options(selectinload(Case.events))).scalar_one()
            address = row.address or self._linked_chat(session, row)
            notice = self.writer.render(row, case, network, now)
            return notice, address

    def _linked_chat(self, session: Session, row: OutboxMessage) -> str:
        if row.channel != "telegram":
            raise DeliveryError(f"{row.channel}: no address", permanent=True)
        chat = session.execute(select(MentorTelegram.chat_id).where(MentorTelegram.mentor == row.recipient)).scalar_one_or_none()
        if chat is None:
            raise NotReady(
                f"telegram: mentor '{row.recipient}' has not linked Telegram yet (frontdoor mentor invite {row.recipient})"
            )
        return str(chat)

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
                self._dead_letter(session, row, network, now)
                logger.error("outbox %s dead after %s attempts: %s", row.id, row.attempts, row.last_error)
                return
            row.status = "pending"
            attempts = row.attempts
            delay = self.policy.backoff(attempts, self.rng)
            row.next_attempt_at = now + timedelta(seconds=delay)
        logger.warning("outbox %s attempt %s failed (%s); next in %.1f s", claim.id, attempts, error, delay)

    def _dead_letter(self, session: Session, row: OutboxMessage, network: Network, now: datetime) -> None:
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

    # -- the loop -----------------------------------------------------------
    async def _deliver(self, claim: Claim) -> None:
        notifier = self.notifiers.get(claim.channel)
        try:
            if notifier is None:
                raise NotReady(f"{claim.channel}: channel is off")
            prepared = await asyncio.to_thread(self.prepare, claim)
            if prepared is None:
                logger.info("outbox %s was taken over by another worker", claim.id)
                return
            notice, address = prepared
            await notifier.send(notice, address)
        except NotReady as waiting:
            await asyncio.to_thread(self.postpone, claim, str(waiting), NOT_READY_SECONDS)
        except DeliveryError as error:
            await asyncio.to_thread(self.failed, claim, error)
        except Exception as error:  # a bug or an unexpected library error: retry, never lose the row
            logger.exception("outbox %s: unexpected %s", claim.id, type(error).__name__)
            await asyncio.to_thread(self.failed, claim, DeliveryError(f"{claim.channel}: {type(error).__name__}"))
        else:
            await asyncio.to_thread(self.delivered, claim)

    async def _deliver_in_order(self, claims: list[Claim]) -> None:
        for claim in claims:
            await self._deliver(claim)

    async def run_once(self) -> int:
        """Claim one batch and deliver it: in order within a case, in parallel across cases.

        Not in order per recipient: a campaign sends one mentor many new cases at once, and
        one at a time they queued behind each other (``make bench``). Telegram's per-chat
        limit is kept by its notifier's limiter.
        """
        claims = await asyncio.to_thread(self.claim)
        groups: dict[int, list[Claim]] = {}
        for claim in claims:
            groups.setdefault(claim.case_id, []).append(claim)
        await asyncio.gather(*(self._deliver_in_order(group) for group in groups.values()))
        return len(claims)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a database hiccup is logged and retried."""
        logger.info("outbox worker %s started (channels: %s)", self.name, ", ".join(sorted(self.notifiers)) or "none")
        try:
            while not stop.is_set():
                self.wakeup.clear()  # a notification queued from here on wakes the wait below
                try:
                    done = await self.run_once()
                except Exception:
                    logger.exception("outbox worker: a batch failed; trying again")
                    done = 0
                if done == 0:
                    await self.wakeup.wait(stop, self.policy.poll_seconds)
        finally:
            await self.wakeup.close()


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
                    "created_at": row.created_at.isoformat() if row.created_at else None,
                    "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
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
            result = session.execute(
                query.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None).execution_options(
                    synchronize_session=False
                )
            )
            return int(result.rowcount or 0)
