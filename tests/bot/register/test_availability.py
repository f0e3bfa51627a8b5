"""Mentors' own capacity and away periods: stored on top of the network file, respected by routing at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.app import FrontDoor, create_frontdoor
from bot.register.availability import Availability, AvailabilityError
from bot.register.lifecycle import today_in
from bot.settings import Settings
from tests.bot.register.test_lifecycle import INTAKE, MONDAY_MORNING, Clock


@pytest.fixture
def app(settings: Settings) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=Clock(MONDAY_MORNING))
    yield frontdoor
    frontdoor.engine.dispose()


@pytest.fixture
def availability(app: FrontDoor) -> Availability:
    return Availability(app.sessions, app.networks.current, app.clock)


def _today(app: FrontDoor) -> date:
    return today_in(app.clock(), app.network)


def mentor_of(app: FrontDoor, email: str) -> str:
    """Make a case for the employer with this email; the id of the mentor it went to."""
    shown = app.cases.show_case(app.cases.create_case(replace(INTAKE, email=email)).reference)
    assert shown is not None
    return str(shown["mentor"])


def test_an_away_mentor_gets_no_new_case_and_the_next_one_after_the_period(app: FrontDoor, availability: Availability) -> None:
    away = mentor_of(app, "a1@example.org")
    period = availability.add_away(away, _today(app), _today(app) + timedelta(days=7), actor=away)
    for i in range(3):
        assert mentor_of(app, f"b{i}@example.org") != away
    assert availability.remove_away(away, period)
    assert not availability.remove_away(away, period), "removed twice"
    assert away in {mentor_of(app, f"c{i}@example.org") for i in range(2)}


def test_a_capacity_of_zero_takes_the_mentor_out_of_routing_and_empty_gives_the_files_back(
    app: FrontDoor, availability: Availability
) -> None:
    mentor = mentor_of(app, "d@example.org")
    availability.set_capacity(mentor, 0, actor=mentor)
    view = availability.of(mentor)
    assert (view.own_capacity, view.capacity) == (0, 0) and view.file_capacity > 0
    assert all(mentor_of(app, f"e{i}@example.org") != mentor for i in range(3))
    availability.set_capacity(mentor, None, actor="coordinator")
    assert availability.of(mentor).capacity == view.file_capacity
    assert availability.effective().mentor(mentor) == app.network.mentor(mentor)


def test_bad_capacities_and_periods_are_refused_with_the_reason(availability: Availability) -> None:
    with pytest.raises(AvailabilityError, match="0 to 500"):
        availability.set_capacity("ao-marja", 501, actor="ao-marja")
    with pytest.raises(AvailabilityError, match="ends before it starts"):
        availability.add_away("ao-marja", date(2026, 12, 10), date(2026, 12, 1), actor="ao-marja")
    with pytest.raises(AvailabilityError, match="not a mentor"):
        availability.set_capacity("coordinator", 5, actor="coordinator")
    with pytest.raises(AvailabilityError, match="not a mentor"):
        availability.add_away("nobody", date(2026, 12, 1), date(2026, 12, 2), actor="nobody")


def test_the_view_lists_the_files_periods_and_the_own_ones_in_order(availability: Availability) -> None:
    own = availability.add_away("ao-marja", date(2027, 1, 5), date(2027, 1, 9), actor="ao-marja")
    periods = availability.of("ao-marja").away
    assert [p.id for p in periods if p.id is not None] == [own]
    assert [p.starts for p in periods] == sorted(p.starts for p in periods)


def test_periods_over_are_neither_shown_nor_read_by_routing_and_are_forgotten_a_month_later(
    app: FrontDoor, availability: Availability
) -> None:
    today = _today(app)
    over = availability.add_away("ao-marja", today - timedelta(days=40), today - timedelta(days=35), actor="ao-marja")
    recent = availability.add_away("ao-marja", today - timedelta(days=5), today - timedelta(days=1), actor="ao-marja")
    coming = availability.add_away("ao-marja", today + timedelta(days=3), today + timedelta(days=4), actor="ao-marja")
    assert [p.id for p in availability.of("ao-marja").away if p.id is not None] == [coming]
    marja = availability.effective().mentor("ao-marja")
    assert marja is not None and (today + timedelta(days=3), today + timedelta(days=4)) in marja.away
    assert (today - timedelta(days=5), today - timedelta(days=1)) not in marja.away
    assert availability.forget_ended() == 1  # only the one over for more than 30 days
    assert not availability.remove_away("ao-marja", over) and availability.remove_away("ao-marja", recent)
