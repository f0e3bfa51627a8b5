"""What the coordinator reads of the whole register: a filtered, paged case list and each mentor's load.

Read queries only, over the caller's session (nothing is changed or
committed). A page of the list is two queries whatever the register's size:
one ``COUNT`` with the filters and one ``LIMIT``/``OFFSET`` of the columns the
list shows, newest first on the ``created_at`` index. No customer's contact
details are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, and_, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from bot.register.models import AWAITING_STATUSES, OPEN_STATUSES, Case, utc

# Cases on a page of the coordinator's list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class CaseFilter:
    """Which cases the list shows: ``None`` for any; ``overdue`` is ``True`` (only overdue) or ``False`` (none)."""

    status: str | None = None
    need: str | None = None
    area: str | None = None
    partner: str | None = None
    mentor: str | None = None
    overdue: bool | None = None


@dataclass(frozen=True)
class CaseRow:
    """One case as the list shows it: no contact details."""

    reference: str
    created_at: datetime
    status: str
    need: str
    customer_type: str
    area: str | None
    partner: str | None
    mentor: str | None
    respond_by: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CasePage:
    """One page of the list, and how many cases the filters match in all."""

    rows: list[CaseRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class MentorLoad:
    """A mentor's open cases now: all open, those waiting for them to accept, and those past their deadline."""

    open: int = 0
    awaiting: int = 0
    overdue: int = 0


def is_overdue(now: datetime) -> ColumnElement[Boolean]:
    """Waiting for a mentor to accept after its deadline (what the scheduler escalates)."""
    return and_(Case.status.in_(AWAITING_STATUSES), Case.respond_by.is_not(None), Case.respond_by <= now)


def _conditions(wanted: CaseFilter, now: datetime) -> list[ColumnElement[Boolean]]:
    conditions: list[ColumnElement[Boolean]] = []
    for column, value in (
        (Case.status, wanted.status),
        (Case.need, wanted.need),
        (Case.area, wanted.area),
        (Case.partner, wanted.partner),
        (Case.mentor, wanted.mentor),
    ):
        if value:
            conditions.append(column == value)
    if wanted.overdue is True:
        conditions.append(is_overdue(now))
    elif wanted.overdue is False:
        # Spelled out rather than NOT(...): a NULL deadline must count as "not overdue".
        conditions.append(or_(not_(Case.status.in_(AWAITING_STATUSES)), Case.respond_by.is_(None), Case.respond_by > now))
    return conditions


# The columns the list shows, in CaseRow's order.
_LISTED = select(
    Case.reference,
    Case.created_at,
    Case.status,
    Case.need,
    Case.customer_type,
    Case.area,
    Case.partner,
    Case.mentor,
    Case.respond_by,
)


class CaseOverview:
    """The register seen whole, for the coordinator. Reads only; never commits."""

    def __init__(self, session: Session):
        self.session = session

    def count(self, wanted: CaseFilter, now: datetime) -> int:
        query = select(func.count(Case.id)).where(*_conditions(wanted, now))
        return int(self.session.execute(query).scalar_one())

    def page(self, wanted: CaseFilter, now: datetime, page: int = 1, page_size: int = PAGE_SIZE) -> CasePage:
        """The cases on ``page`` (from 1; past the last page gives the last), newest first."""
        total = self.count(wanted, now)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        query = (
            _LISTED.where(*_conditions(wanted, now))
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        return CasePage(self._rows(query, now), total, page, page_size)

    def case(self, reference: str, now: datetime) -> CaseRow | None:
        """One case's row by its reference (any letter case), or ``None``."""
        rows = self._rows(_LISTED.where(Case.reference == reference.strip().upper()), now)
        return rows[0] if rows else None

    def _rows(self, query: Select, now: datetime) -> list[CaseRow]:
        return [
            CaseRow(
                reference=str(reference),
                created_at=utc(created_at),
                status=status,
                need=need,
                customer_type=customer_type,
                area=area,
                partner=partner,
                mentor=mentor,
                respond_by=utc(respond_by) if respond_by else None,
                overdue=respond_by is not None and status in AWAITING_STATUSES and utc(respond_by) <= now,
            )
            for reference, created_at, status, need, customer_type, area, partner, mentor, respond_by in self.session.execute(
                query
            )
        ]

    def load(self, now: datetime) -> dict[str, MentorLoad]:
        """Each mentor's open, awaiting and overdue cases, in one query over open cases (the status index)."""
        awaiting = Case.status.in_(AWAITING_STATUSES)
        query = (
            select(
                Case.mentor,
                func.count(Case.id),
                func.count(Case.id).filter(awaiting),
                func.count(Case.id).filter(is_overdue(now)),
            )
            .where(Case.mentor.is_not(None), Case.status.in_(OPEN_STATUSES))
            .group_by(Case.mentor)
        )
        return {
            str(mentor): MentorLoad(int(total), int(waiting), int(late))
            for mentor, total, waiting, late in self.session.execute(query)
        }
