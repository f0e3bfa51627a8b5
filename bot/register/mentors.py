"""Mentors' Telegram accounts: one-time invites, linking, and what a linked mentor may see.

An invite code is random (``secrets``), valid for ``invite_days`` and usable
once; only its SHA-256 is stored. ``/start <code>`` in the mentors' bot links
that Telegram account and chat to the mentor (a new link replaces an old
one) and releases the Telegram notifications that were waiting for it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.network.model import Mentor, Network
from bot.register.models import OPEN_STATUSES, Case, MentorInvite, MentorTelegram, OutboxMessage, utc
from bot.register.service import RegisterService

logger = logging.getLogger(__name__)


class InviteError(ValueError):
    """An invite cannot be made; the message says why."""


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


class MentorDirectory(RegisterService):
    """Links between mentors and Telegram accounts, and the cases a mentor may see."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        invite_days: int = 7,
    ):
        super().__init__(sessions, networks, clock)
        self.invite_days = invite_days

    def invite(self, mentor_id: str) -> str:
        """A new one-time code for the mentor."""
        network = self.network
        mentor = network.mentor(mentor_id)
        if mentor is None:
            known = ", ".join([network.coordinator.id, *(m.id for m in network.mentors)])
            raise InviteError(f"unknown mentor '{mentor_id}' (known: {known})")
        if not any(channel.kind == "telegram" for channel in mentor.channels):
            raise InviteError(
                f"mentor '{mentor_id}' has no Telegram channel in the network file: add '- telegram:' under their channels"
            )
        code = secrets.token_urlsafe(18)
        now = self.clock()
        with self.sessions.begin() as session:
            session.add(
                MentorInvite(
                    code_hash=code_hash(code),
                    mentor=mentor.id,
                    created_at=now,
                    expires_at=now + timedelta(days=self.invite_days),
                )
            )
        logger.info("invite made for mentor %s", mentor.id)
        return code

    def redeem(self, code: str, telegram_user_id: int, chat_id: int) -> Mentor | None:
        """Link the Telegram account to the invite's mentor; ``None`` for a used, expired or unknown code."""
        now = self.clock()
        network = self.network
        with self.sessions.begin() as session:
            invite = session.execute(
                select(MentorInvite).where(MentorInvite.code_hash == code_hash(code)).with_for_update()
            ).scalar_one_or_none()
            if invite is None or invite.used_at is not None or utc(invite.expires_at) < now:
                return None
            mentor = network.mentor(invite.mentor)
            if mentor is None:
                return None
            invite.used_at = now
            session.execute(
                delete(MentorTelegram).where(
                    or_(MentorTelegram.mentor == mentor.id, MentorTelegram.telegram_user_id == telegram_user_id)
                )
            )
            session.add(MentorTelegram(mentor=mentor.id, telegram_user_id=telegram_user_id, chat_id=chat_id, linked_at=now))
            # Telegram notifications that waited for this link go out now.
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.recipient == mentor.id,
                    OutboxMessage.channel == "telegram",
                    OutboxMessage.status == "pending",
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
        logger.info("mentor %s linked a Telegram account", mentor.id)
        return mentor

    def mentor_for(self, telegram_user_id: int) -> Mentor | None:
        """The mentor this Telegram account belongs to, if they are still in the network."""
        with self.sessions() as session:
            mentor_id = session.execute(
                select(MentorTelegram.mentor).where(MentorTelegram.telegram_user_id == telegram_user_id)
            ).scalar_one_or_none()
        return self.network.mentor(mentor_id) if mentor_id else None

    def open_cases(self, mentor_id: str) -> Sequence[Case]:
        with self.sessions() as session:
            query = (
                select(Case)
                .where(Case.mentor == mentor_id, Case.status.in_(OPEN_STATUSES))
                .order_by(Case.respond_by.is_(None), Case.respond_by, Case.id)
            )
            return session.execute(query).scalars().all()

    def case_for(self, mentor_id: str, reference: str) -> Case | None:
        """The case if this mentor holds it (the coordinator sees every case)."""
        with self.sessions() as session:
            case = session.execute(
                select(Case).where(Case.reference == reference.strip().upper()).options(selectinload(Case.events))
            ).scalar_one_or_none()
        if case is None or mentor_id not in (case.mentor, self.network.coordinator.id):
            return None
        return case
