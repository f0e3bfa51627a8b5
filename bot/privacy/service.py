"""A person's data on request and over time: erasure, export and retention.

Erasure anonymises a case rather than deleting it: who the customer was goes
(name, organisation, email, phone, their own words, the conversation id, the
customer's notifications, the words of their answer to the follow-up), what the
network needs for its statistics stays (need, municipality, partner, status, times). The mentor of each case is told.
Retention does the same, without telling anyone, for cases closed longer than
the network's retention period, and forgets conversations that old.

Rasa's stored conversations (its SQL tracker store's ``events`` table) are
read and deleted through :class:`ConversationLog`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.network.model import Network
from bot.privacy.masking import Masker
from bot.register.cases import case_details
from bot.register.followups import forget as forget_followup
from bot.register.lifecycle import CUSTOMER, notify
from bot.register.models import Case, FollowUp, wire_time
from bot.register.repositories import CaseRepository, OutboxRepository
from bot.register.service import RegisterService

logger = logging.getLogger(__name__)

# Case event details that carry the customer's own words.
_OWN_WORDS = ("transcript", "need_text")

_METADATA = MetaData()
# Rasa 3.6's SQLTrackerStore table, as far as erasure, export and retention need it.
EVENTS = Table(
    "events",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)


class ConversationLog:
    """Rasa's stored conversations, by conversation (sender) id."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._found = False

    def _exists(self) -> bool:
        """Whether Rasa has made its table yet; asked of the database until it has, then remembered."""
        if not self._found:
            self._found = bool(inspect(self.engine).has_table("events"))
        return self._found

    def mentioning(self, text: str) -> set[str]:
        """Conversations whose stored events contain ``text`` (letter case ignored)."""
        if not text or not self._exists():
            return set()
        needle = json.dumps(text.lower())[1:-1]
        with self.engine.connect() as connection:
            rows = connection.execute(select(EVENTS.c.sender_id).where(func.lower(EVENTS.c.data).contains(needle)).distinct())
            return {row[0] for row in rows}

    def transcript(self, sender_id: str) -> list[dict[str, Any]]:
        """What the customer and the bot said, as stored (masked)."""
        if not self._exists():
            return []
        query = select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)
        lines = []
        with self.engine.connect() as connection:
            for (data,) in connection.execute(query):
                event = json.loads(data)
                if event.get("event") in ("user", "bot") and event.get("text"):
                    at = datetime.fromtimestamp(float(event.get("timestamp") or 0), timezone.utc)
                    lines.append({"at": wire_time(at), "from": event["event"], "text": event["text"]})
        return lines

    def forget(self, sender_ids: Iterable[str]) -> int:
        """Delete these conversations; the number of stored events deleted."""
        ids = sorted(set(sender_ids))
        if not ids or not self._exists():
            return 0
        with self.engine.begin() as connection:
            return int(connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(ids))).rowcount or 0)

    def idle_since(self, cutoff: datetime) -> set[str]:
        """Conversations with nothing stored after ``cutoff``."""
        if not self._exists():
            return set()
        query = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(func.max(EVENTS.c.timestamp) < cutoff.timestamp())
        with self.engine.connect() as connection:
            return {row[0] for row in connection.execute(query)}


@dataclass(frozen=True)
class Erasure:
    """What an erasure or a purge did."""

    references: tuple[str, ...]
    conversations: int
    notifications_removed: int


class PrivacyService(RegisterService):
    """Erases, exports and purges a person's data."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        conversations: ConversationLog,
    ):
        super().__init__(sessions, networks, clock)
        self.conversations = conversations

    def cases_of_conversation(self, conversation_id: str) -> list[str]:
        """References of the cases made in this conversation whose data are still kept."""
        with self.sessions.begin() as session:
            cases = CaseRepository(session).of_person(conversation_id=conversation_id)
            return [str(c.reference) for c in cases if c.erased_at is None]

    def erase(
        self, *, email: str | None = None, conversation_id: str | None = None, actor: str, via: str | None = None
    ) -> Erasure:
        """Anonymise the person's cases (by email, or made in the conversation), tell their mentors, forget conversations."""
        now = self.clock()
        conversations: set[str] = {conversation_id} if conversation_id else set()
        if email:
            conversations |= self.conversations.mentioning(email.strip())
        removed = 0
        references = []
        with self.sessions.begin() as session:
            for case in CaseRepository(session).of_person(email=email, conversation_id=conversation_id):
                if case.conversation_id:
                    conversations.add(case.conversation_id)
                removed += self._anonymise(session, case, now, actor=actor, reason="request", via=via)
                mentor = self.network.mentor(case.mentor) if case.mentor else None
                notify(session, case, mentor, "case_erased", now, occasion=len(case.events))
                references.append(str(case.reference))
        forgotten = self.conversations.forget(conversations)
        logger.info(
            "erasure by %s: %d case(s) anonymised, %d stored conversation event(s) deleted", actor, len(references), forgotten
        )
        return Erasure(tuple(references), forgotten, removed)

    def export(self, email: str) -> dict[str, Any]:
        """Everything kept about the person with this email address, as one JSON-ready object."""
        with self.sessions.begin() as session:
            cases = CaseRepository(session).of_person(email=email)
            outbox = OutboxRepository(session).for_cases([c.id for c in cases])
            asked = {
                f.case_id: f
                for f in session.execute(select(FollowUp).where(FollowUp.case_id.in_([c.id for c in cases]))).scalars()
            }
            exported = [{**case_details(c, outbox.get(c.id, [])), "followup": _followup(asked.get(c.id))} for c in cases]
            conversations = {str(c.conversation_id) for c in cases if c.conversation_id}
        conversations |= self.conversations.mentioning(email.strip())
        return {
            "email": email.strip(),
            "exported_at": wire_time(self.clock()),
            "cases": exported,
            "conversations": [{"id": cid, "messages": self.conversations.transcript(cid)} for cid in sorted(conversations)],
        }

    def purge(self) -> Erasure:
        """Anonymise cases closed longer than the retention period ago and forget conversations idle that long."""
        now = self.clock()
        cutoff = now - timedelta(days=self.network.service.retention_days)
        removed = 0
        references = []
        with self.sessions.begin() as session:
            for case in CaseRepository(session).closed_before(cutoff):
                removed += self._anonymise(session, case, now, actor="retention", reason="retention")
                references.append(str(case.reference))
        forgotten = self.conversations.forget(self.conversations.idle_since(cutoff))
        logger.info(
            "retention: %d closed case(s) anonymised, %d stored conversation event(s) deleted", len(references), forgotten
        )
        return Erasure(tuple(references), forgotten, removed)

    @staticmethod
    def _anonymise(session: Session, case: Case, now: datetime, *, actor: str, reason: str, via: str | None = None) -> int:
        """Remove who the customer was from the case, its events and its notifications; the rows removed."""
        masker = Masker(
            {
                "contact_name": [case.contact_name or ""],
                "organization": [case.organization or ""],
                "email": [case.email or ""],
                "phone": [case.phone or ""],
            }
        )
        for event in case.events:
            detail = {key: value for key, value in (event.detail or {}).items() if key not in _OWN_WORDS}
            event.detail = masker.value(detail)
        case.contact_name = case.organization = case.email = case.phone = None
        case.need_text = None
        case.conversation_id = None
        case.erased_at = now
        case.updated_at = now
        forget_followup(session, case)  # the answer's words, the link sent to them, and asking them at all
        removed = 0
        for row in OutboxRepository(session).for_case(case.id):
            if row.recipient == CUSTOMER:
                session.delete(row)
                removed += 1
        CaseRepository(session).record(case, "erased", actor, now, reason=reason, **({"via": via} if via else {}))
        return removed


def _followup(followup: FollowUp | None) -> dict[str, Any] | None:
    """What the customer was asked afterwards and what they said (their own words included), for the export."""
    if followup is None:
        return None
    return {
        "status": followup.status,
        "asked_at": wire_time(followup.sent_at),
        "answered_at": wire_time(followup.answered_at),
        "answer": followup.answer,
        "words": followup.words,
    }
