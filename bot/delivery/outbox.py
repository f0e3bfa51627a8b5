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

This module is the loop; the rest is beside it: :mod:`bot.delivery.policy`
(batch, retries and timing), :mod:`bot.delivery.leases` (claiming rows and
recording what came of each delivery), :mod:`bot.delivery.wakeup` (LISTEN/NOTIFY
on PostgreSQL) and :mod:`bot.delivery.admin` (``frontdoor outbox``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, MutableMapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.leases import Claim, Leases, worker_name
from bot.delivery.notices import NoticeWriter
from bot.delivery.notifiers import DeliveryError, Notifier, NotReady
from bot.delivery.policy import NOT_READY_SECONDS, DeliveryPolicy
from bot.delivery.wakeup import Wakeup
from bot.network.model import Network

logger = logging.getLogger(__name__)


class OutboxWorker:
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
        # Mutable: a channel joins when it becomes ready (e.g. Telegram answered getMe).
        self.notifiers = notifiers
        self.policy = policy or DeliveryPolicy()
        self.name = name or worker_name()
        self.wakeup = wakeup or Wakeup()
        self.leases = Leases(
            sessions, networks, clock, writer=writer, policy=self.policy, name=self.name, rng=rng or random.Random()
        )

    def claim(self) -> list[Claim]:
        """Mark up to a batch of due rows of the ready channels as this worker's (blocking)."""
        return self.leases.claim(list(self.notifiers))

    async def _deliver(self, claim: Claim) -> None:
        leases = self.leases
        notifier = self.notifiers.get(claim.channel)
        try:
            if notifier is None:
                raise NotReady(f"{claim.channel}: channel is off")
            prepared = await asyncio.to_thread(leases.prepare, claim)
            if prepared is None:
                logger.info("outbox %s was taken over by another worker", claim.id)
                return
            notice, address = prepared
            await notifier.send(notice, address)
        except NotReady as waiting:
            await asyncio.to_thread(leases.postpone, claim, str(waiting), NOT_READY_SECONDS)
        except DeliveryError as error:
            await asyncio.to_thread(leases.failed, claim, error)
        except Exception as error:  # a bug or an unexpected library error: retry, never lose the row
            logger.exception("outbox %s: unexpected %s", claim.id, type(error).__name__)
            await asyncio.to_thread(leases.failed, claim, DeliveryError(f"{claim.channel}: {type(error).__name__}"))
        else:
            await asyncio.to_thread(leases.delivered, claim)

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
