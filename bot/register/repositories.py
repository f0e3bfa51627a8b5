"""Data access for cases and the outbox. Repositories never commit: the caller's
unit of work (``with sessionmaker.begin()``) owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from bot.network.routing import Workload
from bot.register.models import AWAITING_STATUSES, OPEN_STATUSES, Case, CaseEvent, OutboxMessage

# PostgreSQL channel on which a committed notification wakes the idle delivery workers (bot.delivery.wakeup.Wakeup).
OUTBOX_CHANNEL = "frontdoor_outbox"
# How far back routing looks for each mentor's last new case (round-robin among equally loaded mentors).
RECENT_ASSIGNMENT_DAYS = 90


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

    def workload(self, now: datetime) -> Workload:
        """Open cases per mentor and when each last got a case: what routing weighs.

        One query that reads only open cases and those assigned in the last
        ``RECENT_ASSIGNMENT_DAYS`` (indexes on status and assigned_at), so making a case costs
        the same in a register of many years as in a new one; reading every case, it grew with
        the register (6 ms at 3 000 cases). A mentor with no case in that time counts as never
        assigned: first among the tied, as the longest wait would make them anyway.
        """
        is_open = Case.status.in_(OPEN_STATUSES)
        since = now - timedelta(days=RECENT_ASSIGNMENT_DAYS)
        rows = self.session.execute(
            select(Case.mentor, func.count(Case.id).filter(is_open), func.max(Case.assigned_at))
            .where(Case.mentor.is_not(None), or_(is_open, Case.assigned_at >= since))
            .group_by(Case.mentor)
        ).all()
        return Workload(
            open_cases={mentor: count for mentor, count, _last in rows if count},
            last_assigned={mentor: last for mentor, _count, last in rows if last is not None},
        )

    def overdue(self, now: datetime) -> Sequence[Case]:
        """Cases still waiting for a mentor to accept after their deadline."""
        query = (
            select(Case)
            .where(Case.status.in_(AWAITING_STATUSES), Case.respond_by.is_not(None), Case.respond_by <= now)
            .order_by(Case.respond_by, Case.id)
            .with_for_update(skip_locked=True)
        )
        return self.session.execute(query).scalars().all()

    def declined_by(self, case: Case) -> frozenset[str]:
        """Mentors who declined or passed on this case: it never goes back to them."""
        events = self.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(("declined", "escalated")))
        ).scalars()
        return frozenset(str(e.detail.get("from_mentor")) for e in events if e.detail.get("from_mentor"))

    def recent_open(self, need: str, *, email: str | None, phone: str | None, since: datetime) -> Case | None:
        """The newest open case for this need from the same email or phone, made after ``since``."""
        same_person = [column == value for column, value in ((Case.email, email), (Case.phone, phone)) if value]
        if not same_person:
            return None
        query = (
            select(Case)
            .where(Case.need == need, Case.status.in_(OPEN_STATUSES), Case.created_at >= since, or_(*same_person))
            .order_by(Case.created_at.desc())
            .limit(1)
        )
        return self.session.execute(query).scalar_one_or_none()

    def list(self, status: str | None = None, limit: int | None = None) -> Sequence[Case]:
        query = select(Case).order_by(Case.id)
        if status:
            query = query.where(Case.status == status)
        if limit:
            query = query.limit(limit)
        return self.session.execute(query).scalars().all()

    def of_person(self, *, email: str | None = None, conversation_id: str | None = None) -> Sequence[Case]:
        """Cases with this email address (any letter case) or made in this conversation, with their events."""
        conditions = []
        if email:
            conditions.append(func.lower(Case.email) == email.strip().lower())
        if conversation_id:
            conditions.append(Case.conversation_id == conversation_id)
        if not conditions:
            return []
        query = select(Case).where(or_(*conditions)).order_by(Case.id).options(selectinload(Case.events))
        return self.session.execute(query).scalars().all()

    def closed_before(self, cutoff: datetime) -> Sequence[Case]:
        """Closed cases not changed since ``cutoff`` whose personal data are still kept."""
        query = (
            select(Case)
            .where(Case.status == "closed", Case.updated_at < cutoff, Case.erased_at.is_(None))
            .order_by(Case.id)
            .options(selectinload(Case.events))
        )
        return self.session.execute(query).scalars().all()

    def by_reference(self, reference: str) -> Case | None:
        query = select(Case).where(Case.reference == reference.strip().upper()).options(selectinload(Case.events))
        return self.session.execute(query).scalar_one_or_none()


class OutboxRepository:
    """Notifications waiting for delivery."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, message: OutboxMessage) -> None:
        """Queue ``message``; on PostgreSQL the workers listening are woken when the transaction commits."""
        self.session.add(message)
        if self.session.get_bind().dialect.name == "postgresql":
            # Sent at commit, never for a rolled-back transaction; repeats in one transaction are folded.
            self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))

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
