"""Scheduled jobs of a running front door (APScheduler, already under Rasa).

The escalation job keeps no state of its own: each run reads the overdue
cases from the database, so a restarted process simply goes on, and
several processes may run it at once (on PostgreSQL the overdue cases are
claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot.lifecycle import Lifecycle

logger = logging.getLogger(__name__)


def escalate(lifecycle: Lifecycle) -> int:
    """One escalation round; a database error is logged and the next round tries again."""
    try:
        return len(lifecycle.escalate_overdue())
    except SQLAlchemyError as exc:
        logger.error("escalation round failed, retrying at the next one: %s", type(exc).__name__)
        return 0


def start_scheduler(lifecycle: Lifecycle, every_seconds: float) -> BackgroundScheduler:
    """Run :func:`escalate` now and then every ``every_seconds``."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        escalate,
        "interval",
        args=[lifecycle],
        seconds=every_seconds,
        id="escalate",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(timezone.utc),
    )
    scheduler.start()
    return scheduler
