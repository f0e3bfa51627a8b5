"""The closed-loop figures from five cases with known times and answers, on SQLite and PostgreSQL (the
durations are counted in SQL): share with an outcome, customers asked, answered and helped, median days
(to the first close, not to a later correction of the outcome)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.insight.report import ReportBuilder
from bot.insight.tables import Period
from bot.register.models import Case, FollowUp
from bot.settings import Settings
from tests.bot.register.test_lifecycle import INTAKE, Clock
from tests.standins.postgres import PostgresServer

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield settings
        return
    with PostgresServer() as pg:
        yield replace(settings, database_url=pg.url)


def answer(app: FrontDoor, reference: str, sent: datetime, said: str | None = None, words: str | None = None) -> None:
    """The customer of the case was asked at ``sent`` and answered ``said`` (None: not yet) a day later."""
    with app.sessions.begin() as session:
        case_id = session.execute(select(Case.id).where(Case.reference == reference)).scalar_one()
        followup = session.execute(select(FollowUp).where(FollowUp.case_id == case_id)).scalar_one_or_none()
        if followup is None:  # the lifecycle may have planned one already
            followup = FollowUp(case_id=case_id, status="planned", due_at=sent)
            session.add(followup)
        followup.status, followup.sent_at, followup.channel = ("answered" if said else "sent"), sent, "email"
        followup.answer, followup.words = said, words
        followup.answered_at = sent + DAY if said else None


def walk(app: FrontDoor, clock: Clock, n: int, mentor: str, *, contact: float | None, close: tuple[float, str] | None) -> str:
    """A case made at START + n hours with ``mentor``, contacted and closed so many days after it was made."""
    created = START + timedelta(hours=n)
    clock.now = created
    reference = app.cases.create_case(replace(INTAKE, email=f"loop{n}@example.org")).reference
    shown = app.cases.show_case(reference)
    assert shown is not None
    if shown["mentor"] != mentor:
        app.lifecycle.reassign(reference, "coordinator", mentor)
    if contact is None and close is None:
        return reference
    app.lifecycle.accept(reference, mentor)
    if contact is not None:
        clock.now = created + contact * DAY
        app.lifecycle.contacted(reference, mentor)
    if close is not None:
        clock.now = created + close[0] * DAY
        app.lifecycle.close(reference, mentor, outcome=close[1])
    return reference


def test_the_closed_loop_figures_per_partner_and_for_the_network(register: Settings) -> None:
    clock = Clock(START)
    app = create_frontdoor(register, clock=clock)
    one = walk(app, clock, 0, "ao-marja", contact=1, close=(4, "served"))
    two = walk(app, clock, 1, "ao-marja", contact=3, close=(10, "referred_outside"))
    three = walk(app, clock, 2, "ty-anna", contact=0.5, close=(2, "no_need"))
    walk(app, clock, 3, "ty-anna", contact=None, close=None)
    clock.now = START + timedelta(hours=4)
    app.cases.create_case(replace(INTAKE, email="loop4@example.org", need="other"))  # to the coordinator (kaakko-amk)
    answer(app, one, START + 4 * DAY, "yes")
    answer(app, two, START + 10 * DAY)
    answer(app, three, START + 2 * DAY, "no", "Ei auttanut")
    # Weeks later the coordinator corrects case one's outcome: its days to outcome stay those to its close.
    clock.now = START + 30 * DAY
    app.lifecycle.correct_outcome(one, "coordinator", "served", ["kymi-tyollisyys"])

    report = ReportBuilder(app.sessions, app.networks.current, app.taxonomy).build(Period())
    table = report.table("closed_loop")
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert list(rows) == ["kaakko-amk", "kymi-ammattiopisto", "kymi-tyollisyys", "kymi-yrityskehitys", "*"]

    def figures(partner: str) -> tuple[object, ...]:
        row = rows[partner]
        return tuple(row[c] for c in table.columns[2:])

    # cases, with outcome, share, asked, answered, share, helped, of asked, of answered, days to contact, to outcome
    assert figures("kymi-ammattiopisto") == (2, 2, 1.0, 2, 1, 0.5, 1, 0.5, 1.0, 2.0, 7.0)
    assert figures("kymi-tyollisyys") == (2, 1, 0.5, 1, 1, 1.0, 0, 0.0, 0.0, 0.5, 2.0)
    assert figures("kaakko-amk") == (1, 0, 0.0, 0, 0, 0.0, 0, 0.0, 0.0, "", "")
    assert figures("kymi-yrityskehitys") == (0, 0, 0.0, 0, 0, 0.0, 0, 0.0, 0.0, "", "")
    assert figures("*") == (5, 3, 0.6, 3, 2, 0.6667, 1, 0.3333, 0.5, 1.0, 4.0)

    names = {row[0]: row[1] for row in report.table("outcomes").rows}
    assert names["served"] == "Palveltu verkostossa"  # the desk's word, from bot/data/notices.yml
    outcomes = {row[0]: row[2] for row in report.table("outcomes").rows}
    assert outcomes == {"served": 1, "referred_outside": 1, "not_reachable": 0, "no_need": 1, "not_offered": 0, "open": 2}
    app.engine.dispose()
