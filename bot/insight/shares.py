"""Each partner's share of the network's work, per period, as the network file's ``compensation`` counts it.

A period's shares are the credits (:mod:`bot.insight.credits`) dated in it, summed per
partner and role, and the upkeep points of the period to each upkeep role's holder
(``roles:``; a mentor's role counts for the mentor's partner). The coordinator closes a
period once it has ended (:meth:`Shares.close_period`): its figures are kept as they
stood (``share_periods.figures``) and shown as kept ever after. A later change to a
credit counted in it shows as an adjustment line in the period the change was made in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.insight.credits import ClosedBook, Credit, CreditReader
from bot.insight.periods import Span, local_day, span_of, spans_between
from bot.insight.tables import Table, ratio
from bot.network.model import Network
from bot.register.models import Case, SharePeriod, utc
from bot.register.service import RegisterService

logger = logging.getLogger(__name__)

ROLES = ("first_contact", "mentoring", "delivery", "upkeep")


@dataclass(frozen=True)
class Line:
    """A partner's cases and points in one role in a period; ``corrects``: an adjustment to that closed period."""

    partner: str
    role: str
    cases: int
    points: float
    corrects: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"partner": self.partner, "role": self.role, "cases": self.cases, "points": self.points, "corrects": self.corrects}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Line:
        return cls(str(row["partner"]), str(row["role"]), int(row["cases"]), float(row["points"]), row.get("corrects"))


@dataclass(frozen=True)
class PeriodShares:
    """One period's lines; a closed period's as they stood when it was closed."""

    span: Span
    lines: tuple[Line, ...]
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def total(self) -> float:
        return sum(line.points for line in self.lines)

    def points_of(self, partner: str) -> float:
        return sum(line.points for line in self.lines if line.partner == partner)


class CannotClose(ValueError):
    """The period cannot be closed; ``reason`` says why in a word (``not_coordinator``, ``not_a_period``,
    ``not_ended``, ``already_closed``)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class SharePeriodRepository:
    """The closed periods. Never commits: the caller's unit of work owns the transaction."""

    def __init__(self, session: Session):
        self.session = session

    def closed(self) -> list[SharePeriod]:
        return list(self.session.execute(select(SharePeriod).order_by(SharePeriod.starts)).scalars())

    def add(self, period: SharePeriod) -> SharePeriod:
        self.session.add(period)
        self.session.flush()
        return period


def _lines(credits: Iterable[Credit | Line]) -> tuple[Line, ...]:
    """Credits (and upkeep lines) summed per partner, role and corrected period, in a steady order."""
    sums: dict[tuple[str, str, str | None], list[float]] = defaultdict(lambda: [0, 0.0])
    for credit in credits:
        entry = sums[(credit.partner, credit.role, credit.corrects)]
        entry[0] += credit.cases
        entry[1] += credit.points
    lines = [Line(p, role, int(cases), points, corrects) for (p, role, corrects), (cases, points) in sums.items()]
    return tuple(sorted(lines, key=lambda line: (line.corrects or "", line.partner, ROLES.index(line.role))))


def upkeep_lines(network: Network) -> list[Line]:
    """Each upkeep role's points for a period, to its holder (a mentor's to the mentor's partner)."""
    lines = []
    for role, points in network.compensation.upkeep.items():
        holder = network.roles.get(role)
        if not holder or not points:
            continue
        mentor = None if network.partner(holder) else network.mentor(holder)
        partner = mentor.partner if mentor else holder
        if partner:
            lines.append(Line(partner, "upkeep", 0, points))
    return lines


def pieces(span: Span, closed: Iterable[SharePeriod]) -> tuple[list[SharePeriod], list[Span]]:
    """The closed periods that overlap ``span`` (oldest first), and the parts of ``span`` none of them covers.

    Closed periods are matched on both their days: one closed as a month and read when the network counts in
    quarters is shown as the month it was closed as, and the rest of the quarter is counted as a part of its own."""
    over = sorted((p for p in closed if p.starts <= span.ends and p.ends >= span.starts), key=lambda p: p.starts)
    parts: list[Span] = []
    day = span.starts
    for period in over:
        if period.starts > day:
            parts.append(Span(day, period.starts - timedelta(days=1)))
        day = max(day, period.ends + timedelta(days=1))
    if day <= span.ends:
        parts.append(Span(day, span.ends))
    return over, parts


def shares_of(session: Session, network: Network, spans: Sequence[Span]) -> list[PeriodShares]:
    """The shares of each period in ``spans`` (oldest first): closed ones as kept, open ones counted now.

    A closed period is the one with the same first *and* last day; one closed under another
    ``compensation.period`` is shown as it was closed (its own row, once), and the days of the asked period
    it does not cover as an open part of their own, with the period's upkeep."""
    closed = SharePeriodRepository(session).closed()
    zone = ZoneInfo(network.service.timezone)
    kept: dict[tuple[date, date], SharePeriod] = {}
    counted: list[Span] = []
    for span in spans:
        over, parts = pieces(span, closed)
        kept.update({(p.starts, p.ends): p for p in over})
        counted += parts
    buckets: dict[Span, list[Credit]] = defaultdict(list)
    for credit in CreditReader(session, network, ClosedBook(closed)).read([span.bounds(zone) for span in counted]):
        buckets[counted[credit.period]].append(credit)
    upkeep = upkeep_lines(network)
    result = [PeriodShares(span, _lines([*buckets[span], *upkeep])) for span in counted]
    for period in kept.values():
        lines = tuple(Line.from_json(row) for row in period.figures)
        result.append(PeriodShares(Span(period.starts, period.ends), lines, utc(period.closed_at), period.closed_by))
    return sorted(result, key=lambda shares: shares.span)


class Shares(RegisterService):
    """The partners' shares per period, and closing a period."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.network.service.timezone)

    def today(self) -> date:
        return local_day(self.clock(), self.zone)

    def span_of(self, day: date) -> Span:
        return span_of(day, self.network.compensation.period)

    def figures(self, span: Span) -> PeriodShares:
        """One period's shares."""
        with self.sessions() as session:
            return shares_of(session, self.network, [span])[0]

    def periods(self, first: date, last: date) -> list[PeriodShares]:
        """The shares of every period from the one ``first`` is in to the one ``last`` is in."""
        network = self.network
        with self.sessions() as session:
            return shares_of(session, network, spans_between(first, last, network.compensation.period))

    def closable(self, limit: int = 12) -> list[Span]:
        """Periods that have ended and are not closed, newest first: from the first case's period, at most ``limit``.

        Of a period partly covered by one closed under another ``compensation.period``, the part left open."""
        network = self.network
        with self.sessions() as session:
            first = session.execute(select(func.min(Case.created_at))).scalar_one_or_none()
            closed = SharePeriodRepository(session).closed()
        today = self.today()
        if first is None:
            return []
        spans = spans_between(local_day(first, self.zone), today, network.compensation.period)
        parts = [part for span in spans if span.has_ended(today) for part in pieces(span, closed)[1]]
        return parts[::-1][:limit]

    def closing_span(self, starts: date) -> Span | None:
        """The period (or its part left open, see :meth:`closable`) that starts on ``starts``, if any."""
        span = self.span_of(starts)
        with self.sessions() as session:
            _, parts = pieces(span, SharePeriodRepository(session).closed())
        return next((part for part in parts if part.starts == starts), span if span.starts == starts else None)

    def close_period(self, starts: date, ends: date, actor: str) -> PeriodShares:
        """Close a period that has ended (or its part left open): its figures are kept as they stand now, never
        rewritten."""
        network = self.network
        if actor != network.coordinator.id:
            raise CannotClose("not_coordinator", f"only the coordinator ({network.coordinator.id}) can close a period")
        span = Span(starts, ends)
        kind = network.compensation.period
        if not span.has_ended(self.today()):
            raise CannotClose("not_ended", f"the period {span.label} has not ended yet")
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                closed = SharePeriodRepository(session).closed()
                _, parts = pieces(span_of(starts, kind), closed)
                if span not in parts:
                    if any(p.starts <= ends and p.ends >= starts for p in closed):
                        raise CannotClose("already_closed", f"the period {span.label} is already closed")
                    raise CannotClose("not_a_period", f"{starts} – {ends} is not a {kind} of the shares")
                (shares,) = shares_of(session, network, [span])
                SharePeriodRepository(session).add(
                    SharePeriod(
                        starts=starts,
                        ends=ends,
                        closed_at=now,
                        closed_by=actor,
                        figures=[line.as_json() for line in shares.lines],
                    )
                )
        except IntegrityError:  # closed at the same moment by another request
            raise CannotClose("already_closed", f"the period {span.label} is already closed") from None
        logger.info("share period %s closed by %s", span.label, actor)
        return PeriodShares(span, shares.lines, now, actor)


SHARE_COLUMNS = [
    "period",
    "starts",
    "ends",
    "state",
    "closed_at",
    "partner",
    "name",
    "row",
    "corrects",
    *(f"{role}_cases" for role in ROLES[:3]),
    *(f"{role}_points" for role in ROLES),
    "points",
    "share",
]


def _share_row(shares: PeriodShares, partner: str, name: str, lines: list[Line], corrects: str | None) -> list[Any]:
    span = shares.span
    cases = {role: sum(line.cases for line in lines if line.role == role) for role in ROLES[:3]}
    points = {role: sum(line.points for line in lines if line.role == role) for role in ROLES}
    total = sum(points.values())
    return [
        span.label,
        span.starts.isoformat(),
        span.ends.isoformat(),
        "closed" if shares.closed_at else "open",
        shares.closed_at.date().isoformat() if shares.closed_at else "",
        partner,
        name,
        "adjustment" if corrects else "share",
        corrects or "",
        *cases.values(),
        *(round(value, 2) for value in points.values()),
        round(total, 2),
        ratio(total, shares.total),
    ]


def shares_table(periods: Sequence[PeriodShares], network: Network) -> Table:
    """Per period and partner: cases and points by role, the points and their share of the period's total;
    an adjustment to a closed period is a row of its own."""
    table = Table("shares", "Kumppaneiden osuudet (pisteet kausittain)", list(SHARE_COLUMNS))
    names = {p.id: p.name for p in network.partners}
    for shares in periods:
        partners = list(names) + sorted({line.partner for line in shares.lines} - set(names))
        for partner in partners:
            own = [line for line in shares.lines if line.partner == partner]
            table.rows.append(_share_row(shares, partner, names.get(partner, partner), [x for x in own if not x.corrects], None))
            for corrects in sorted({line.corrects for line in own if line.corrects}):
                lines = [line for line in own if line.corrects == corrects]
                table.rows.append(_share_row(shares, partner, names.get(partner, partner), lines, corrects))
    return table
