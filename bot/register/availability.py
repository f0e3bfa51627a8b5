"""Mentors' own capacity and away periods, set on the desk on top of the network file.

The network file says what a mentor usually takes; a mentor (or the coordinator)
can lower or raise that and add away periods in the register. Routing reads
:func:`effective_network` in the same transaction that assigns a case, so a
change holds for the very next case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import delete, null, select, union_all
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.network.model import Mentor, Network
from bot.register.models import MentorAvailability, MentorAway
from bot.register.service import RegisterService

# The most a mentor may set as their own capacity (the file may say more).
MAX_CAPACITY = 500


class AvailabilityError(ValueError):
    """The capacity or away period cannot be used; the message says why."""


@dataclass(frozen=True)
class AwayPeriod:
    """An away period: ``id`` is ``None`` for one from the network file (not editable on the desk)."""

    starts: date
    ends: date
    id: int | None = None


@dataclass(frozen=True)
class MentorAvailabilityView:
    """A mentor's capacity and away periods as routing sees them, and where each comes from."""

    mentor: str
    file_capacity: int
    own_capacity: int | None
    away: tuple[AwayPeriod, ...]

    @property
    def capacity(self) -> int:
        return self.file_capacity if self.own_capacity is None else self.own_capacity


class AvailabilityRepository:
    """The register's capacity and away rows. Never commits."""

    def __init__(self, session: Session):
        self.session = session

    def capacities(self) -> dict[str, int]:
        rows = self.session.execute(select(MentorAvailability.mentor, MentorAvailability.capacity)).all()
        return {mentor: capacity for mentor, capacity in rows if capacity is not None}

    def away_periods(self, mentor: str | None = None, *, since: date | None = None) -> Sequence[MentorAway]:
        """Away periods (of one mentor), those not over by ``since`` if given."""
        query = select(MentorAway).order_by(MentorAway.starts, MentorAway.id)
        if since is not None:
            query = query.where(MentorAway.ends >= since)
        if mentor is not None:
            query = query.where(MentorAway.mentor == mentor)
        return self.session.execute(query).scalars().all()

    def set_capacity(self, mentor: str, capacity: int | None, actor: str, now: datetime) -> None:
        row = self.session.execute(select(MentorAvailability).where(MentorAvailability.mentor == mentor)).scalar_one_or_none()
        if row is None:
            row = MentorAvailability(mentor=mentor, updated_at=now, updated_by=actor)
            self.session.add(row)
        row.capacity = capacity
        row.updated_at = now
        row.updated_by = actor

    def add_away(self, mentor: str, starts: date, ends: date, actor: str, now: datetime) -> MentorAway:
        row = MentorAway(mentor=mentor, starts=starts, ends=ends, created_at=now, created_by=actor)
        self.session.add(row)
        self.session.flush()
        return row

    def forget_ended(self, before: date) -> int:
        """Delete away periods that ended before ``before``; how many."""
        return int(cast(CursorResult, self.session.execute(delete(MentorAway).where(MentorAway.ends < before))).rowcount or 0)

    def remove_away(self, mentor: str, away_id: int) -> bool:
        # a DELETE's result is a CursorResult (the stubs type Session.execute as the plain Result)
        result = cast(
            CursorResult, self.session.execute(delete(MentorAway).where(MentorAway.id == away_id, MentorAway.mentor == mentor))
        )
        return bool(result.rowcount)


def effective_network(session: Session, network: Network, today: date) -> Network:
    """The network with the register's capacities and the away periods not over by ``today`` applied to its
    mentors (one query)."""
    capacities = select(MentorAvailability.mentor, MentorAvailability.capacity, null(), null()).where(
        MentorAvailability.capacity.is_not(None)
    )
    periods = select(MentorAway.mentor, null(), MentorAway.starts, MentorAway.ends).where(MentorAway.ends >= today)
    rows = session.execute(union_all(capacities, periods)).all()
    if not rows:
        return network
    own_capacity: dict[str, int] = {}
    away: dict[str, list[tuple[date, date]]] = {}
    for mentor, capacity, starts, ends in rows:
        if capacity is not None:
            own_capacity[mentor] = int(capacity)
        else:
            away.setdefault(mentor, []).append((_day(starts), _day(ends)))
    mentors = tuple(_with_own(m, own_capacity.get(m.id), away.get(m.id, [])) for m in network.mentors)
    return replace(network, mentors=mentors, _mentor_index={m.id: m for m in mentors})


def _day(value: date | str) -> date:
    """A date from a UNION: SQLite hands back the text it stores."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _with_own(mentor: Mentor, capacity: int | None, away: list[tuple[date, date]]) -> Mentor:
    if capacity is None and not away:
        return mentor
    return replace(
        mentor,
        capacity=mentor.capacity if capacity is None else capacity,
        away=(*mentor.away, *away),
    )


class Availability(RegisterService):
    """What the desk changes: a mentor's own capacity and away periods."""

    def _mentor(self, mentor_id: str) -> Mentor:
        mentor = self.network.mentor(mentor_id)
        if mentor is None or mentor_id == self.network.coordinator.id:
            raise AvailabilityError(f"'{mentor_id}' is not a mentor of the network file")
        return mentor

    def of(self, mentor_id: str) -> MentorAvailabilityView:
        mentor = self._mentor(mentor_id)
        with self.sessions() as session:
            repository = AvailabilityRepository(session)
            own = repository.capacities().get(mentor_id)
            today = self._today()
            rows = repository.away_periods(mentor_id, since=today)
            periods = [AwayPeriod(starts, ends) for starts, ends in mentor.away if ends >= today]
            periods += [AwayPeriod(row.starts, row.ends, row.id) for row in rows]
        return MentorAvailabilityView(mentor_id, mentor.capacity, own, tuple(sorted(periods, key=lambda p: p.starts)))

    def set_capacity(self, mentor_id: str, capacity: int | None, actor: str) -> None:
        """Set the mentor's own capacity (``None``: back to the network file's)."""
        self._mentor(mentor_id)
        if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
            raise AvailabilityError(f"capacity must be a whole number from 0 to {MAX_CAPACITY}")
        with self.sessions.begin() as session:
            AvailabilityRepository(session).set_capacity(mentor_id, capacity, actor, self.clock())

    def add_away(self, mentor_id: str, starts: date, ends: date, actor: str) -> int:
        """Add an away period (both days included); returns its id."""
        self._mentor(mentor_id)
        if ends < starts:
            raise AvailabilityError("the away period ends before it starts: give the first and the last day away")
        with self.sessions.begin() as session:
            return AvailabilityRepository(session).add_away(mentor_id, starts, ends, actor, self.clock()).id

    def remove_away(self, mentor_id: str, away_id: int) -> bool:
        """Remove one of the mentor's own away periods; ``False`` when they have no such period."""
        with self.sessions.begin() as session:
            return AvailabilityRepository(session).remove_away(mentor_id, away_id)

    def effective(self) -> Network:
        """The network as routing sees it now."""
        with self.sessions() as session:
            return effective_network(session, self.network, self._today())

    def forget_ended(self, days: int = 30) -> int:
        """Delete the mentors' own away periods that ended more than ``days`` ago (the nightly round)."""
        with self.sessions.begin() as session:
            return AvailabilityRepository(session).forget_ended(self._today() - timedelta(days=days))

    def _today(self) -> date:
        """The network's own calendar day: away periods are in local dates."""
        return self.clock().astimezone(ZoneInfo(self.network.service.timezone)).date()
