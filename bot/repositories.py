"""Data access for cases and the outbox. Repositories never commit: the caller's
unit of work (``with sessionmaker.begin()``) owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.models import OPEN_STATUSES, Case, CaseEvent, OutboxMessage


class CaseRepository:
    """Cases and their events."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, case: Case) -> Case:
        self.session.add(case)
        self.session.flush()
        return case

    def record(self, case: Case, kind: str, actor: str, at: datetime, **detail: object) -> CaseEvent:
        event = CaseEvent(case=case, kind=kind, actor=actor, at=at, detail=detail)
        self.session.add(event)
        return event

    def open_cases_by_mentor(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Case.mentor, func.count())
            .where(Case.status.in_(OPEN_STATUSES), Case.mentor.is_not(None))
            .group_by(Case.mentor)
        )
        return {mentor: count for mentor, count in rows}

    def list(self, status: str | None = None, limit: int | None = None) -> Sequence[Case]:
        query = select(Case).order_by(Case.id)
        if status:
            query = query.where(Case.status == status)
        if limit:
            query = query.limit(limit)
        return self.session.execute(query).scalars().all()

    def by_reference(self, reference: str) -> Case | None:
        query = select(Case).where(Case.reference == reference.strip().upper()).options(selectinload(Case.events))
        return self.session.execute(query).scalar_one_or_none()


class OutboxRepository:
    """Notifications waiting for delivery."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)

    def for_case(self, case_id: int) -> Sequence[OutboxMessage]:
        query = select(OutboxMessage).where(OutboxMessage.case_id == case_id).order_by(OutboxMessage.id)
        return self.session.execute(query).scalars().all()

    def for_cases(self, case_ids: list[int]) -> dict[int, list[OutboxMessage]]:
        """Notifications of many cases in one query, by case id."""
        result: dict[int, list[OutboxMessage]] = {}
        if not case_ids:
            return result
        query = select(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids)).order_by(OutboxMessage.id)
        for message in self.session.execute(query).scalars():
            result.setdefault(message.case_id, []).append(message)
        return result
