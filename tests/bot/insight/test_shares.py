"""Each partner's share against a small case set computed by hand (docs/report.md tells the same story), on
SQLite and on a real PostgreSQL server: a month closed, then corrected later, its figures never rewritten.

The demo network's compensation: first contact 1, mentoring 2, delivery served 5 and referred_outside 1,
upkeep per month mentor_network 20 (the coordinator: kaakko-amk), foresight 10 (kaakko-amk) and
web_service 10 (kymi-yrityskehitys); months of Helsinki's calendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.app import FrontDoor, create_frontdoor
from bot.insight.periods import Span, label_of, span_of, spans_between
from bot.insight.report import ReportBuilder
from bot.insight.shares import CannotClose, Line, PeriodShares, Shares, pieces, shares_table
from bot.insight.tables import Period
from bot.network.model import Network
from bot.register.models import Case, SharePeriod
from bot.settings import Settings
from tests.bot.register.test_lifecycle import INTAKE, Clock
from tests.standins.postgres import PostgresServer

KA, AO, TY, YK = "kaakko-amk", "kymi-ammattiopisto", "kymi-tyollisyys", "kymi-yrityskehitys"
NOVEMBER = Span(date(2026, 11, 1), date(2026, 11, 30))
DECEMBER = Span(date(2026, 12, 1), date(2026, 12, 31))


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield settings
        return
    with PostgresServer() as pg:
        yield replace(settings, database_url=pg.url)


@pytest.fixture
def clock() -> Clock:
    return Clock(at(2, 10))


@pytest.fixture
def app(register: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(register, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


class Story:
    """Cases made and moved at the clock's time."""

    def __init__(self, app: FrontDoor, clock: Clock) -> None:
        self.app, self.clock, self.count = app, clock, 0

    def case(self, when: datetime, mentor: str, entry: str | None = None) -> str:
        """A case made at ``when``, with ``mentor`` (the coordinator reassigns it if routing chose another)."""
        self.clock.now = when
        self.count += 1
        reference = self.app.cases.create_case(replace(INTAKE, email=f"share{self.count}@example.org")).reference
        shown = self.app.cases.show_case(reference)
        assert shown is not None
        if shown["mentor"] != mentor:
            self.app.lifecycle.reassign(reference, "coordinator", mentor)
        if entry:
            with self.app.sessions.begin() as session:
                session.execute(update(Case).where(Case.reference == reference).values(entry_partner=entry))
        return reference

    def accept(self, reference: str, when: datetime) -> None:
        self.clock.now = when
        shown = self.app.cases.show_case(reference)
        assert shown is not None
        self.app.lifecycle.accept(reference, shown["mentor"])

    def close(self, reference: str, when: datetime, outcome: str, *delivered_by: str) -> None:
        self.clock.now = when
        shown = self.app.cases.show_case(reference)
        assert shown is not None
        self.app.lifecycle.close(reference, shown["mentor"], outcome=outcome, delivered_by=delivered_by)


def november(story: Story) -> dict[str, str]:
    """Six cases in November 2026 (one accepted on 1 December, Helsinki time, one never accepted)."""
    one = story.case(at(2, 10), "ao-marja", entry=AO)
    story.accept(one, at(2, 12))
    story.close(one, at(10, 9), "served", AO, YK)
    two = story.case(at(3, 9), "ty-anna")
    story.accept(two, at(3, 11))
    story.close(two, at(20, 9), "referred_outside")  # names no partner: the holder, kymi-tyollisyys, delivered
    three = story.case(at(5, 9), "amk-leena", entry=TY)
    story.accept(three, at(5, 10))
    story.close(three, at(25, 9), "not_reachable")  # no delivery points
    four = story.case(at(30, 20), "yk-tiina", entry=KA)  # 22:00 in Helsinki: November
    story.accept(four, at(30, 23))  # 01:00 on 1 December in Helsinki: December's mentoring
    six = story.case(at(12, 9), "ty-anna")
    story.accept(six, at(12, 10))
    # Came in through kymi-yrityskehitys's site but no mentor accepted it: no first contact (the entry partner
    # rests on an Origin header any client but a browser can forge, so only a case taken on earns it).
    story.case(at(15, 9), "yk-tiina", entry=YK)
    return {"one": one, "two": two, "three": three, "four": four, "six": six}


def lines(shares: PeriodShares) -> set[tuple[str, str, int, float, str | None]]:
    return {(x.partner, x.role, x.cases, round(x.points, 4), x.corrects) for x in shares.lines}


NOVEMBER_LINES = {
    (KA, "first_contact", 1, 1.0, None),  # case four
    (KA, "mentoring", 1, 2.0, None),  # case three, amk-leena
    (KA, "upkeep", 0, 30.0, None),  # mentor_network (the coordinator's partner) 20 + foresight 10
    (AO, "first_contact", 1, 1.0, None),  # case one
    (AO, "mentoring", 1, 2.0, None),  # case one
    (AO, "delivery", 1, 2.5, None),  # case one: 5 shared with kymi-yrityskehitys
    (TY, "first_contact", 1, 1.0, None),  # case three
    (TY, "mentoring", 2, 4.0, None),  # cases two and six
    (TY, "delivery", 1, 1.0, None),  # case two, referred outside
    (YK, "delivery", 1, 2.5, None),  # case one
    (YK, "upkeep", 0, 10.0, None),  # web_service
}


def december_changes(story: Story, cases: dict[str, str]) -> None:
    """Case one's outcome corrected (kymi-tyollisyys delivered it alone), case six forwarded and accepted again
    at kymi-ammattiopisto, case five served and corrected to no_need within the open month."""
    app, clock = story.app, story.clock
    clock.now = at(3, 10, month=12)
    app.lifecycle.correct_outcome(cases["one"], "coordinator", "served", [TY])
    five = story.case(at(4, 9, month=12), "ao-marja")
    story.accept(five, at(4, 10, month=12))
    story.close(five, at(5, 9, month=12), "served", AO)
    clock.now = at(6, 9, month=12)
    app.lifecycle.correct_outcome(five, "coordinator", "no_need")
    clock.now = at(7, 9, month=12)
    app.lifecycle.forward(cases["six"], "ty-anna", AO)
    story.accept(cases["six"], at(7, 10, month=12))


def check_the_table(shares: Shares, network: Network) -> None:
    """The shares table of both months: November closed, December with its adjustment rows."""
    table = shares_table(shares.periods(date(2026, 11, 1), date(2026, 12, 7)), network)
    column = {name: i for i, name in enumerate(table.columns)}
    rows = {(r[column["period"]], r[column["partner"]], r[column["row"]]): r for r in table.rows}
    assert [r[column["share"]] for r in table.rows if r[column["period"]] == "2026-11"] == [0.5789, 0.0965, 0.1053, 0.2193]
    assert rows[("2026-11", KA, "share")][column["state"]] == "closed"
    assert rows[("2026-11", KA, "share")][column["closed_at"]] == "2026-12-02"
    ao = rows[("2026-12", AO, "share")]
    assert (ao[column["mentoring_cases"]], ao[column["points"]], ao[column["share"]]) == (2, 4.0, 0.0909)
    adjustment = rows[("2026-12", AO, "adjustment")]
    assert adjustment[column["corrects"]] == "2026-11"
    assert (adjustment[column["delivery_cases"]], adjustment[column["points"]], adjustment[column["share"]]) == (
        -1,
        -2.5,
        -0.0568,
    )
    assert rows[("2026-12", TY, "adjustment")][column["mentoring_points"]] == -2.0
    assert round(sum(r[column["points"]] for r in table.rows if r[column["period"]] == "2026-12"), 2) == 44.0


def test_a_closed_month_keeps_its_figures_and_later_corrections_adjust_the_next(app: FrontDoor, clock: Clock) -> None:
    story = Story(app, clock)
    cases = november(story)
    shares = Shares(app.sessions, app.networks.current, clock)
    assert lines(shares.figures(NOVEMBER)) == NOVEMBER_LINES
    assert shares.figures(NOVEMBER).total == 57.0

    clock.now = at(2, 9, month=12)
    with pytest.raises(CannotClose) as refused:
        shares.close_period(NOVEMBER.starts, NOVEMBER.ends, "ao-marja")
    assert refused.value.reason == "not_coordinator"
    with pytest.raises(CannotClose) as refused:
        shares.close_period(DECEMBER.starts, DECEMBER.ends, "coordinator")
    assert refused.value.reason == "not_ended"
    with pytest.raises(CannotClose) as refused:
        shares.close_period(date(2026, 11, 2), NOVEMBER.ends, "coordinator")
    assert refused.value.reason == "not_a_period"
    assert shares.closable() == [NOVEMBER]
    closed = shares.close_period(NOVEMBER.starts, NOVEMBER.ends, "coordinator")
    assert closed.closed_by == "coordinator" and lines(closed) == NOVEMBER_LINES
    with pytest.raises(CannotClose) as refused:
        shares.close_period(NOVEMBER.starts, NOVEMBER.ends, "coordinator")
    assert refused.value.reason == "already_closed"
    assert shares.closable() == []

    december_changes(story, cases)

    assert lines(shares.figures(NOVEMBER)) == NOVEMBER_LINES  # never rewritten
    december = shares.figures(DECEMBER)
    assert december.closed_at is None
    assert lines(december) == {
        (KA, "upkeep", 0, 30.0, None),
        (AO, "mentoring", 2, 4.0, None),  # cases five and six
        (AO, "delivery", -1, -2.5, "2026-11"),  # case one's November delivery taken back
        (TY, "delivery", 1, 5.0, None),  # case one, as corrected
        (TY, "mentoring", -1, -2.0, "2026-11"),  # case six's November mentoring taken back
        (YK, "mentoring", 1, 2.0, None),  # case four, accepted at 01:00 on 1 December in Helsinki
        (YK, "upkeep", 0, 10.0, None),
        (YK, "delivery", -1, -2.5, "2026-11"),  # case one
    }
    assert december.total == 44.0

    check_the_table(shares, app.networks.current())

    # The report counts the same: its shares table is this one.
    report = ReportBuilder(app.sessions, app.networks.current, app.taxonomy).build(Period())
    network = app.networks.current()
    assert report.table("shares").rows == shares_table(shares.periods(date(2026, 11, 1), date(2026, 12, 7)), network).rows
    assert [s.span for s in report.shares] == [NOVEMBER, DECEMBER]


def test_periods_follow_the_networks_calendar() -> None:
    assert span_of(date(2026, 11, 15), "month") == NOVEMBER
    assert span_of(date(2026, 11, 15), "quarter") == Span(date(2026, 10, 1), date(2026, 12, 31))
    assert span_of(date(2026, 2, 28), "year") == Span(date(2026, 1, 1), date(2026, 12, 31))
    assert [s.label for s in spans_between(date(2026, 11, 30), date(2027, 2, 1), "month")] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert [s.label for s in spans_between(date(2026, 3, 1), date(2026, 7, 1), "quarter")] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert label_of(date(2026, 1, 1), date(2026, 12, 31)) == "2026"
    assert label_of(date(2026, 1, 5), date(2026, 2, 4)) == "2026-01-05 – 2026-02-04"
    zone_start, zone_end = NOVEMBER.bounds(ZoneInfo("Europe/Helsinki"))
    assert (zone_start, zone_end) == (
        datetime(2026, 10, 31, 22, tzinfo=timezone.utc),
        datetime(2026, 11, 30, 22, tzinfo=timezone.utc),
    )


def test_a_frozen_line_reads_back_as_it_was_written() -> None:
    line = Line(AO, "delivery", -1, -2.5, "2026-11")
    assert Line.from_json(line.as_json()) == line


def test_a_month_closed_before_the_network_counted_in_quarters_stays_that_month(app: FrontDoor, clock: Clock) -> None:
    """``compensation.period`` changed from month to quarter after November was closed: the quarter is not
    read as November's kept figures; November shows as it was closed, October and December as open parts."""
    story = Story(app, clock)
    november(story)
    clock.now = at(2, 9, month=12)
    Shares(app.sessions, app.networks.current, clock).close_period(NOVEMBER.starts, NOVEMBER.ends, "coordinator")
    network = app.networks.current()
    quarterly = replace(network, compensation=replace(network.compensation, period="quarter"))
    shares = Shares(app.sessions, lambda: quarterly, clock)
    october = Span(date(2026, 10, 1), date(2026, 10, 31))

    periods = shares.periods(date(2026, 11, 1), date(2026, 12, 7))
    assert [(p.span, p.closed_at is not None) for p in periods] == [(october, False), (NOVEMBER, True), (DECEMBER, False)]
    assert lines(periods[1]) == NOVEMBER_LINES
    assert lines(periods[2]) == {(KA, "upkeep", 0, 30.0, None), (YK, "mentoring", 1, 2.0, None), (YK, "upkeep", 0, 10.0, None)}
    table = shares_table(periods, quarterly)
    assert sorted({row[0] for row in table.rows}) == ["2026-10", "2026-11", "2026-12"]

    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    assert shares.closable() == [DECEMBER, october]
    assert shares.closing_span(date(2026, 12, 1)) == DECEMBER
    assert shares.closing_span(date(2026, 11, 1)) is None
    shares.close_period(DECEMBER.starts, DECEMBER.ends, "coordinator")
    with pytest.raises(CannotClose) as refused:
        shares.close_period(date(2026, 10, 1), date(2026, 12, 31), "coordinator")
    assert refused.value.reason == "already_closed"
    assert shares.closable() == [october]
    assert [p.closed_at is not None for p in shares.periods(date(2026, 10, 1), date(2026, 12, 31))] == [False, True, True]


def test_the_parts_of_a_period_no_closed_period_covers() -> None:
    quarter = Span(date(2026, 10, 1), date(2026, 12, 31))
    month = SharePeriod(starts=date(2026, 11, 1), ends=date(2026, 11, 30))
    assert pieces(quarter, [month]) == ([month], [Span(date(2026, 10, 1), date(2026, 10, 31)), DECEMBER])
    whole = SharePeriod(starts=quarter.starts, ends=quarter.ends)
    assert pieces(NOVEMBER, [whole]) == ([whole], [])
    assert pieces(NOVEMBER, []) == ([], [NOVEMBER])
