"""The coordinator's view of the register: filters, paging newest first, overdue, load, and the queries it costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event

from bot.app import FrontDoor
from bot.register.cases import reference_for
from bot.register.models import Case
from bot.register.overview import CaseFilter, CaseOverview, MentorLoad

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def add_cases(frontdoor: FrontDoor, rows: list[dict[str, Any]]) -> list[str]:
    """Cases as given (the rest filled in), created a minute apart in list order; their references."""
    references = []
    with frontdoor.sessions.begin() as session:
        for i, changes in enumerate(rows):
            created = NOW - timedelta(days=30) + timedelta(minutes=i)
            values: dict[str, Any] = {
                "created_at": created,
                "updated_at": created,
                "channel": "web",
                "language": "fi",
                "customer_type": "employer",
                "need": "staff_training",
                "status": "assigned",
                "mentor": "amk-leena",
                "partner": "kaakko-amk",
                "area": "kouvola",
                "consent": True,
                **changes,
            }
            case = Case(**values)
            session.add(case)
            session.flush()
            case.reference = reference_for(case.id, created)
            references.append(case.reference)
    return references


@contextmanager
def counted(frontdoor: FrontDoor) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(frontdoor.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(frontdoor.engine, "before_cursor_execute", seen)


def test_a_page_is_newest_first_and_paging_past_the_end_gives_the_last_page(frontdoor: FrontDoor) -> None:
    references = add_cases(frontdoor, [{} for _ in range(7)])
    with frontdoor.sessions() as session:
        overview = CaseOverview(session)
        first = overview.page(CaseFilter(), NOW, 1, page_size=3)
        assert [r.reference for r in first.rows] == references[::-1][:3]
        assert (first.total, first.page, first.pages) == (7, 1, 3)
        last = overview.page(CaseFilter(), NOW, 99, page_size=3)
        assert (last.page, [r.reference for r in last.rows]) == (3, [references[0]])
        assert overview.page(CaseFilter(), NOW, 0, page_size=3).page == 1


def test_filters_combine_and_an_empty_register_is_one_empty_page(frontdoor: FrontDoor) -> None:
    with frontdoor.sessions() as session:
        empty = CaseOverview(session).page(CaseFilter(status="closed"), NOW)
    assert (empty.rows, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)
    references = add_cases(
        frontdoor,
        [
            {
                "status": "closed",
                "need": "recruitment",
                "partner": "kymi-tyollisyys",
                "mentor": "ty-anna",
                "area": "kotka-hamina",
            },
            {"status": "closed", "need": "recruitment", "partner": "kymi-tyollisyys", "mentor": "ty-mikko", "area": "kouvola"},
            {"status": "accepted", "need": "recruitment", "partner": "kymi-tyollisyys", "mentor": "ty-anna"},
            {"status": "closed", "need": "staff_training"},
        ],
    )
    with frontdoor.sessions() as session:
        overview = CaseOverview(session)
        both = overview.page(CaseFilter(status="closed", need="recruitment"), NOW)
        assert [r.reference for r in both.rows] == [references[1], references[0]]
        assert [r.reference for r in overview.page(CaseFilter(area="kotka-hamina"), NOW).rows] == [references[0]]
        assert overview.count(CaseFilter(partner="kymi-tyollisyys", mentor="ty-anna"), NOW) == 2


def test_overdue_is_awaiting_past_its_deadline_and_a_case_without_one_is_not(frontdoor: FrontDoor) -> None:
    late, on_time, no_deadline, accepted = add_cases(
        frontdoor,
        [
            {"status": "escalated", "respond_by": NOW - timedelta(hours=1)},
            {"status": "assigned", "respond_by": NOW + timedelta(hours=1)},
            {"status": "assigned", "respond_by": None},
            {"status": "accepted", "respond_by": NOW - timedelta(days=1)},
        ],
    )
    with frontdoor.sessions() as session:
        overview = CaseOverview(session)
        overdue = overview.page(CaseFilter(overdue=True), NOW)
        assert [(r.reference, r.overdue) for r in overdue.rows] == [(late, True)]
        not_overdue = overview.page(CaseFilter(overdue=False), NOW)
        assert {r.reference for r in not_overdue.rows} == {on_time, no_deadline, accepted}
        assert not any(r.overdue for r in not_overdue.rows)


def test_a_page_costs_two_queries_whatever_the_number_of_cases(frontdoor: FrontDoor) -> None:
    add_cases(frontdoor, [{"mentor": f"m{i % 5}"} for i in range(120)])
    with frontdoor.sessions() as session, counted(frontdoor) as statements:
        page = CaseOverview(session).page(CaseFilter(status="assigned"), NOW, 2)
    assert len(page.rows) == 50 and page.total == 120
    assert len(statements) == 2, statements
    assert "LIMIT" in statements[-1] and "OFFSET" in statements[-1]
    assert not any("email" in s or "contact_name" in s for s in statements)


def test_load_counts_open_awaiting_and_overdue_cases_per_mentor(frontdoor: FrontDoor) -> None:
    add_cases(
        frontdoor,
        [
            {"mentor": "amk-leena", "status": "assigned", "respond_by": NOW - timedelta(hours=2)},
            {"mentor": "amk-leena", "status": "accepted"},
            {"mentor": "amk-leena", "status": "closed"},
            {"mentor": "ao-marja", "status": "contacted"},
            {"mentor": None, "status": "new"},
        ],
    )
    with frontdoor.sessions() as session, counted(frontdoor) as statements:
        load = CaseOverview(session).load(NOW)
    assert load == {"amk-leena": MentorLoad(open=2, awaiting=1, overdue=1), "ao-marja": MentorLoad(open=1)}
    assert len(statements) == 1


def test_one_case_by_its_reference_in_any_letter_case(frontdoor: FrontDoor) -> None:
    (reference,) = add_cases(frontdoor, [{"status": "forwarded", "mentor": "ao-pekka"}])
    with frontdoor.sessions() as session:
        overview = CaseOverview(session)
        found = overview.case(f" {reference.lower()} ", NOW)
        assert found is not None and (found.reference, found.status, found.mentor) == (reference, "forwarded", "ao-pekka")
        assert overview.case("FD-1999-99999", NOW) is None
