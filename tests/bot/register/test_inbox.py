"""A mentor's cases for the desk, on a real SQLite database: the order, the pages, who may open a case, and the cost at 10 000 cases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert

from bot.app import FrontDoor
from bot.register.inbox import Inbox
from bot.register.models import Case, CaseHolder
from tests.bot.register.test_lifecycle import INTAKE

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def inbox_of(frontdoor: FrontDoor) -> Inbox:
    return Inbox(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def add_case(
    frontdoor: FrontDoor,
    reference: str,
    *,
    mentor: str | None,
    status: str,
    created: datetime = NOW,
    respond_by: datetime | None = None,
    held_by: tuple[str, ...] = (),
) -> None:
    """A case stored as it would be after routing (no events): who holds it now and who held it."""
    with frontdoor.sessions.begin() as session:
        case = Case(
            reference=reference,
            created_at=created,
            updated_at=created,
            channel="rest",
            language="fi",
            customer_type="employer",
            need="apprenticeship",
            municipality="Kouvola",
            status=status,
            consent=True,
            mentor=mentor,
            respond_by=respond_by,
        )
        session.add(case)
        for holder in held_by:
            session.add(CaseHolder(case=case, mentor=holder, since=created))


def references(frontdoor: FrontDoor, mentor: str, number: int = 1, size: int = 50) -> list[str]:
    return [row.reference for row in inbox_of(frontdoor).page(mentor, number, size).rows]


def test_cases_waiting_for_the_mentor_come_first_by_deadline_then_the_rest_newest_first(frontdoor: FrontDoor) -> None:
    hour = timedelta(hours=1)
    add_case(frontdoor, "FD-2026-00001", mentor="ao-marja", status="assigned", respond_by=NOW + 5 * hour, held_by=("ao-marja",))
    add_case(
        frontdoor, "FD-2026-00002", mentor="ao-marja", status="escalated", respond_by=NOW - hour, held_by=("ao-pekka", "ao-marja")
    )
    add_case(frontdoor, "FD-2026-00003", mentor="ao-marja", status="forwarded", respond_by=NOW + hour, held_by=("ao-marja",))
    add_case(frontdoor, "FD-2026-00004", mentor="ao-marja", status="accepted", created=NOW - 72 * hour, held_by=("ao-marja",))
    add_case(frontdoor, "FD-2026-00005", mentor="ao-marja", status="closed", created=NOW - 24 * hour, held_by=("ao-marja",))
    # Declined by Marja: now Pekka's, and among the cases she held.
    add_case(
        frontdoor,
        "FD-2026-00006",
        mentor="ao-pekka",
        status="declined",
        created=NOW - 48 * hour,
        held_by=("ao-marja", "ao-pekka"),
    )
    add_case(frontdoor, "FD-2026-00007", mentor="ao-pekka", status="assigned", held_by=("ao-pekka",))
    add_case(
        frontdoor, "FD-2026-00008", mentor="ao-marja", status="assigned", held_by=("ao-marja",)
    )  # no deadline: last of the waiting

    page = inbox_of(frontdoor).page("ao-marja")
    assert [row.reference[-1] for row in page.rows] == ["2", "3", "1", "8", "5", "6", "4"]
    assert [row.waiting for row in page.rows] == [True] * 4 + [False] * 3
    assert (page.waiting, page.total, page.pages) == (4, 7, 1)
    assert references(frontdoor, "ao-pekka") == ["FD-2026-00006", "FD-2026-00007", "FD-2026-00002"]
    assert references(frontdoor, "amk-leena") == []


def test_pages_run_on_from_the_waiting_cases_into_the_rest(frontdoor: FrontDoor) -> None:
    for n in range(1, 8):
        add_case(
            frontdoor,
            f"FD-2026-{n:05d}",
            mentor="ao-marja",
            status="assigned",
            respond_by=NOW + timedelta(minutes=n),
            held_by=("ao-marja",),
        )
    for n in range(8, 13):
        add_case(
            frontdoor,
            f"FD-2026-{n:05d}",
            mentor="ao-marja",
            status="closed",
            created=NOW + timedelta(minutes=n),
            held_by=("ao-marja",),
        )
    pages = [references(frontdoor, "ao-marja", number, size=5) for number in (1, 2, 3)]
    assert [int(ref[-2:]) for ref in pages[0]] == [1, 2, 3, 4, 5]
    assert [int(ref[-2:]) for ref in pages[1]] == [6, 7, 12, 11, 10]
    assert [int(ref[-2:]) for ref in pages[2]] == [9, 8]
    shown = inbox_of(frontdoor).page("ao-marja", 99, size=5)
    assert (shown.number, shown.pages, shown.has_next, shown.has_previous) == (3, 3, False, True)
    assert inbox_of(frontdoor).page("ao-marja", 0, size=5).number == 1


def test_a_case_opens_for_those_who_hold_or_held_it_and_for_the_coordinator_only(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    inbox = inbox_of(frontdoor)
    shown = inbox.case_for(reference.lower(), "ao-marja")
    assert shown is not None and shown.case.reference == reference
    assert [e.kind for e in shown.case.events][:2] == ["created", "assigned"]
    assert shown.path and all(step.partner for step in shown.path)
    assert inbox.case_for(reference, "coordinator") is not None
    assert inbox.case_for(reference, "ao-pekka") is None
    assert inbox.case_for("FD-2026-99999", "coordinator") is None
    frontdoor.lifecycle.decline(reference, "ao-marja", "ei aikaa")
    assert inbox.case_for(reference, "ao-marja") is not None  # held it: still sees it
    new_mentor = frontdoor.cases.show_case(reference)
    assert new_mentor is not None and new_mentor["mentor"] != "ao-marja"
    assert inbox.case_for(reference, str(new_mentor["mentor"])) is not None


@pytest.fixture
def statements(frontdoor: FrontDoor) -> Iterator[list[str]]:
    """The SQL statements the test's queries send."""
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(frontdoor.engine, "before_cursor_execute", count)
    yield sent
    event.remove(frontdoor.engine, "before_cursor_execute", count)


def test_a_page_of_10_000_cases_takes_four_small_queries(frontdoor: FrontDoor, statements: list[str]) -> None:
    rows = []
    for n in range(1, 10_001):
        mentor = ("ao-marja", "ao-pekka", "ty-anna")[n % 3]
        status = ("assigned", "accepted", "closed", "closed")[n % 4]
        rows.append(
            {
                "reference": f"FD-2026-{n:05d}",
                "created_at": NOW - timedelta(minutes=n),
                "updated_at": NOW,
                "channel": "rest",
                "language": "fi",
                "customer_type": "individual",
                "need": "job_search",
                "status": status,
                "consent": True,
                "mentor": mentor,
                "respond_by": NOW + timedelta(minutes=n % 500) if status == "assigned" else None,
            }
        )
    with frontdoor.sessions.begin() as session:
        session.execute(insert(Case), rows)
        session.execute(
            insert(CaseHolder),
            [{"case_id": n, "mentor": row["mentor"], "since": NOW} for n, row in enumerate(rows, 1)],
        )
    statements.clear()
    started = time.perf_counter()
    first = inbox_of(frontdoor).page("ao-marja")
    last = inbox_of(frontdoor).page("ao-marja", 1000)
    took = time.perf_counter() - started
    marja = [row for row in rows if row["mentor"] == "ao-marja"]
    assert first.total == len(marja) and len(first.rows) == 50 and len(last.rows) == (len(marja) % 50 or 50)
    assert all(row.waiting for row in first.rows)
    assert [r.respond_by for r in first.rows] == sorted(r.respond_by for r in first.rows if r.respond_by)
    assert not any(row.waiting for row in last.rows)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 8  # 2 counts + 2 lists a page
    assert not any("case_events" in s for s in statements)
    assert took < 1.0, f"two pages of 10 000 cases took {took:.2f} s"


def test_a_page_lists_only_its_rows_columns(frontdoor: FrontDoor, statements: list[str]) -> None:
    add_case(frontdoor, "FD-2026-00001", mentor="ao-marja", status="accepted", held_by=("ao-marja",))
    statements.clear()
    inbox_of(frontdoor).page("ao-marja")
    listed = [s for s in statements if "LIMIT" in s.upper()]
    assert listed and all("need_text" not in s and "email" not in s for s in listed)
