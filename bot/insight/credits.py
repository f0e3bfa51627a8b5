"""What each case earns its partners, and when: the credits the shares are summed from.

Per case, as the network file's ``compensation`` says:

- ``first_contact``: the partner the customer came in through (``entry_partner``), when the case was made,
  once a mentor accepted the case (an ``accepted`` event): the entry partner rests on the ``Origin`` header,
  which any client but a browser can forge, so a case nobody took on earns no one anything;
- ``mentoring``: the partner whose mentor accepted the case (its last ``accepted`` event), when they did;
- ``delivery``: the points of the case's outcome, shared equally among the partners that delivered it
  (an outcome that names none, like ``referred_outside``, credits the partner that held the case), at
  ``outcome_at``.

The credits are counted in SQL per period (a ``CASE`` of the periods' bounds) and per
partner, so a year of 100 000 cases is read in a few narrow rows.

A closed period is never rewritten. So when a credit that counted in a closed period
moves later — the coordinator corrects the outcome, or another mentor accepts the case
after it was forwarded — the old credit is taken back by an *adjustment* (minus one
case, minus its points) dated at the change, which counts in the period the change
was made in, like any other credit.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.insight.periods import label_of, local_day, midnight
from bot.network.model import Network
from bot.register.models import Case, CaseEvent, SharePeriod, utc

# The events that set a case's outcome (a customer's withdrawal sets ``no_need``).
OUTCOME_EVENTS = ("closed", "outcome_corrected", "cancelled")


Bounds = list[tuple[datetime, datetime]]


@dataclass(frozen=True)
class Credit:
    """Cases and points a partner earns in a role in one of the periods read (``period``: its index);
    ``corrects``: the closed period an adjustment corrects."""

    period: int
    partner: str
    role: str
    cases: int
    points: float
    corrects: str | None = None


@dataclass(frozen=True)
class Closed:
    """A closed period: its days and when it was closed."""

    starts: date
    ends: date
    closed_at: datetime


class ClosedBook:
    """The closed periods, to tell whether a credit had already been counted in one when it moved."""

    def __init__(self, periods: Iterable[SharePeriod]):
        self.periods = [Closed(p.starts, p.ends, utc(p.closed_at)) for p in periods]

    def __bool__(self) -> bool:
        return bool(self.periods)

    def until(self, zone: ZoneInfo) -> datetime:
        """The instant (UTC) the latest-ending closed period ends at: no credit after it counted in one."""
        return midnight(max(period.ends for period in self.periods) + timedelta(days=1), zone)

    def corrected(self, counted_at: datetime, moved_at: datetime, zone: ZoneInfo) -> str | None:
        """The label of the period closed before ``moved_at`` that a credit of ``counted_at`` counted in, if any."""
        day = local_day(counted_at, zone)
        for period in self.periods:
            if period.starts <= day <= period.ends and period.closed_at < utc(moved_at):
                return label_of(period.starts, period.ends)
        return None


def period_of(bounds: Bounds, moment: datetime) -> int | None:
    """The index of the period (of ``bounds``, oldest first) that ``moment`` is in, if any."""
    i = bisect_right([start for start, _ in bounds], moment) - 1
    return i if i >= 0 and moment < bounds[i][1] else None


def bucket(column: Any, bounds: Bounds) -> ColumnElement[Any]:
    """SQL: the index of the period the column's time is in; -1 if none."""
    return case(*((and_(column >= start, column < end), i) for i, (start, end) in enumerate(bounds)), else_=-1)


class CreditReader:
    """Reads the credits earned in periods from the register, in the caller's session."""

    def __init__(self, session: Session, network: Network, closed: ClosedBook):
        self.session = session
        self.network = network
        self.closed = closed
        self.zone = ZoneInfo(network.service.timezone)
        self.points = network.compensation

    def read(self, bounds: Bounds) -> list[Credit]:
        """Every credit in the periods of ``bounds`` (instants, oldest first, that need not follow each other)."""
        if not bounds:
            return []
        credits = [*self.first_contacts(bounds), *self.mentoring(bounds), *self.deliveries(bounds)]
        if self.closed:  # only what counted in a closed period needs taking back
            credits += [*self.acceptances_moved(bounds), *self.corrections(bounds)]
        return credits

    def partner_of(self, mentor_id: str) -> str | None:
        """The partner of a mentor (the coordinator too), if the network still has the mentor."""
        mentor = self.network.mentor(mentor_id)
        return (mentor.partner or None) if mentor else None

    def first_contacts(self, bounds: Bounds) -> list[Credit]:
        """Each case that came in through a partner and that a mentor accepted, in the period it was made in.

        Only an accepted case earns first contact: the entry partner rests on the page's ``Origin``, which a
        client other than a browser can set at will, so a case nobody took on pays nothing for it."""
        period = bucket(Case.created_at, bounds)
        accepted = exists().where(and_(CaseEvent.case_id == Case.id, CaseEvent.kind == "accepted"))
        query = (
            select(period, Case.entry_partner, func.count())
            .where(
                Case.entry_partner.is_not(None),
                Case.created_at >= bounds[0][0],
                Case.created_at < bounds[-1][1],
                accepted,
            )
            .group_by(period, Case.entry_partner)
        )
        points = self.points.first_contact
        return [
            Credit(i, str(partner), "first_contact", int(n), n * points)
            for i, partner, n in self.session.execute(query)
            if i >= 0
        ]

    def mentoring(self, bounds: Bounds) -> list[Credit]:
        """Each case's last acceptance, in the period it was made in, to the accepting mentor's partner."""
        later = aliased(CaseEvent)
        period = bucket(CaseEvent.at, bounds)
        superseded = exists().where(
            and_(
                later.case_id == CaseEvent.case_id,
                later.kind == "accepted",
                or_(later.at > CaseEvent.at, and_(later.at == CaseEvent.at, later.id > CaseEvent.id)),
            )
        )
        last = (CaseEvent.kind == "accepted", CaseEvent.at >= bounds[0][0], CaseEvent.at < bounds[-1][1], ~superseded)
        counts: dict[tuple[int, str], int] = defaultdict(int)
        unknown: set[str] = set()
        for i, actor, n in self.session.execute(
            select(period, CaseEvent.actor, func.count()).where(*last).group_by(period, CaseEvent.actor)
        ):
            partner = self.partner_of(actor)
            if partner:
                counts[(i, partner)] += int(n)
            elif self.network.mentor(actor) is None:
                unknown.add(actor)
        if unknown:  # a mentor no longer in the network: the partner that holds the case
            query = (
                select(period, Case.partner, func.count())
                .join(Case, Case.id == CaseEvent.case_id)
                .where(*last, CaseEvent.actor.in_(unknown), Case.partner.is_not(None))
                .group_by(period, Case.partner)
            )
            for i, partner, n in self.session.execute(query):
                counts[(i, partner)] += int(n)
        points = self.points.mentoring
        return [Credit(i, partner, "mentoring", n, n * points) for (i, partner), n in counts.items() if i >= 0]

    def _delivery(
        self, period: int, outcome: str | None, partners: Sequence[str] | None, holder: str | None, n: int = 1
    ) -> list[Credit]:
        """The outcome's points shared equally among the partners that delivered it (none named: the case's partner)."""
        points = self.points.delivery.get(outcome or "", 0.0)
        named = list(partners or ()) or ([holder] if holder else [])
        if not points or not named:
            return []
        return [Credit(period, partner, "delivery", n, n * points / len(named)) for partner in named]

    def deliveries(self, bounds: Bounds) -> list[Credit]:
        paying = [outcome for outcome, points in self.points.delivery.items() if points]
        if not paying:
            return []
        period = bucket(Case.outcome_at, bounds)
        partners = cast(Case.delivered_by, Text)
        query = (
            select(period, Case.outcome, partners, Case.partner, func.count())
            .where(Case.outcome.in_(paying), Case.outcome_at >= bounds[0][0], Case.outcome_at < bounds[-1][1])
            .group_by(period, Case.outcome, partners, Case.partner)
        )
        credits: list[Credit] = []
        for i, outcome, named, holder, n in self.session.execute(query):
            if i >= 0:
                credits += self._delivery(i, outcome, json.loads(named) if named else None, holder, int(n))
        return credits

    def acceptances_moved(self, bounds: Bounds) -> list[Credit]:
        """A case accepted again in a period whose earlier acceptance counted in a closed period: taken back.

        Read are only the cases accepted again within ``bounds`` after an acceptance before the last closed
        period ended (a few forwarded cases), not every case ever accepted twice."""
        earlier = aliased(CaseEvent)
        again = select(CaseEvent.case_id).where(
            CaseEvent.kind == "accepted",
            CaseEvent.at >= bounds[0][0],
            CaseEvent.at < bounds[-1][1],
            exists().where(
                and_(
                    earlier.case_id == CaseEvent.case_id,
                    earlier.kind == "accepted",
                    earlier.at <= CaseEvent.at,
                    earlier.id != CaseEvent.id,
                    earlier.at < self.closed.until(self.zone),
                )
            ),
        )
        query = (
            select(CaseEvent.case_id, CaseEvent.at, CaseEvent.actor, Case.partner)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.kind == "accepted", CaseEvent.case_id.in_(again))
            .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
        )
        by_case: dict[int, list[tuple[datetime, str | None]]] = defaultdict(list)
        for case_id, at, actor, holder in self.session.execute(query):
            by_case[case_id].append((utc(at), self.partner_of(actor) or holder))
        points = self.points.mentoring
        credits: list[Credit] = []
        for acceptances in by_case.values():
            for (before_at, before_partner), (after_at, _) in pairwise(acceptances):
                i = period_of(bounds, after_at)
                corrects = self.closed.corrected(before_at, after_at, self.zone) if i is not None else None
                if i is not None and corrects and before_partner:
                    credits.append(Credit(i, before_partner, "mentoring", -1, -points, corrects))
        return credits

    def corrections(self, bounds: Bounds) -> list[Credit]:
        """Each outcome corrected in a period whose earlier delivery counted in a closed period: taken back."""
        corrected = select(CaseEvent.case_id).where(
            CaseEvent.kind == "outcome_corrected", CaseEvent.at >= bounds[0][0], CaseEvent.at < bounds[-1][1]
        )
        query = (
            select(CaseEvent.case_id, CaseEvent.at, CaseEvent.kind, CaseEvent.detail, Case.partner)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.kind.in_(OUTCOME_EVENTS), CaseEvent.case_id.in_(corrected))
            .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
        )
        by_case: dict[int, list[tuple[datetime, str, dict[str, Any], str | None]]] = defaultdict(list)
        for case_id, at, kind, detail, holder in self.session.execute(query):
            by_case[case_id].append((utc(at), kind, detail or {}, holder))
        credits: list[Credit] = []
        for events in by_case.values():
            for (before_at, *_), (at, kind, detail, holder) in pairwise(events):
                i = period_of(bounds, at)
                corrects = self.closed.corrected(before_at, at, self.zone) if kind == "outcome_corrected" else None
                if i is None or corrects is None:
                    continue
                for taken in self._delivery(i, detail.get("from_outcome"), detail.get("from_delivered_by"), holder):
                    credits.append(Credit(i, taken.partner, "delivery", -1, -taken.points, corrects))
        return credits
