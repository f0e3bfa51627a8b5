"""The delivery policy's retry timing."""

from __future__ import annotations

import random

from bot.delivery.policy import DeliveryPolicy


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = DeliveryPolicy(backoff_seconds=10, backoff_max_seconds=300)
    rng = random.Random(7)
    for attempts, full in ((1, 10), (2, 20), (3, 40), (5, 160), (6, 300), (12, 300)):
        delays = [policy.backoff(attempts, rng) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # jitter: workers that failed together do not retry together
