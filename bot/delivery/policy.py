"""How the outbox worker delivers: batch size, attempts, backoff with jitter, leases and polling."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.settings import Settings

# How long a notification whose recipient is not reachable yet waits before the next look.
NOT_READY_SECONDS = 60.0


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
