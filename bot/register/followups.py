"""Asking the customer, once, whether they got help: the follow-up that closes the loop.

When a mentor marks the contact, the follow-up is planned for the network file's
``service.followup_working_days`` working days later; a close as ``served`` or
``referred_outside`` brings it forward to the close, one as ``not_reachable`` or
``no_need`` cancels it (:func:`plan`, called in the lifecycle's transaction). The due
round (:meth:`FollowUps.send_due`, a scheduled job that reads everything from the
database) asks each due customer once, in their channel and language: Telegram with
buttons, email with links to a page whose button records the answer. A customer with
no channel, without a consent whose privacy notice says they may be asked, or who
asked not to be asked again is recorded as not asked, with the reason.

The answer (yes, partly, no) is recorded once (a conditional UPDATE claims the row, so two
presses at once record one answer, on SQLite too), with the customer's optional words on
the follow-up; the case's event says only that they answered and what. A "no" goes to
the coordinator, whose notice shows the words as they are at delivery. Erasure removes
the words (:func:`forget`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.network.model import CaseOutcome, Network, Service
from bot.register.assignment import CUSTOMER, SYSTEM, case_language, customer_channel, notify, queue
from bot.register.models import Case, FollowUp, FollowUpOptOut, OutboxMessage, Word, utc
from bot.register.repositories import CaseRepository
from bot.register.service import RegisterService
from bot.register.servicetime import is_working_day

logger = logging.getLogger(__name__)

# The first privacy notice that tells the customer they may be asked once whether they got help.
FOLLOWUP_NOTICE_SINCE = date(2026, 12, 5)
# Telegram buttons carry ``fu:<follow-up id>:<answer>`` (well within Telegram's 64 bytes).
CALLBACK_PREFIX = "fu"
# The customer's own words are kept up to this long.
WORDS_LIMIT = 2000
# How many due follow-ups one transaction of the round takes.
BATCH = 200


class Answer(Word):
    """The customer's answers, and "stop" (don't ask again): the values are the buttons', links' and stored words."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    STOP = "stop"

    @classmethod
    def of(cls, value: object) -> Answer | None:
        """The answer ``value`` names, or ``None`` for anything else."""
        return next((answer for answer in cls if answer.value == value), None)


# The answers to the question (the page's radio buttons, the first row of Telegram buttons), and "stop".
ANSWERS = (Answer.YES, Answer.PARTLY, Answer.NO)
STOP = Answer.STOP
# Where the email's outbox row keeps the raw token of its links (see FollowUps._ask).
TOKEN_DETAIL = "token"


class FollowUpStatus(Word):
    """Where a follow-up is: waiting, asked, answered, refused ("don't ask again"), not asked, or called off."""

    PLANNED = "planned"
    SENT = "sent"
    ANSWERED = "answered"
    REFUSED = "refused"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Skipped(Word):
    """Why a customer was not asked."""

    NO_CHANNEL = "no_channel"  # a phone number only
    CONSENT = "consent"  # their consent was given under a privacy notice that does not say so
    OPTED_OUT = "opted_out"  # they asked not to be asked again
    ERASED = "erased"  # their data were erased before it was due


# The follow-ups that reached the customer (the report's "asked").
ASKED_STATUSES = (FollowUpStatus.SENT.value, FollowUpStatus.ANSWERED.value, FollowUpStatus.REFUSED.value)
# Closing with these brings the follow-up forward to the close; with these, it is called off.
ASK_AT_CLOSE = (CaseOutcome.SERVED.value, CaseOutcome.REFERRED_OUTSIDE.value)
NOT_ASKED_AFTER = (CaseOutcome.NOT_REACHABLE.value, CaseOutcome.NO_NEED.value)


def working_days_later(start: datetime, days: int, service: Service) -> datetime:
    """The ``days``-th working day after ``start`` (weekdays that are not Finnish public holidays), within
    the network's working hours: at the same time of day, or when the day starts if that is outside them."""
    zone = ZoneInfo(service.timezone)
    local = utc(start).astimezone(zone)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_working_day(day)
    at = local.time().replace(tzinfo=None)
    if not service.day_starts <= at < service.day_ends:
        at = service.day_starts
    return datetime.combine(day, at, zone).astimezone(timezone.utc)


def covered_by_consent(case: Case) -> bool:
    """Whether the customer consented under a privacy notice that says they may be asked (a dated version)."""
    try:
        version = date.fromisoformat(case.privacy_notice_version or "")
    except ValueError:
        return False
    return case.consent and version >= FOLLOWUP_NOTICE_SINCE


def address_hash(channel: str, address: str) -> str:
    """What an opt-out keeps of an address: a hash, never the address."""
    kind = "telegram" if channel.startswith("telegram") else "email"
    return hashlib.sha256(f"{kind}:{address.strip().lower()}".encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def callback_data(followup_id: int, answer: Answer) -> str:
    return f"{CALLBACK_PREFIX}:{followup_id}:{answer}"


def parse_callback(data: str | None) -> tuple[int, Answer] | None:
    """(follow-up id, answer) of a follow-up button's data; ``None`` for any other button."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX or not parts[1].isdigit():
        return None
    answer = Answer.of(parts[2])
    return (int(parts[1]), answer) if answer is not None else None


def _of_case(session: Session, case: Case) -> FollowUp | None:
    return session.execute(select(FollowUp).where(FollowUp.case_id == case.id)).scalar_one_or_none()


def _claim(session: Session, followup: FollowUp, was: FollowUpStatus, **values: Any) -> bool:
    """Move the follow-up on from ``was`` with one conditional UPDATE; whether this transaction did. Of two at once
    (two rounds, two presses) only one changes the row: a SELECT … FOR UPDATE would not hold on SQLite."""
    query = update(FollowUp).where(FollowUp.id == followup.id, FollowUp.status == was.value).values(**values)
    claimed = cast(CursorResult, session.execute(query.execution_options(synchronize_session=False)))
    session.expire(followup)  # read again as the database has it now
    return claimed.rowcount == 1


# -- in the lifecycle's and the renderer's transactions ------------------------------------------------------
def plan(session: Session, network: Network, case: Case, now: datetime) -> None:
    """Plan, bring forward or call off the case's follow-up after a contact, a close, a corrected outcome or the
    customer's cancellation (the caller's transaction). ``served`` or ``referred_outside`` asks now (a cancelled
    follow-up is planned again); ``not_reachable`` or ``no_need`` calls a planned one off. One sent, answered or
    skipped is never touched."""
    followup = _of_case(session, case)
    if case.outcome is None:  # the contact was marked
        due = working_days_later(now, network.service.followup_working_days, network.service)
        if followup is None:
            session.add(FollowUp(case_id=case.id, status=FollowUpStatus.PLANNED.value, due_at=due))
        elif followup.status == FollowUpStatus.PLANNED:
            followup.due_at = due
        return
    if case.outcome in ASK_AT_CLOSE:
        if followup is None:
            session.add(FollowUp(case_id=case.id, status=FollowUpStatus.PLANNED.value, due_at=now))
        elif followup.status == FollowUpStatus.PLANNED and utc(followup.due_at) > now:
            followup.due_at = now
        elif followup.status == FollowUpStatus.CANCELLED:  # e.g. not_reachable corrected to served
            followup.status = FollowUpStatus.PLANNED.value
            followup.due_at = now
    elif case.outcome in NOT_ASKED_AFTER and followup is not None and followup.status == FollowUpStatus.PLANNED:
        followup.status = FollowUpStatus.CANCELLED.value


def forget(session: Session, case: Case) -> None:
    """Erasure: the customer's words go, a link sent to them stops working (and its token goes from the
    email's outbox row), and they are no longer asked."""
    followup = _of_case(session, case)
    if followup is None:
        return
    followup.words = None
    followup.token_hash = None
    tokens = update(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.kind == "followup_asked")
    session.execute(tokens.values(detail=None).execution_options(synchronize_session=False))
    if followup.status == FollowUpStatus.PLANNED:
        followup.status = FollowUpStatus.SKIPPED.value
        followup.skipped = Skipped.ERASED.value


def link_token(session: Session, case: Case, detail: dict[str, Any] | None) -> str | None:
    """The token of the email's links, from its outbox row's ``detail``: the same at every delivery attempt,
    so a link already delivered keeps working. ``None`` once answered, erased, or not this follow-up's."""
    token = (detail or {}).get(TOKEN_DETAIL)
    followup = _of_case(session, case)
    if not isinstance(token, str) or followup is None or followup.status != FollowUpStatus.SENT:
        return None
    return token if followup.token_hash == token_hash(token) else None


def of_case(session: Session, case: Case) -> FollowUp | None:
    """The case's follow-up, for a notice rendered at delivery (the customer's words as they are now)."""
    return _of_case(session, case)


@dataclass(frozen=True)
class Question:
    """What the answer page shows: the question in the customer's language, or what they answered."""

    language: str
    network: str
    answer: Answer | None  # None: not answered yet


@dataclass(frozen=True)
class Answered:
    """What came of a press: ``recorded``, ``already`` (answered before: nothing changed) or ``unknown``."""

    result: str
    answer: Answer | None = None
    language: str = "fi"


class FollowUps(RegisterService):
    """The due round and the customer's answers."""

    def send_due(self) -> int:
        """Ask every customer whose follow-up is due (once: the row says it was asked); the number handled."""
        done = 0
        while True:
            now = self.clock()
            with self.sessions.begin() as session:
                due = (
                    session.execute(
                        select(FollowUp)
                        .where(FollowUp.status == FollowUpStatus.PLANNED.value, FollowUp.due_at <= now)
                        .order_by(FollowUp.due_at, FollowUp.id)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True)
                    )
                    .scalars()
                    .all()
                )
                for followup in due:
                    case = session.get(Case, followup.case_id)
                    assert case is not None  # the follow-up goes with its case (ON DELETE CASCADE)
                    self._ask(session, followup, case, now)
            done += len(due)
            if len(due) < BATCH:
                break
        if done:
            logger.info("follow-up round: %d due follow-up(s) handled", done)
        return done

    def _ask(self, session: Session, followup: FollowUp, case: Case, now: datetime) -> None:
        """Ask, or record why not: once, even with two rounds at once (only the one whose conditional UPDATE
        moves the row on from ``planned`` records the event and queues the question)."""
        cases = CaseRepository(session)
        if case.outcome in NOT_ASKED_AFTER:  # closed or corrected so since it was planned
            _claim(session, followup, FollowUpStatus.PLANNED, status=FollowUpStatus.CANCELLED.value)
            return
        where = customer_channel(case)
        reason = None
        if case.erased_at is not None:
            reason = Skipped.ERASED
        elif not covered_by_consent(case):
            reason = Skipped.CONSENT
        elif where is None:
            reason = Skipped.NO_CHANNEL
        elif self._opted_out(session, *where):
            reason = Skipped.OPTED_OUT
        if reason is not None or where is None:
            skipped = (reason or Skipped.NO_CHANNEL).value
            if _claim(session, followup, FollowUpStatus.PLANNED, status=FollowUpStatus.SKIPPED.value, skipped=skipped):
                cases.record(case, "followup_skipped", SYSTEM, now, skipped=skipped)
            return
        channel, address = where
        # Every delivery attempt renders the email again and must carry the same link, so the raw token is kept
        # in the email's outbox row, and only there (the follow-up keeps its hash): the outbox is the server's own,
        # not exported, and the token is of no use once answered or erased (erasure also removes it from the row).
        token = secrets.token_urlsafe(32) if channel == "email" else None
        sent = {"status": FollowUpStatus.SENT.value, "channel": channel, "sent_at": now}
        if not _claim(session, followup, FollowUpStatus.PLANNED, **sent, token_hash=token and token_hash(token)):
            return
        key = f"{case.reference}:followup_asked:0:{CUSTOMER}:{channel}"
        queue(
            session,
            case.id,
            kind="followup_asked",
            recipient=CUSTOMER,
            channel=channel,
            address=address,
            key=key,
            now=now,
            detail={TOKEN_DETAIL: token} if token else None,
        )
        cases.record(case, "followup_asked", SYSTEM, now, channel=channel)

    @staticmethod
    def _opted_out(session: Session, channel: str, address: str) -> bool:
        query = select(FollowUpOptOut.id).where(FollowUpOptOut.address_hash == address_hash(channel, address))
        return session.execute(query).first() is not None

    def question(self, token: str) -> Question | None:
        """The question a link asks (reading it changes nothing); ``None`` for a link that is not valid."""
        with self.sessions.begin() as session:
            followup = self._by_token(session, token)
            if followup is None:
                return None
            case = session.get(Case, followup.case_id)
            assert case is not None
            return Question(case_language(case), self.network.name, _said(followup))

    def answer(self, token: str, answer: Answer | str, words: str | None = None) -> Answered:
        """The answer from the page an email linked to (its button pressed): recorded once."""
        chosen = Answer.of(answer)
        with self.sessions.begin() as session:
            followup = self._by_token(session, token)
            if followup is None or chosen is None:
                return Answered("unknown")
            return self._record(session, followup, chosen, words)

    def answer_in_chat(self, followup_id: int, chat_id: int | str, answer: Answer | str) -> Answered:
        """A Telegram button pressed: recorded once, and only from the chat that was asked."""
        chosen = Answer.of(answer)
        with self.sessions.begin() as session:
            followup = session.get(FollowUp, followup_id)
            case = session.get(Case, followup.case_id) if followup is not None else None
            if followup is None or case is None or followup.channel != "telegram_customer" or chosen is None:
                return Answered("unknown")
            if case.conversation_id != str(chat_id):
                return Answered("unknown", language=case_language(case))
            return self._record(session, followup, chosen, None)

    @staticmethod
    def _by_token(session: Session, token: str) -> FollowUp | None:
        if not token or len(token) > 100:
            return None
        query = select(FollowUp).where(FollowUp.token_hash == token_hash(token))
        return session.execute(query).scalar_one_or_none()

    def _record(self, session: Session, followup: FollowUp, answer: Answer, words: str | None) -> Answered:
        """Record the answer if nobody has: one conditional UPDATE claims the row from ``sent``, and only the
        press that made it records the event (and a "no"'s notice to the coordinator)."""
        case = session.get(Case, followup.case_id)
        assert case is not None
        language = case_language(case)
        now = self.clock()
        cases = CaseRepository(session)
        if answer == Answer.STOP:
            if not _claim(session, followup, FollowUpStatus.SENT, status=FollowUpStatus.REFUSED.value, answered_at=now):
                return Answered("already", _said(followup), language)
            where = customer_channel(case)
            if where is not None and not self._opted_out(session, *where):
                session.add(FollowUpOptOut(address_hash=address_hash(*where), created_at=now))
            cases.record(case, "followup_refused", CUSTOMER, now)
            logger.info("case %s: the customer asked not to be asked again", case.reference)
            return Answered("recorded", Answer.STOP, language)
        kept = (words or "").strip()[:WORDS_LIMIT] or None
        answered = {"status": FollowUpStatus.ANSWERED.value, "answer": answer.value, "answered_at": now, "words": kept}
        if not _claim(session, followup, FollowUpStatus.SENT, **answered):
            return Answered("already", _said(followup), language)
        cases.record(case, "followup_answered", CUSTOMER, now, answer=answer.value)
        if answer == Answer.NO:
            session.flush()
            notify(session, case, self.network.coordinator, "followup_negative", now)
        logger.info("case %s: the customer answered the follow-up: %s", case.reference, answer)
        return Answered("recorded", answer, language)


def _said(followup: FollowUp) -> Answer | None:
    """What the customer said: their answer, "stop", or ``None`` (not answered)."""
    if followup.status == FollowUpStatus.REFUSED:
        return Answer.STOP
    return Answer.of(followup.answer) if followup.answer else None
