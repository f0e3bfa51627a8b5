"""Queries of the case register that routing and the outbox rely on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.app import FrontDoor
from bot.register.models import Case
from bot.register.repositories import RECENT_ASSIGNMENT_DAYS, CaseRepository

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def case(mentor: str, status: str, assigned_days_ago: int) -> Case:
    assigned = NOW - timedelta(days=assigned_days_ago)
    return Case(
        created_at=assigned,
        updated_at=assigned,
        channel="rest",
        language="fi",
        customer_type="individual",
        need="job_search",
        status=status,
        consent=True,
        mentor=mentor,
        assigned_at=assigned,
    )


def test_the_workload_counts_every_open_case_and_the_recent_assignments(frontdoor: FrontDoor) -> None:
    old = RECENT_ASSIGNMENT_DAYS + 10
    with frontdoor.sessions.begin() as session:
        session.add_all(
            [
                case("waiting-long", "assigned", old),  # open for months: still on the mentor's desk
                case("waiting-long", "accepted", 3),
                case("recent", "closed", 10),
                case("recent", "closed", 40),
                case("long-ago", "closed", old),  # closed and old: nothing routing weighs
            ]
        )
    with frontdoor.sessions.begin() as session:
        work = CaseRepository(session).workload(NOW)
    assert work.open_cases == {"waiting-long": 2}
    assert {mentor: (NOW - at.replace(tzinfo=timezone.utc)).days for mentor, at in work.last_assigned.items()} == {
        "waiting-long": 3,
        "recent": 10,
    }
