"""The foresight report: what the region needs, each partner's share, what came of the cases, and what
the network does not serve yet.

Counts are aggregated in SQL (``GROUP BY`` on SQLite and PostgreSQL alike); only
medians, the partners' shares per period and the unmet demand's months are taken
in Python, from narrow columns. Needs the bot could not place (``other``) are
listed with their words anonymised. The tables counted here are drawn and written
by :mod:`bot.insight.files` (one self-contained HTML file plus a CSV file per table).
The parts: :mod:`bot.insight.work` (each partner's and mentor's work),
:mod:`bot.insight.closedloop` (what came of the cases), :mod:`bot.insight.shares`
(each partner's share), :mod:`bot.insight.unmet` (what the network does not serve).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.insight.closedloop import closed_loop_table, outcomes_table
from bot.insight.periods import spans_between
from bot.insight.shares import PeriodShares, shares_of, shares_table
from bot.insight.tables import WORDS_LIMIT, Period, Table, anonymise, month_of, ratio
from bot.insight.unmet import Names, unmet_tables
from bot.insight.work import WORK_MEASURES, work_tables
from bot.network.model import Network
from bot.network.needs import Taxonomy
from bot.register.models import Case

logger = logging.getLogger(__name__)

# What other modules take from here (defined in bot.insight.tables and bot.insight.work).
__all__ = ["WORK_MEASURES", "Period", "Report", "ReportBuilder", "Table", "anonymise"]

UNCLASSIFIED_LIMIT = WORDS_LIMIT


def _utc_day(moment: datetime | None) -> date | None:
    """The UTC day of a stored time (SQLite gives it back without a zone: it is UTC)."""
    if moment is None:
        return None
    return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).date()


@dataclass
class Report:
    period: Period
    network: str
    total: int
    tables: list[Table]
    charts: list[tuple[str, bytes]] = field(default_factory=list)
    # Each partner's share per period of the network's calendar (the ``shares`` table's figures).
    shares: list[PeriodShares] = field(default_factory=list)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def _summary(days: Period, total: int, by_need: Table) -> Table:
    """The period, the cases, and how many of them named a need the bot could place."""
    concrete = sum(row[2] for row in by_need.rows if row[0] != "other")
    summary = Table("summary", "Yhteenveto", ["measure", "value"])
    summary.rows = [
        ["period", days.label()],
        ["cases", total],
        ["cases_with_concrete_need", concrete],
        ["concrete_need_share", ratio(concrete, total)],
    ]
    return summary


class ReportBuilder:
    """Reads the register for one period and builds the report's tables."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        taxonomy: Taxonomy,
        baseforms: Callable[[str], Iterable[str]] | None = None,
    ):
        self.sessions = sessions
        self.networks = networks
        self.taxonomy = taxonomy
        self.baseforms = baseforms

    def _counts(self, session: Session, column: Any, period: Period) -> list[tuple[Any, int]]:
        query = select(column, func.count()).where(period.where()).group_by(column).order_by(func.count().desc(), column)
        return [(key, int(count)) for key, count in session.execute(query)]

    def _days(self, session: Session, period: Period) -> Period:
        """The period with its open ends closed at the first and the last day with a case."""
        if period.start and period.end:
            return period
        first, last = session.execute(select(func.min(Case.created_at), func.max(Case.created_at)).where(period.where())).one()
        return Period(period.start or _utc_day(first), period.end or _utc_day(last))

    def build(self, period: Period) -> Report:
        network = self.networks()
        with self.sessions() as session:
            total = int(session.execute(select(func.count()).select_from(Case).where(period.where())).scalar_one())
            days = self._days(session, period)
            by_month = self._by_month(session, period, total)
            tables = [
                self._by_need(session, period, total),
                *self._by_columns(session, period, total, network),
                by_month,
                *work_tables(session, period, network),
                self._unclassified(session, period),
                closed_loop_table(session, period, network),
                outcomes_table(session, period),
            ]
            shares = self._shares(session, days, network)
            tables.append(shares_table(shares, network))
            names = Names(self._need_name, self._area_name(network), network, self.baseforms)
            tables += unmet_tables(session, period, days, {row[0]: row[1] for row in by_month.rows}, names)
        return Report(days, network.name, total, [_summary(days, total, tables[0]), *tables], shares=shares)

    def _shares(self, session: Session, days: Period, network: Network) -> list[PeriodShares]:
        """The shares of each period of the network's calendar that the report's days touch."""
        if days.start is None or days.end is None:
            return []
        return shares_of(session, network, spans_between(days.start, days.end, network.compensation.period))

    def _by_columns(self, session: Session, period: Period, total: int, network: Network) -> list[Table]:
        """Cases by area, municipality, sector and customer type."""
        return [
            self._by(session, period, total, column=Case.area, name="by_area", title="Asiat alueittain", key="area",
                     names=self._area_name(network)),
            self._by(session, period, total, column=Case.municipality, name="by_municipality", title="Asiat kunnittain",
                     key="municipality"),
            self._by(session, period, total, column=Case.sector, name="by_sector", title="Asiat toimialoittain", key="sector",
                     names=self._sector_name),
            self._by(session, period, total, column=Case.customer_type, name="by_customer_type", title="Asiakastyypit",
                     key="customer_type"),
        ]  # fmt: skip

    def _area_name(self, network: Network) -> Callable[[str], str]:
        names = {a.id: a.name for a in network.areas}
        return lambda key: names.get(key, key)

    def _sector_name(self, key: str) -> str:
        sector = self.taxonomy.sectors.get(key)
        return sector.name("fi") if sector else key

    def _need_name(self, key: str) -> str:
        need = self.taxonomy.needs.get(key)
        return need.name("fi") if need else key

    def _by_need(self, session: Session, period: Period, total: int) -> Table:
        table = Table("by_need", "Asiat tarpeittain", ["need", "name", "cases", "share"])
        for key, count in self._counts(session, Case.need, period):
            table.rows.append([key, self._need_name(key), count, ratio(count, total)])
        return table

    def _by(
        self,
        session: Session,
        period: Period,
        total: int,
        *,
        column: Any,
        name: str,
        title: str,
        key: str,
        names: Callable[[str], str] | None = None,
        missing: str = "(ei tiedossa)",
    ) -> Table:
        table = Table(name, title, [key, "name", "cases", "share"] if names is not None else [key, "cases", "share"])
        for value, count in self._counts(session, column, period):
            label = value if value is not None else missing
            row = [label] if names is None else [label, names(value) if value else missing]
            table.rows.append([*row, count, ratio(count, total)])
        return table

    def _by_month(self, session: Session, period: Period, total: int) -> Table:
        month = month_of(session, Case.created_at)
        query = select(month, func.count()).where(period.where()).group_by(month).order_by(month)
        table = Table("by_month", "Asiat kuukausittain", ["month", "cases", "share"])
        table.rows = [[m, int(c), ratio(int(c), total)] for m, c in session.execute(query)]
        return table

    def _unclassified(self, session: Session, period: Period) -> Table:
        query = (
            select(Case.created_at, Case.need_text, Case.contact_name, Case.organization)
            .where(period.where(), Case.need == "other", Case.need_text.is_not(None))
            .order_by(Case.created_at.desc())
            .limit(UNCLASSIFIED_LIMIT)
        )
        table = Table("unclassified", "Tarpeet, joita botti ei osannut luokitella (anonymisoitu)", ["date", "text"])
        for created_at, text, name, organization in session.execute(query):
            table.rows.append([created_at.date().isoformat(), anonymise(text, name, organization, baseforms=self.baseforms)])
        return table
