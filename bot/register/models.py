"""Tables of the case register: cases, their event log and the notification outbox.

The schema itself is owned by the Alembic migrations in ``bot/register/migrations``;
these classes must match them (a test compares the two).

Typed for mypy by sqlalchemy2-stubs and its plugin (pyproject's [tool.mypy]): a NOT NULL
column says its type (``Mapped[str]``); a nullable one is left to the plugin, which infers
``Mapped[str | None]`` from ``Column(String)``: SQLAlchemy 1.4's plugin rejects an explicit
``Mapped[X | None]`` under today's mypy (it checks it against ``X``). JSON columns say theirs
(the plugin can infer only ``Any``). The annotations change nothing at run time.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship
from sqlalchemy.sql.schema import Column

from bot.network.model import CaseOutcome

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING))


class Word(str, Enum):
    """A word of the register's vocabulary: equal to its value, and written as it (``str()``, f-strings, JSON)."""

    def __str__(self) -> str:
        return str(self.value)


class CaseStatus(Word):
    """Where a case is; the values are what the register stores and ``cases list --json`` shows."""

    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    FORWARDED = "forwarded"
    ESCALATED = "escalated"


class Verb(Word):
    """What a mentor does to a case: the CLI's subcommands, the bot's buttons, the lifecycle's acts."""

    ACCEPT = "accept"
    DECLINE = "decline"
    FORWARD = "forward"
    CONTACTED = "contacted"
    CLOSE = "close"


class Via(Word):
    """The door a person's act on a case came through, recorded with its event (``via``)."""

    DESK = "desk"
    TELEGRAM = "telegram"
    CLI = "cli"


class OutboxStatus(Word):
    """An outbox row: waiting (pending), claimed by a worker (sending), done (delivered), or given up
    after its retries or a permanent error (dead)."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"


CASE_STATUSES = tuple(status.value for status in CaseStatus)
# Waiting for a mentor to accept; the status names how the case reached them:
# routed first, handed on after a decline, forwarded by a mentor, or escalated
# when the previous mentor did not accept in time.
AWAITING_STATUSES = tuple(s.value for s in (CaseStatus.ASSIGNED, CaseStatus.DECLINED, CaseStatus.FORWARDED, CaseStatus.ESCALATED))
OPEN_STATUSES = (CaseStatus.NEW.value, *AWAITING_STATUSES, CaseStatus.ACCEPTED.value, CaseStatus.CONTACTED.value)
OUTBOX_STATUSES = tuple(status.value for status in OutboxStatus)
# What came of a case: defined with the network's words (the compensation file names them too).
OUTCOMES = tuple(outcome.value for outcome in CaseOutcome)
VERBS = tuple(verb.value for verb in Verb)


class Case(Base):
    """One customer's request to the network."""

    __tablename__ = "cases"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference = Column(String(20), unique=True, nullable=True)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    conversation_id = Column(String(200), nullable=True, index=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    language: Mapped[str] = Column(String(5), nullable=False)
    customer_type: Mapped[str] = Column(String(20), nullable=False)
    need: Mapped[str] = Column(String(40), nullable=False, index=True)
    need_text = Column(Text, nullable=True)
    sector = Column(String(40), nullable=True)
    municipality = Column(String(80), nullable=True)
    place_named = Column(String(80), nullable=True)
    area = Column(String(80), nullable=True)
    partner = Column(String(80), nullable=True)
    mentor = Column(String(80), nullable=True, index=True)
    status: Mapped[str] = Column(String(20), nullable=False, index=True)
    routing_reason = Column(Text, nullable=True)
    assigned_at = Column(DateTime(timezone=True), nullable=True, index=True)
    respond_by = Column(DateTime(timezone=True), nullable=True, index=True)
    consent: Mapped[bool] = Column(Boolean, nullable=False)
    consent_at = Column(DateTime(timezone=True), nullable=True)
    privacy_notice_version = Column(String(40), nullable=True)
    contact_name = Column(String(200), nullable=True)
    organization = Column(String(200), nullable=True)
    email = Column(String(320), nullable=True, index=True)
    phone = Column(String(40), nullable=True)
    # When its personal data were erased (on request) or purged (retention); the rest stays for statistics.
    erased_at = Column(DateTime(timezone=True), nullable=True)
    # What came of it (CaseOutcome), when, and the partners that delivered a "served" case.
    outcome = Column(String(30), nullable=True, index=True)
    outcome_at = Column(DateTime(timezone=True), nullable=True)
    delivered_by: Mapped[list[str] | None] = Column(JSON, nullable=True)
    # The partner whose own site or Telegram link the customer came in through, if the network file vouches for it.
    entry_partner = Column(String(80), nullable=True)

    events: Mapped[list[CaseEvent]] = relationship(
        "CaseEvent", back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    holders: Mapped[list[CaseHolder]] = relationship(
        "CaseHolder", back_populates="case", order_by="CaseHolder.id", cascade="all, delete-orphan"
    )


class CaseEvent(Base):
    """Something that happened to a case: who, what, when."""

    __tablename__ = "case_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    kind: Mapped[str] = Column(String(40), nullable=False)
    actor: Mapped[str] = Column(String(80), nullable=False)
    detail: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)

    case: Mapped[Case] = relationship("Case", back_populates="events")


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = Column(String(120), nullable=False)
    case_id: Mapped[int] = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = Column(String(40), nullable=False)
    recipient: Mapped[str] = Column(String(80), nullable=False)
    channel: Mapped[str] = Column(String(20), nullable=False)
    address = Column(String(500), nullable=True)
    status: Mapped[str] = Column(String(20), nullable=False, index=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    next_attempt_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, index=True)
    delivered_at = Column(DateTime(timezone=True), nullable=True)
    last_error = Column(Text, nullable=True)
    # The worker delivering it now; its claim holds until next_attempt_at.
    claimed_by = Column(String(80), nullable=True)
    # What a notification needs beyond its case (e.g. which delivery an alert is about).
    detail: Mapped[dict[str, Any] | None] = Column(JSON, nullable=True)


class MentorInvite(Base):
    """A one-time code that links a Telegram account to a mentor; only its hash is kept."""

    __tablename__ = "mentor_invites"
    __table_args__ = (UniqueConstraint("code_hash"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    code_hash: Mapped[str] = Column(String(64), nullable=False)
    mentor: Mapped[str] = Column(String(80), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)


class MentorTelegram(Base):
    """Which Telegram account and chat belong to a mentor."""

    __tablename__ = "mentor_telegram"
    __table_args__ = (UniqueConstraint("mentor"), UniqueConstraint("telegram_user_id"))

    id: Mapped[int] = Column(Integer, primary_key=True)
    mentor: Mapped[str] = Column(String(80), nullable=False)
    telegram_user_id: Mapped[int] = Column(BigInteger, nullable=False)
    chat_id: Mapped[int] = Column(BigInteger, nullable=False)
    linked_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)


class CaseHolder(Base):
    """A mentor who holds or held a case: what the desk lets them see."""

    __tablename__ = "case_holders"
    __table_args__ = (UniqueConstraint("case_id", "mentor"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    mentor: Mapped[str] = Column(String(80), nullable=False, index=True)
    since: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)

    case: Mapped[Case] = relationship("Case", back_populates="holders")


class MentorAvailability(Base):
    """A mentor's own capacity, set on the desk on top of the network file's."""

    __tablename__ = "mentor_availability"
    __table_args__ = (UniqueConstraint("mentor"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    mentor: Mapped[str] = Column(String(80), nullable=False)
    capacity = Column(Integer, nullable=True)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = Column(String(80), nullable=False)


class MentorAway(Base):
    """An away period a mentor set on the desk (local dates, both days included)."""

    __tablename__ = "mentor_away"

    id: Mapped[int] = Column(Integer, primary_key=True)
    mentor: Mapped[str] = Column(String(80), nullable=False, index=True)
    starts: Mapped[date] = Column(Date, nullable=False)
    ends: Mapped[date] = Column(Date, nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = Column(String(80), nullable=False)


class DeskLink(Base):
    """A one-time sign-in link to the desk; only its token's hash is kept."""

    __tablename__ = "desk_links"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    token_hash: Mapped[str] = Column(String(64), nullable=False)
    person: Mapped[str] = Column(String(80), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)
    # Where the person goes once signed in (a desk path), e.g. the case an email linked to.
    next_path = Column(String(300), nullable=True)


class DeskSession(Base):
    """A signed-in person on the desk; the browser holds the id, the register only its hash."""

    __tablename__ = "desk_sessions"
    __table_args__ = (UniqueConstraint("session_hash"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    session_hash: Mapped[str] = Column(String(64), nullable=False)
    person: Mapped[str] = Column(String(80), nullable=False, index=True)
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    language: Mapped[str] = Column(String(5), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    seen_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    ended_at = Column(DateTime(timezone=True), nullable=True)


class SharePeriod(Base):
    """A period of the partners' shares the coordinator closed: its figures are kept as they were then.

    Corrections made later count in the next open period; a closed one is never rewritten.
    """

    __tablename__ = "share_periods"
    __table_args__ = (UniqueConstraint("starts"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    starts: Mapped[date] = Column(Date, nullable=False)
    ends: Mapped[date] = Column(Date, nullable=False)
    closed_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    closed_by: Mapped[str] = Column(String(80), nullable=False)
    # The shares as they stood at closing: rows of partner, role, cases and points.
    figures: Mapped[list[dict[str, Any]]] = Column(JSON, nullable=False)


class FollowUp(Base):
    """Asking the customer, once, whether they got help: when it is due, how it went out, what they said."""

    __tablename__ = "followups"
    __table_args__ = (UniqueConstraint("case_id"), UniqueConstraint("token_hash"))

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, index=True)
    due_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, index=True)
    channel = Column(String(20), nullable=True)
    # The email's answer links carry a token; only its hash is kept.
    token_hash = Column(String(64), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    answered_at = Column(DateTime(timezone=True), nullable=True)
    answer = Column(String(20), nullable=True)
    words = Column(Text, nullable=True)
    # Why it was not asked (no channel, no consent that covers it, asked not to be asked).
    skipped = Column(String(40), nullable=True)


class FollowUpOptOut(Base):
    """A customer who asked not to be asked again: the hash of their address (email or Telegram chat)."""

    __tablename__ = "followup_optouts"
    __table_args__ = (UniqueConstraint("address_hash"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    address_hash: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)


# The desk's inbox: a mentor's cases by status, and the coordinator's list newest first.
Index("ix_cases_mentor_status", Case.mentor, Case.status)
Index("ix_cases_created_at", Case.created_at)


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the register's times are all UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def wire_time(value: datetime | None) -> str | None:
    """The one way a time leaves the front door (JSON, webhooks, exports): ISO 8601 in UTC with ``Z``."""
    if value is None:
        return None
    return utc(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
