"""What a mentor's desk reads: their cases a page at a time, and one case if they may see it.

"My cases" lists first the cases waiting for the mentor to accept them, the
closest deadline first, then every other case they hold or held, newest
first. Each list reads only the columns a row shows, a page at a time
(LIMIT/OFFSET over the indexes on cases(mentor, status), cases.created_at
and case_holders.mentor), so a page costs the same in a register of many
thousand cases as in a new one, and no row loads its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.paths.steps import PathStep
from bot.register.cases import drafted_path
from bot.register.models import AWAITING_STATUSES, Case, CaseHolder
from bot.register.repositories import CaseRepository
from bot.register.service import RegisterService

PAGE_SIZE = 50
# The columns one row of "my cases" shows.
_ROW = (Case.reference, Case.need, Case.status, Case.municipality, Case.created_at, Case.respond_by)


@dataclass(frozen=True)
class InboxRow:
    """One case as the list shows it; ``waiting``: it waits for this mentor to accept it."""

    reference: str
    need: str
    status: str
    municipality: str | None
    created_at: datetime
    respond_by: datetime | None
    waiting: bool


@dataclass(frozen=True)
class InboxPage:
    """One page of a mentor's cases, and how many there are in all."""

    rows: tuple[InboxRow, ...]
    number: int
    size: int
    waiting: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class CaseView:
    """A case for the desk's case page: the case (its events loaded) and its drafted competence path."""

    case: Case
    path: tuple[PathStep, ...]


def _rows(result: Any, waiting: bool) -> list[InboxRow]:
    return [
        InboxRow(str(ref), need, status, place, created, respond_by, waiting)
        for ref, need, status, place, created, respond_by in result
    ]


class InboxRepository:
    """The reads behind a mentor's desk. Never commits."""

    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _waiting(mentor: str) -> Any:
        return and_(Case.mentor == mentor, Case.status.in_(AWAITING_STATUSES))

    @staticmethod
    def _held(mentor: str) -> Any:
        """Cases the mentor holds or held, except those waiting for them (listed first)."""
        return and_(
            CaseHolder.mentor == mentor,
            or_(Case.mentor.is_(None), Case.mentor != mentor, Case.status.not_in(AWAITING_STATUSES)),
        )

    def count_waiting(self, mentor: str) -> int:
        return int(self.session.execute(select(func.count(Case.id)).where(self._waiting(mentor))).scalar_one())

    def waiting(self, mentor: str, offset: int, limit: int) -> list[InboxRow]:
        """Cases waiting for the mentor, the one whose deadline comes first first (none at the end)."""
        if limit <= 0:
            return []
        query = (
            select(*_ROW)
            .where(self._waiting(mentor))
            .order_by(Case.respond_by.is_(None), Case.respond_by, Case.id)
            .offset(offset)
            .limit(limit)
        )
        return _rows(self.session.execute(query), True)

    def count_held(self, mentor: str) -> int:
        query = select(func.count(Case.id)).join(CaseHolder, CaseHolder.case_id == Case.id).where(self._held(mentor))
        return int(self.session.execute(query).scalar_one())

    def held(self, mentor: str, offset: int, limit: int) -> list[InboxRow]:
        """The mentor's other cases, held now or before, newest first."""
        if limit <= 0:
            return []
        query = (
            select(*_ROW)
            .join(CaseHolder, CaseHolder.case_id == Case.id)
            .where(self._held(mentor))
            .order_by(Case.created_at.desc(), Case.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return _rows(self.session.execute(query), False)

    def holds_or_held(self, case_id: int, mentor: str) -> bool:
        query = select(CaseHolder.id).where(CaseHolder.case_id == case_id, CaseHolder.mentor == mentor).limit(1)
        return self.session.execute(query).scalar_one_or_none() is not None


class Inbox(RegisterService):
    """A mentor's cases and the case pages they may open; the coordinator may open every case."""

    def page(self, mentor: str, number: int = 1, size: int = PAGE_SIZE) -> InboxPage:
        """Page ``number`` (from 1; one past the last shows the last) of the mentor's cases."""
        with self.sessions() as session:
            repository = InboxRepository(session)
            waiting = repository.count_waiting(mentor)
            total = waiting + repository.count_held(mentor)
            number = min(max(1, number), max(1, -(-total // size)))
            start = (number - 1) * size
            rows = repository.waiting(mentor, start, min(size, waiting - start))
            rows += repository.held(mentor, max(0, start - waiting), size - len(rows))
        return InboxPage(tuple(rows), number, size, waiting, total)

    def case_for(self, reference: str, person_id: str) -> CaseView | None:
        """The case if ``person_id`` holds or held it or is the coordinator; ``None`` otherwise, as for no such case."""
        with self.sessions() as session:
            case = CaseRepository(session).by_reference(reference)
            if case is None:
                return None
            if person_id != self.network.coordinator.id and not InboxRepository(session).holds_or_held(case.id, person_id):
                return None
            return CaseView(case, tuple(drafted_path(case)))
