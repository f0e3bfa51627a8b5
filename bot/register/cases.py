"""Creating and reading cases: the one place where a conversation becomes a case.

A case, its events and the notification for its mentor are written in one
transaction, so a crash can lose all of them but never the notification alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.network.model import Network
from bot.network.routing import Route, RoutingRequest, route
from bot.paths.drafting import PathService
from bot.paths.steps import PathStep
from bot.register.availability import effective_network
from bot.register.lifecycle import SYSTEM, assign, notify, today_in
from bot.register.models import Case, OutboxMessage, utc, wire_time
from bot.register.repositories import CaseRepository, OutboxRepository
from bot.register.service import RegisterService
from bot.register.servicetime import deadline

logger = logging.getLogger(__name__)

CHANNELS = ("rest", "web", "telegram")


class CaseError(ValueError):
    """A case cannot be created from what was given."""


@dataclass(frozen=True)
class Intake:
    """Everything the dialogue collected, checked and normalised."""

    need: str
    customer_type: str
    consent: bool
    channel: str
    language: str
    contact_name: str
    email: str | None
    phone: str | None
    municipality: str | None
    place_named: str | None = None
    organization: str | None = None
    sector: str | None = None
    need_text: str | None = None
    conversation_id: str | None = None
    privacy_notice_version: str | None = None
    # The customer asked for a person: the mentor sees it, with the conversation so far.
    human_requested: bool = False
    transcript: tuple[str, ...] = ()
    # The offerings of the competence path the customer was shown in the dialogue, if any: the case keeps that path.
    path_shown: tuple[str, ...] = ()
    # The partner the customer came in through (its own site's widget or Telegram link), vouched for; else None.
    entry_partner: str | None = None


@dataclass(frozen=True)
class HumanContact:
    """Who will contact the customer, and by when (local time of the network)."""

    reference: str
    mentor_name: str
    respond_by: datetime


@dataclass(frozen=True)
class Receipt:
    """What the customer is told after the case is made."""

    reference: str
    partner_name: str | None
    mentor_name: str
    to_coordinator: bool
    # The same person asked for the same need a few days ago: this request
    # was added to that case instead of making a second one.
    linked: bool = False
    # The competence path drafted for the case (bot.paths.drafting.PathService.draft), stored with it.
    path: tuple[PathStep, ...] = ()


REFERENCE_PATTERN = re.compile(r"\bFD-(\d{4})-(\d{5})\b", re.IGNORECASE)


def find_reference(text: str) -> str | None:
    """A case reference written in a message ("fd-2026-00042" counts too)."""
    match = REFERENCE_PATTERN.search(text)
    return f"FD-{match.group(1)}-{match.group(2)}" if match else None


def reference_for(case_id: int, created_at: datetime) -> str:
    """``FD-<year>-<number>``: unique because the number is the case's id."""
    return f"FD-{created_at.year}-{case_id:05d}"


def _notifications(outbox: list[OutboxMessage]) -> list[dict[str, Any]]:
    return [
        {"channel": m.channel, "recipient": m.recipient, "kind": m.kind, "status": m.status, "attempts": m.attempts}
        for m in outbox
    ]


def case_fields(case: Case) -> dict[str, Any]:
    """The contract's fields of a case (no contact details)."""
    return {
        "reference": case.reference,
        "created_at": wire_time(case.created_at),
        "channel": case.channel,
        "language": case.language,
        "customer_type": case.customer_type,
        "need": case.need,
        "sector": case.sector,
        "municipality": case.municipality,
        "area": case.area,
        "partner": case.partner,
        "mentor": case.mentor,
        "status": case.status,
        "consent": case.consent,
        "outcome": case.outcome,
        "delivered_by": case.delivered_by or [],
        "entry_partner": case.entry_partner,
    }


def case_summary(case: Case, outbox: list[OutboxMessage]) -> dict[str, Any]:
    """A case as the contract's JSON object (no contact details), with its notifications."""
    return {**case_fields(case), "notifications": _notifications(outbox)}


def drafted_path(case: Case) -> list[PathStep]:
    """The steps of the competence path drafted when the case was made, if any."""
    event = next((e for e in reversed(case.events) if e.kind == "path_drafted"), None)
    return [PathStep.from_json(step) for step in (event.detail.get("steps") or [])] if event else []


def path_json(case: Case) -> list[dict[str, Any]]:
    """The drafted path as the case's JSON and the webhook carry it."""
    return [step.as_json() for step in drafted_path(case)]


def case_details(case: Case, outbox: list[OutboxMessage]) -> dict[str, Any]:
    """Everything about one case, for the people who handle it."""
    return {
        **case_summary(case, outbox),
        "updated_at": wire_time(case.updated_at),
        "place_named": case.place_named,
        "need_text": case.need_text,
        "contact_name": case.contact_name,
        "organization": case.organization,
        "email": case.email,
        "phone": case.phone,
        "consent_at": wire_time(case.consent_at),
        "privacy_notice_version": case.privacy_notice_version,
        "routing_reason": case.routing_reason,
        "events": [{"at": wire_time(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail} for e in case.events],
        "path": path_json(case),
    }


def _refuse_incomplete(intake: Intake) -> None:
    """:class:`CaseError` when the intake cannot make a case: no consent, no way to reach the person, an unknown channel."""
    if not intake.consent:
        raise CaseError("no consent: a case with personal data cannot be stored")
    if not (intake.email or intake.phone):
        raise CaseError("a case needs an email address or a phone number")
    if intake.channel not in CHANNELS:
        raise CaseError(f"unknown channel '{intake.channel}' (known: {', '.join(CHANNELS)})")


def _routing_request(intake: Intake) -> RoutingRequest:
    return RoutingRequest(
        need=intake.need,
        municipality=intake.municipality,
        place_named=intake.place_named,
        sector=intake.sector,
        language=intake.language,
    )


def _new_case(intake: Intake, now: datetime) -> Case:
    """The case's row as the intake gives it, before it is routed."""
    return Case(
        holders=[],
        created_at=now,
        updated_at=now,
        conversation_id=intake.conversation_id,
        channel=intake.channel,
        language=intake.language,
        customer_type=intake.customer_type,
        need=intake.need,
        need_text=intake.need_text,
        sector=intake.sector,
        municipality=intake.municipality,
        place_named=intake.place_named,
        status="new",
        consent=True,
        consent_at=now,
        privacy_notice_version=intake.privacy_notice_version,
        contact_name=intake.contact_name,
        organization=intake.organization,
        email=intake.email,
        phone=intake.phone,
        entry_partner=intake.entry_partner,
        events=[],  # a new case has none: its events are added without loading them first
    )


def _receipt(network: Network, decision: Route, reference: str, path: list[PathStep]) -> Receipt:
    """What the customer of a new case is told: who has it, at which partner, and the path drafted."""
    mentor = network.mentor(decision.mentor)
    partner = network.partner(decision.partner) if decision.partner else None
    return Receipt(
        reference=reference,
        partner_name=partner.name if partner else None,
        mentor_name=mentor.name if mentor else decision.mentor,
        to_coordinator=decision.to_coordinator,
        path=tuple(path),
    )


class CaseService(RegisterService):
    """Creates routed cases and reads the register."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        *,
        paths: PathService | None = None,
    ):
        super().__init__(sessions, networks, clock)
        self.paths = paths

    def create_case(self, intake: Intake) -> Receipt:
        """Store, route and queue the mentor's notification in one transaction."""
        network = self.network
        _refuse_incomplete(intake)
        now = self.clock()
        path = self._draft(intake)
        with self.sessions.begin() as session:
            cases = CaseRepository(session)
            linked = self._link_to_recent(cases, intake, now)
            if linked is not None:
                return linked
            network = effective_network(session, network, today_in(now, network))
            decision = route(network, _routing_request(intake), cases.workload(now), today_in(now, network))
            case = cases.add(_new_case(intake, now))
            case.reference = reference_for(case.id, now)
            cases.record(case, "created", SYSTEM, now, channel=intake.channel, consent_notice=intake.privacy_notice_version)
            assign(session, network, case, decision, status="assigned", now=now)
            if intake.human_requested:
                cases.record(case, "human_requested", SYSTEM, now, transcript=list(intake.transcript))
            if path:
                cases.record(case, "path_drafted", SYSTEM, now, steps=[step.as_json() for step in path])
            reference = case.reference
        logger.info("case %s created: need=%s area=%s → %s", reference, intake.need, decision.area, decision.mentor)
        return _receipt(network, decision, reference, path)

    def _draft(self, intake: Intake) -> list[PathStep]:
        """The case's competence path, drafted before the transaction (a failure never loses the case)."""
        if self.paths is None:
            return []
        try:
            shown = self.paths.steps(intake.path_shown) if intake.path_shown else []
            if shown:
                return shown
            return self.paths.draft(
                need=intake.need,
                text=intake.need_text,
                customer_type=intake.customer_type,
                sector=intake.sector,
                language=intake.language,
                municipality=intake.municipality,
                place_named=intake.place_named,
            )
        except Exception as exc:  # a catalogue problem must not stop the case: it is logged, the case goes without a path
            logger.error("no path drafted for a case: %s", type(exc).__name__)
            return []

    def _link_to_recent(self, cases: CaseRepository, intake: Intake, now: datetime) -> Receipt | None:
        """Add a repeated request to the person's open case for the same need, if one is recent
        (in the caller's transaction: the check and the new case are one unit of work)."""
        network = self.network
        since = now - timedelta(days=network.service.duplicate_days)
        case = cases.recent_open(intake.need, email=intake.email, phone=intake.phone, since=since)
        if case is None:
            return None
        cases.record(case, "repeated", SYSTEM, now, channel=intake.channel, need_text=intake.need_text)
        case.updated_at = now
        reference, mentor_id, partner_id = case.reference, case.mentor, case.partner
        assert reference is not None  # a stored case has one: given in the transaction that made it
        logger.info("case %s: the same need again from the same person, linked", reference)
        mentor = network.mentor(mentor_id) if mentor_id else None
        partner = network.partner(partner_id) if partner_id else None
        return Receipt(
            reference=reference,
            partner_name=partner.name if partner else None,
            mentor_name=mentor.name if mentor else str(mentor_id),
            to_coordinator=mentor_id == network.coordinator.id,
            linked=True,
        )

    def request_human(self, reference: str, *, conversation_id: str, transcript: tuple[str, ...]) -> HumanContact | None:
        """The customer of an existing case asks for a person: its mentor is told at once.

        Only the conversation that made the case may do this (``None`` otherwise).
        """
        now = self.clock()
        with self.sessions.begin() as session:
            case = CaseRepository(session).by_reference(reference)
            if case is None or case.conversation_id != conversation_id or case.mentor is None:
                return None
            assert case.reference is not None  # found by it
            CaseRepository(session).record(case, "human_requested", SYSTEM, now, transcript=list(transcript))
            case.updated_at = now
            mentor = self.network.mentor(case.mentor)
            notify(session, case, mentor, "human_requested", now, occasion=len(case.events))
            contact = HumanContact(
                reference=case.reference,
                mentor_name=mentor.name if mentor else case.mentor,
                # Accepted cases have no deadline left: promise a working day from now.
                respond_by=utc(case.respond_by) if case.respond_by else deadline(now, self.network.service),
            )
        logger.info("case %s: the customer asked for a person", reference)
        return contact

    def list_cases(self, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        with self.sessions.begin() as session:
            cases = CaseRepository(session).list(status=status, limit=limit)
            outbox = OutboxRepository(session).for_cases([c.id for c in cases])
            return [case_summary(c, outbox.get(c.id, [])) for c in cases]

    def status_for(self, reference: str, *, conversation_id: str | None, email: str | None = None) -> str | None:
        """The case's status, only for its owner: the conversation that made it, or whoever gives its email.

        ``None`` both when there is no such case and when the asker is not its
        owner, so the answer does not reveal which references exist.
        """
        with self.sessions.begin() as session:
            case = CaseRepository(session).by_reference(reference)
            if case is None:
                return None
            same_conversation = conversation_id is not None and case.conversation_id == conversation_id
            same_email = bool(email and case.email and email.strip().casefold() == case.email.casefold())
            return case.status if same_conversation or same_email else None

    def show_case(self, reference: str) -> dict[str, Any] | None:
        with self.sessions.begin() as session:
            case = CaseRepository(session).by_reference(reference)
            if case is None:
                return None
            return case_details(case, list(OutboxRepository(session).for_case(case.id)))
