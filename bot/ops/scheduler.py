"""Scheduled jobs of a running front door (APScheduler, already under Rasa).

The escalation job keeps no state of its own: each run reads the overdue
cases from the database, so a restarted process simply goes on, and
several processes may run it at once (on PostgreSQL the overdue cases are
claimed with ``FOR UPDATE SKIP LOCKED``). The retention purge runs every night
the same way: what is due is read from the database each time. So does the
follow-up round every few minutes: a follow-up is asked once because its row
says it was, in the transaction that queues the question.

A routine run is logged at DEBUG, a run that did something at INFO, one that
failed at ERROR. APScheduler's own "Running job" and "executed successfully"
(at INFO, every minute) are shown only when the log level is DEBUG; its
warnings and errors (a missed run, a job that raised) always.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot.privacy.service import PrivacyService
from bot.register.followups import FollowUps
from bot.register.lifecycle import Lifecycle

# When the nightly retention purge runs, in the network's time zone.
PURGE_AT = {"hour": 3, "minute": 30}

# How often the customers whose follow-up is due are asked.
FOLLOWUP_SECONDS = 300

# The executor the jobs run in; APScheduler logs each run under "apscheduler.executors.<this>".
EXECUTOR = "frontdoor"

logger = logging.getLogger(__name__)


def escalate(lifecycle: Lifecycle) -> int:
    """One escalation round; a database error is logged and the next round tries again."""
    try:
        done = len(lifecycle.escalate_overdue())
    except SQLAlchemyError as exc:
        logger.error("escalation round failed, retrying at the next one: %s", type(exc).__name__)
        return 0
    logger.log(logging.INFO if done else logging.DEBUG, "escalation round: %d overdue case(s) passed on", done)
    return done


def purge(privacy: PrivacyService) -> int:
    """One retention round; a database error is logged and the next night tries again."""
    try:
        return len(privacy.purge().references)
    except SQLAlchemyError as exc:
        logger.error("retention purge failed, retrying next night: %s", type(exc).__name__)
        return 0


def ask(followups: FollowUps) -> int:
    """One follow-up round; a database error is logged and the next round tries again."""
    try:
        return followups.send_due()
    except SQLAlchemyError as exc:
        logger.error("follow-up round failed, retrying at the next one: %s", type(exc).__name__)
        return 0


def tidy(forget: Callable[[], int]) -> int:
    """One round of forgetting the desk's expired sign-in links, ended sessions and away periods long over."""
    try:
        done = forget()
    except SQLAlchemyError as exc:
        logger.error("desk housekeeping failed, retrying next night: %s", type(exc).__name__)
        return 0
    logger.log(
        logging.INFO if done else logging.DEBUG,
        "desk housekeeping: %d old sign-in link(s), session(s) and away period(s) deleted",
        done,
    )
    return done


def start_scheduler(
    lifecycle: Lifecycle,
    every_seconds: float,
    privacy: PrivacyService | None = None,
    zone: str = "Europe/Helsinki",
    *,
    housekeeping: Callable[[], int] | None = None,
    followups: FollowUps | None = None,
) -> BackgroundScheduler:
    """Run :func:`escalate` now and then every ``every_seconds``; :func:`purge` and ``housekeeping`` every night if given,
    and :func:`ask` every few minutes if ``followups`` are given."""
    # APScheduler logs every run's start and end at INFO: shown only when debugging.
    runs = logging.getLogger(f"apscheduler.executors.{EXECUTOR}")
    runs.setLevel(logging.NOTSET if logging.getLogger().isEnabledFor(logging.DEBUG) else logging.WARNING)
    scheduler = BackgroundScheduler(timezone="UTC", executors={EXECUTOR: ThreadPoolExecutor(max_workers=2)})
    # Every job: one run at a time, missed runs folded into one.
    each: dict[str, Any] = {"executor": EXECUTOR, "coalesce": True, "max_instances": 1}
    now = datetime.now(timezone.utc)
    scheduler.add_job(escalate, "interval", args=[lifecycle], seconds=every_seconds, id="escalate", next_run_time=now, **each)
    if privacy is not None:
        scheduler.add_job(purge, "cron", args=[privacy], id="purge", timezone=zone, **PURGE_AT, **each)
    if followups is not None:
        scheduler.add_job(ask, "interval", args=[followups], seconds=FOLLOWUP_SECONDS, id="followups", next_run_time=now, **each)
    if housekeeping is not None:
        scheduler.add_job(tidy, "cron", args=[housekeeping], id="tidy", timezone=zone, **PURGE_AT, **each)
    scheduler.start()
    return scheduler
