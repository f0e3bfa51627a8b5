"""The foresight report: what the region needs, and each partner's and mentor's share of the work.

Counts are aggregated in SQL (``GROUP BY`` on SQLite and PostgreSQL alike); only
the per-mentor medians are taken in Python, from one sorted column of durations.
Needs the bot could not place (``other``) are listed with their words
anonymised. The tables counted here are drawn and written by
:mod:`bot.insight.files` (one self-contained HTML file plus a CSV file per table).
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Boolean, and_, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.network.model import Network
from bot.network.needs import Taxonomy
from bot.privacy.masking import EMAIL, ID_CODE, PHONE, WORD
from bot.register.models import Case, CaseEvent

logger = logging.getLogger(__name__)

UNCLASSIFIED_LIMIT = 200
URL = re.compile(r"https?://\S+|www\.\S+")
# What the work tables measure, per mentor and per partner alike (in the order of their rows).
WORK_MEASURES = ("received", "accepted", "forwarded", "closed", "median_hours_to_accept", "median_hours_to_contact")


@dataclass(frozen=True)
class Period:
    """Cases created on these days (UTC), both ends included; ``None``: open."""

    start: date | None = None
    end: date | None = None

    def where(self) -> ColumnElement[Boolean]:
        conditions = []
        if self.start:
            conditions.append(Case.created_at >= datetime.combine(self.start, time.min, timezone.utc))
        if self.end:
            conditions.append(Case.created_at < datetime.combine(self.end + timedelta(days=1), time.min, timezone.utc))
        return and_(True, *conditions)

    def label(self) -> str:
        """The days as "2026-10-14 – 2026-11-23"; an end still open (no case to close it) is "…"."""
        return f"{self.start or '…'} – {self.end or '…'}"


def _utc_day(moment: datetime | None) -> date | None:
    """The UTC day of a stored time (SQLite gives it back without a zone: it is UTC)."""
    if moment is None:
        return None
    return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).date()


@dataclass
class Table:
    """One table of the report: its CSV name, title, columns and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    network: str
    total: int
    tables: list[Table]
    charts: list[tuple[str, bytes]] = field(default_factory=list)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


# Separate from bot.privacy.masking.Masker by design: Finnish tags for the report's readers, URLs too, names by Voikko base form.
def anonymise(text: str, *names: str | None, baseforms: Callable[[str], Iterable[str]] | None = None) -> str:
    """Mask what could identify someone: email, web addresses, identity codes, phone numbers, and the
    person's or organisation's names, inflected too ("Virtaselle" is "Virtanen" to Voikko)."""
    text = EMAIL.sub("[sähköposti]", text)
    text = URL.sub("[osoite]", text)
    text = ID_CODE.sub("[henkilötunnus]", text)
    text = PHONE.sub("[puhelin]", text)
    parts = {part.lower() for name in names for part in WORD.findall(name or "") if len(part) > 1}

    def mask(match: re.Match[str]) -> str:
        word = match.group(0)
        forms = {word.lower(), *(form.lower() for form in (baseforms(word) if baseforms else ()))}
        return "[nimi]" if forms & parts else word

    if parts:
        text = WORD.sub(mask, text)
    return " ".join(text.split())


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def _median_hours(values: list[float]) -> float | str:
    return round(statistics.median(values) / 3600, 2) if values else ""


def _summary(days: Period, total: int, by_need: Table) -> Table:
    """The period, the cases, and how many of them named a need the bot could place."""
    concrete = sum(row[2] for row in by_need.rows if row[0] != "other")
    summary = Table("summary", "Yhteenveto", ["measure", "value"])
    summary.rows = [
        ["period", days.label()],
        ["cases", total],
        ["cases_with_concrete_need", concrete],
        ["concrete_need_share", _share(concrete, total)],
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

    def _month(self, session: Session) -> ColumnElement[Any]:
        # The month as text ('2026-10'); the SQL functions are untyped (NullType) to SQLAlchemy.
        if session.get_bind().dialect.name == "postgresql":
            return func.to_char(Case.created_at, "YYYY-MM")
        return func.strftime("%Y-%m", Case.created_at)

    def _seconds(self, session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
        # Seconds between the two, a number; the SQL functions are untyped (NullType) to SQLAlchemy.
        if session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

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
            tables = [
                self._by_need(session, period, total),
                *self._by_columns(session, period, total, network),
                self._by_month(session, period, total),
                *self._work(session, period, network),
                self._unclassified(session, period),
            ]
        return Report(days, network.name, total, [_summary(days, total, tables[0]), *tables])

    def _by_columns(self, session: Session, period: Period, total: int, network: Network) -> list[Table]:
        """Cases by area, municipality, sector and customer type."""
        return [
            self._by(
                session,
                period,
                total,
                column=Case.area,
                name="by_area",
                title="Asiat alueittain",
                key="area",
                names=self._area_name(network),
            ),
            self._by(
                session,
                period,
                total,
                column=Case.municipality,
                name="by_municipality",
                title="Asiat kunnittain",
                key="municipality",
            ),
            self._by(
                session,
                period,
                total,
                column=Case.sector,
                name="by_sector",
                title="Asiat toimialoittain",
                key="sector",
                names=self._sector_name,
            ),
            self._by(
                session,
                period,
                total,
                column=Case.customer_type,
                name="by_customer_type",
                title="Asiakastyypit",
                key="customer_type",
            ),
        ]

    def _area_name(self, network: Network) -> Callable[[str], str]:
        names = {a.id: a.name for a in network.areas}
        return lambda key: names.get(key, key)

    def _sector_name(self, key: str) -> str:
        sector = self.taxonomy.sectors.get(key)
        return sector.name("fi") if sector else key

    def _by_need(self, session: Session, period: Period, total: int) -> Table:
        table = Table("by_need", "Asiat tarpeittain", ["need", "name", "cases", "share"])
        for key, count in self._counts(session, Case.need, period):
            need = self.taxonomy.needs.get(key)
            table.rows.append([key, need.name("fi") if need else key, count, _share(count, total)])
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
            table.rows.append([*row, count, _share(count, total)])
        return table

    def _by_month(self, session: Session, period: Period, total: int) -> Table:
        month = self._month(session)
        query = select(month, func.count()).where(period.where()).group_by(month).order_by(month)
        table = Table("by_month", "Asiat kuukausittain", ["month", "cases", "share"])
        table.rows = [[m, int(c), _share(int(c), total)] for m, c in session.execute(query)]
        return table

    def _events(self, session: Session, period: Period, kind: str, who: Any) -> dict[str, int]:
        query = (
            select(who, func.count())
            .select_from(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(period.where(), CaseEvent.kind == kind)
            .group_by(who)
        )
        return {str(key): int(count) for key, count in session.execute(query) if key}

    def _durations(self, session: Session, period: Period, kind: str) -> dict[str, list[float]]:
        """Seconds from a case's creation to each mentor's first ``kind`` event on it."""
        first = (
            select(CaseEvent.case_id, CaseEvent.actor, func.min(CaseEvent.at).label("at"))
            .where(CaseEvent.kind == kind)
            .group_by(CaseEvent.case_id, CaseEvent.actor)
            .subquery()
        )
        seconds = self._seconds(session, first.c.at, Case.created_at)
        query = (
            select(first.c.actor, seconds).join(Case, Case.id == first.c.case_id).where(period.where()).order_by(first.c.actor)
        )
        result: dict[str, list[float]] = defaultdict(list)
        for actor, value in session.execute(query):
            result[str(actor)].append(float(value))
        return result

    def _work(self, session: Session, period: Period, network: Network) -> list[Table]:
        received = self._events(session, period, "assigned", CaseEvent.detail["mentor"].as_string())
        accepted = self._events(session, period, "accepted", CaseEvent.actor)
        forwarded = self._events(session, period, "forwarded", CaseEvent.actor)
        closed = self._events(session, period, "closed", CaseEvent.actor)
        to_accept = self._durations(session, period, "accepted")
        to_contact = self._durations(session, period, "contacted")
        partners = Table("partners", "Kumppanit", ["partner", "name", *WORK_MEASURES])
        # The same measures per mentor as per partner, so a partner's row pools its mentors'.
        mentors = Table("mentors", "Mentorit", ["mentor", "name", "partner", *WORK_MEASURES])
        people = [network.coordinator, *network.mentors]
        known = {m.id for m in people}
        by_partner: dict[str, dict[str, Any]] = {}
        for mentor_id in sorted(known | set(received) | set(accepted)):
            mentor = network.mentor(mentor_id)
            partner = mentor.partner if mentor else ""
            counts = [
                received.get(mentor_id, 0),
                accepted.get(mentor_id, 0),
                forwarded.get(mentor_id, 0),
                closed.get(mentor_id, 0),
            ]
            if not any(counts) and mentor_id not in known:
                continue
            mentors.rows.append(
                [
                    mentor_id,
                    mentor.name if mentor else mentor_id,
                    partner,
                    *counts,
                    _median_hours(to_accept.get(mentor_id, [])),
                    _median_hours(to_contact.get(mentor_id, [])),
                ]
            )
            entry = by_partner.setdefault(partner, {"counts": [0, 0, 0, 0], "accept": [], "contact": []})
            entry["counts"] = [a + b for a, b in zip(entry["counts"], counts, strict=True)]
            entry["accept"] += to_accept.get(mentor_id, [])
            entry["contact"] += to_contact.get(mentor_id, [])
        for p in network.partners:
            entry = by_partner.get(p.id, {"counts": [0, 0, 0, 0], "accept": [], "contact": []})
            partners.rows.append(
                [p.id, p.name, *entry["counts"], _median_hours(entry["accept"]), _median_hours(entry["contact"])]
            )
        return [partners, mentors]

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
