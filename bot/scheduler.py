"""Scheduled jobs of a running front door (APScheduler, already under Rasa).

The escalation job keeps no state of its own: each run reads the overdue
cases from the database, so a restarted process simply goes on, and
several processes may run it at once (on PostgreSQL the overdue cases are
claimed with ``FOR UPDATE SKIP LOCKED``). The retention purge runs every night
the same way: what is due is read from the database each time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot.lifecycle import Lifecycle
from bot.privacy import PrivacyService

# When the nightly retention purge runs, in the network's time zone.
PURGE_AT = {"hour": 3, "minute": 30}

logger = logging.getLogger(__name__)


def escalate(lifecycle: Lifecycle) -> int:
    """One escalation round; a database error is logged and the next round tries again."""
    try:
        return len(lifecycle.escalate_overdue())
    except SQLAlchemyError as exc:
        logger.error("escalation round failed, retrying at the next one: %s", type(exc).__name__)
        return 0


def purge(privacy: PrivacyService) -> int:
    """One retention round; a database error is logged and the next night tries again."""
    try:
        return len(privacy.purge().references)
    except SQLAlchemyError as exc:
        logger.error("retention purge failed, retrying next night: %s", type(exc).__name__)
        return 0


def start_scheduler(
    lifecycle: Lifecycle, every_seconds: float, privacy: PrivacyService | None = None, zone: str = "Europe/Helsinki"
) -> BackgroundScheduler:
    """Run :func:`escalate` now and then every ``every_seconds``; :func:`purge` every night if given."""
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
    if privacy is not None:
        scheduler.add_job(purge, "cron", args=[privacy], id="purge", coalesce=True, max_instances=1, timezone=zone, **PURGE_AT)
    scheduler.start()
    return scheduler
