"""The periods the partners' shares are counted in: months, quarters or years of the network's own calendar.

A period is its first and last local day (both included); :meth:`Span.bounds` gives
the instants (UTC) it runs between, which is how the register's times are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.register.models import utc

MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, order=True)
class Span:
    """One period of the shares: its first and last day in the network's calendar."""

    starts: date
    ends: date

    @property
    def label(self) -> str:
        """``2026-11`` for a month, ``2026-Q4`` for a quarter, ``2026`` for a year, else the days."""
        return label_of(self.starts, self.ends)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants (UTC) the period starts at and ends before."""
        return midnight(self.starts, zone), midnight(self.ends + timedelta(days=1), zone)

    def has_ended(self, today: date) -> bool:
        return self.ends < today


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The local midnight that starts ``day``, in UTC."""
    return datetime.combine(day, time.min, zone).astimezone(timezone.utc)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The network's calendar day of a stored time (SQLite gives times back without a zone: they are UTC)."""
    return utc(moment).astimezone(zone).date()


def _month_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def span_of(day: date, kind: str) -> Span:
    """The period of ``kind`` (month, quarter, year) that ``day`` is in."""
    months = MONTHS_IN[kind]
    first_month = (day.month - 1) // months * months + 1
    starts = date(day.year, first_month, 1)
    return Span(starts, _month_after(starts, months) - timedelta(days=1))


def spans_between(first: date, last: date, kind: str) -> list[Span]:
    """Every period of ``kind`` from the one ``first`` is in to the one ``last`` is in, oldest first."""
    spans: list[Span] = []
    span = span_of(first, kind)
    while span.starts <= last:
        spans.append(span)
        span = span_of(span.ends + timedelta(days=1), kind)
    return spans


def label_of(starts: date, ends: date) -> str:
    """A period's name for its readers, whatever kind it is of."""
    if starts.day == 1 and ends + timedelta(days=1) == _month_after(starts, 12) and starts.month == 1:
        return str(starts.year)
    if starts.day == 1 and ends + timedelta(days=1) == _month_after(starts, 3) and starts.month % 3 == 1:
        return f"{starts.year}-Q{(starts.month - 1) // 3 + 1}"
    if starts.day == 1 and ends + timedelta(days=1) == _month_after(starts, 1):
        return f"{starts.year}-{starts.month:02d}"
    return f"{starts} – {ends}"
