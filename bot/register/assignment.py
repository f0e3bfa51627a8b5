"""Giving a case to a mentor and telling people: what the register's services share within their transactions.

Each function works in the caller's session (its unit of work) and never commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.language import DEFAULT_LANGUAGE, LANGUAGES
from bot.network.model import Mentor, Network
from bot.network.routing import Route, RoutingRequest, route
from bot.register.availability import effective_network
from bot.register.models import Case, CaseHolder, OutboxMessage, wire_time
from bot.register.repositories import CaseRepository, OutboxRepository
from bot.register.service import TransitionError
from bot.register.servicetime import deadline

SYSTEM = "frontdoor"
# Who the event log names when the customer does something.
CUSTOMER = "customer"


def routing_request(case: Case, exclude: frozenset[str] = frozenset(), partner: str | None = None) -> RoutingRequest:
    """What routing needs to know of a stored case."""
    return RoutingRequest(
        need=case.need,
        municipality=case.municipality,
        place_named=case.place_named,
        sector=case.sector,
        language=case.language,
        exclude=exclude,
        partner=partner,
    )


def assign(session: Session, network: Network, case: Case, decision: Route, *, status: str, now: datetime) -> None:
    """Give the case to the routed mentor: status, deadline, event and the mentor's notification."""
    cases = CaseRepository(session)
    case.partner = decision.partner
    case.mentor = decision.mentor
    case.area = decision.area
    case.status = status
    case.routing_reason = decision.reason
    case.assigned_at = now
    case.respond_by = deadline(now, network.service)
    case.updated_at = now
    cases.record(
        case,
        "assigned",
        SYSTEM,
        now,
        status=status,
        partner=decision.partner,
        mentor=decision.mentor,
        reason=decision.reason,
        to_coordinator=decision.to_coordinator,
        respond_by=wire_time(case.respond_by),
    )
    session.flush()
    if not any(holder.mentor == decision.mentor for holder in case.holders):
        session.add(CaseHolder(case=case, mentor=decision.mentor, since=now))
    mentor = network.mentor(decision.mentor)
    if mentor is None:  # the network guarantees the coordinator exists
        raise TransitionError(f"mentor '{decision.mentor}' is not in the network")
    assignments = sum(1 for event in case.events if event.kind == "assigned")
    notify(session, case, mentor, "case_assigned", now, occasion=assignments)


def reroute(
    session: Session,
    network: Network,
    case: Case,
    *,
    status: str,
    now: datetime,
    exclude: set[str | None],
    partner: str | None = None,
) -> None:
    """Route the case again, never to ``exclude`` nor to anyone who declined it before, and assign it."""
    cases = CaseRepository(session)
    skipped = cases.declined_by(case) | {m for m in exclude if m}
    network = effective_network(session, network, today_in(now, network))
    decision = route(network, routing_request(case, skipped, partner), cases.workload(now), today_in(now, network))
    assign(session, network, case, decision, status=status, now=now)


def queue(
    session: Session,
    case_id: int,
    *,
    kind: str,
    recipient: str,
    channel: str,
    address: str | None,
    key: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one notification to the outbox, in the caller's transaction.

    Takes the case's id, not the case, so the outbox worker can queue an alert
    about a failed row without loading its case; ``detail`` is what the
    notification needs beyond the case (e.g. which delivery an alert is about).
    """
    OutboxRepository(session).add(
        OutboxMessage(
            idempotency_key=key,
            case_id=case_id,
            kind=kind,
            recipient=recipient,
            channel=channel,
            address=address,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            detail=detail,
        )
    )


def notify(session: Session, case: Case, mentor: Mentor | None, kind: str, now: datetime, *, occasion: int = 0) -> None:
    """Queue a notification of ``kind`` to each of the mentor's channels, in the caller's transaction.

    The idempotency key names the case, the kind, the occasion (the n-th
    assignment, say), the mentor and the channel: a retried transaction
    cannot queue the same notification twice.
    """
    if mentor is None:
        return
    for i, channel in enumerate(mentor.channels):
        key = f"{case.reference}:{kind}:{occasion}:{mentor.id}:{channel.kind}:{i}"
        queue(session, case.id, kind=kind, recipient=mentor.id, channel=channel.kind, address=channel.address, key=key, now=now)


def customer_channel(case: Case) -> tuple[str, str] | None:
    """Where the customer hears from the network: the Telegram chat they wrote from, else their email; ``None``: nowhere."""
    if case.channel == "telegram" and case.conversation_id:
        return "telegram_customer", case.conversation_id
    if case.email:
        return "email", case.email
    return None


def case_language(case: Case) -> str:
    """The language the customer is written to in: the case's, if the front door speaks it."""
    return case.language if case.language in LANGUAGES else DEFAULT_LANGUAGE


def notify_customer(session: Session, case: Case, kind: str, now: datetime, *, occasion: int = 0) -> None:
    """Queue news for the customer in their own channel: Telegram directly, otherwise email if they gave one."""
    where = customer_channel(case)
    if where is None:
        return
    channel, address = where
    key = f"{case.reference}:{kind}:{occasion}:{CUSTOMER}:{channel}"
    queue(session, case.id, kind=kind, recipient=CUSTOMER, channel=channel, address=address, key=key, now=now)


def said(**values: str | None) -> dict[str, str]:
    """An event's optional words (a note, a reason, the door it came through), leaving out those not given."""
    return {key: value for key, value in values.items() if value}


def today_in(now: datetime, network: Network) -> date:
    """The network's own calendar day: away periods are in local dates."""
    return now.astimezone(ZoneInfo(network.service.timezone)).date()
