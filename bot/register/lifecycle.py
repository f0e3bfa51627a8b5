"""A case's life after it is made: accept, decline, forward, contacted, close, escalate.

Every change is an event with who and when, in the same transaction as the
change and the notification it causes. A change the case's status does not
allow, or one asked by someone who does not hold the case, is refused with a
:class:`TransitionError` that says why and what is allowed. A declined case
goes to the next best mentor and never back to one who declined it; a case
not accepted by its deadline (working hours, Finnish public holidays) is
escalated once per deadline by :meth:`Lifecycle.escalate_overdue`, which
reads everything from the database, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.network.model import CaseOutcome
from bot.network.routing import Route
from bot.register.assignment import (
    CUSTOMER,
    SYSTEM,
    assign,
    notify,
    notify_customer,
    queue,
    reroute,
    routing_request,
    said,
    today_in,
)
from bot.register.closing import checked_outcome, record_outcome
from bot.register.followups import plan as plan_followup
from bot.register.models import AWAITING_STATUSES, OPEN_STATUSES, Case, CaseStatus, Verb, wire_time
from bot.register.repositories import CaseRepository
from bot.register.service import CaseNotFound, RegisterService, TransitionError

logger = logging.getLogger(__name__)

# What other modules take from here (some are defined in bot.register.assignment and bot.register.service).
__all__ = [
    "ALLOWED",
    "CUSTOMER",
    "SYSTEM",
    "CaseNotFound",
    "Lifecycle",
    "Outcome",
    "TransitionError",
    "assign",
    "notify",
    "notify_customer",
    "queue",
    "reroute",
    "routing_request",
    "today_in",
]

# What each action needs the case's status to be.
ALLOWED: dict[str, tuple[str, ...]] = {
    Verb.ACCEPT: AWAITING_STATUSES,
    Verb.DECLINE: AWAITING_STATUSES,
    Verb.FORWARD: (*AWAITING_STATUSES, CaseStatus.ACCEPTED, CaseStatus.CONTACTED),
    Verb.CONTACTED: (CaseStatus.ACCEPTED,),
    Verb.CLOSE: (CaseStatus.ACCEPTED, CaseStatus.CONTACTED),
}


@dataclass(frozen=True)
class Outcome:
    """The case after a change."""

    reference: str
    status: str
    mentor: str | None
    partner: str | None
    reason: str | None = None


class Lifecycle(RegisterService):
    """The mentors' and the scheduler's changes to cases."""

    def _case(self, session: Session, reference: str) -> Case:
        case = CaseRepository(session).by_reference(reference)
        if case is None:
            raise CaseNotFound(f"no case {reference.strip().upper()}: check the reference (like FD-2026-00042)")
        return case

    def _check(self, case: Case, action: str, actor: str) -> None:
        network = self.network
        allowed = ALLOWED[action]
        if case.status not in allowed:
            raise TransitionError(
                f"case {case.reference} is {case.status}: it cannot be {_past(action)} "
                f"(only a case that is {' / '.join(allowed)})"
            )
        if actor not in (case.mentor, network.coordinator.id):
            raise TransitionError(
                f"'{actor}' does not hold case {case.reference}: only its mentor ({case.mentor}) or the coordinator can change it"
            )

    def _outcome(self, case: Case) -> Outcome:
        assert case.reference is not None  # a stored case has one: given in the transaction that made it
        return Outcome(case.reference, case.status, case.mentor, case.partner, case.routing_reason)

    def _simple(self, reference: str, actor: str, action: str, status: str, *, note: str | None, via: str | None) -> Outcome:
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            self._check(case, action, actor)
            case.status = status
            case.updated_at = now
            if action == "accept":
                case.respond_by = None
            CaseRepository(session).record(case, status, actor, now, **said(note=note, via=via))
            if action == "accept":
                session.flush()
                acceptances = sum(1 for event in case.events if event.kind == "accepted")
                notify_customer(session, case, "case_accepted", now, occasion=acceptances)
            if action == "contacted":
                plan_followup(session, self.network, case, now)
            outcome = self._outcome(case)
        logger.info("case %s %s by %s", outcome.reference, status, actor)
        return outcome

    def accept(self, reference: str, actor: str, *, via: str | None = None) -> Outcome:
        return self._simple(reference, actor, "accept", "accepted", note=None, via=via)

    def contacted(self, reference: str, actor: str, note: str | None = None, *, via: str | None = None) -> Outcome:
        return self._simple(reference, actor, "contacted", "contacted", note=note, via=via)

    def close(
        self,
        reference: str,
        actor: str,
        note: str | None = None,
        *,
        outcome: str,
        delivered_by: Sequence[str] = (),
        via: str | None = None,
    ) -> Outcome:
        """The case is done, with what came of it (a ``CaseOutcome``) and, when served, who delivered."""
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            self._check(case, Verb.CLOSE, actor)
            word, partners = checked_outcome(self.network, case, outcome, delivered_by)
            case.status = CaseStatus.CLOSED
            case.respond_by = None
            record_outcome(session, case, actor, now, outcome=word, partners=partners, kind="closed", note=note, via=via)
            plan_followup(session, self.network, case, now)
            result = self._outcome(case)
        logger.info("case %s closed by %s: %s", result.reference, actor, word)
        return result

    def correct_outcome(
        self,
        reference: str,
        actor: str,
        outcome: str,
        delivered_by: Sequence[str] = (),
        note: str | None = None,
        *,
        via: str | None = None,
    ) -> Outcome:
        """The coordinator corrects what a closed case's outcome says; the correction is an event of its own."""
        if actor != self.network.coordinator.id:
            raise TransitionError(f"only the coordinator ({self.network.coordinator.id}) can correct an outcome")
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            if case.status != CaseStatus.CLOSED:
                raise TransitionError(f"case {case.reference} is {case.status}: only a closed case's outcome can be corrected")
            word, partners = checked_outcome(self.network, case, outcome, delivered_by)
            record_outcome(
                session, case, actor, now, outcome=word, partners=partners, kind="outcome_corrected", note=note, via=via
            )
            plan_followup(session, self.network, case, now)  # asked after the corrected outcome, or not
            result = self._outcome(case)
        logger.info("case %s outcome corrected by %s: %s", result.reference, actor, word)
        return result

    def decline(self, reference: str, actor: str, reason: str | None = None, *, via: str | None = None) -> Outcome:
        """Hand the case back: it goes to the next best mentor, never to one who declined it."""
        network = self.network
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            self._check(case, "decline", actor)
            if case.mentor == network.coordinator.id:
                raise TransitionError(
                    f"case {case.reference} is with the coordinator, who takes what nobody else can: forward it to a partner instead"
                )
            cases = CaseRepository(session)
            declined = case.mentor
            cases.record(case, "declined", actor, now, from_mentor=declined, **said(reason=reason, via=via))
            session.flush()
            reroute(session, network, case, status="declined", now=now, exclude={declined})
            outcome = self._outcome(case)
        logger.info("case %s declined by %s → %s", outcome.reference, actor, outcome.mentor)
        return outcome

    def forward(self, reference: str, actor: str, partner: str, note: str | None = None, *, via: str | None = None) -> Outcome:
        """Pass the case to another partner of the network (the network way of working)."""
        network = self.network
        if network.partner(partner) is None:
            known = ", ".join(p.id for p in network.partners)
            raise TransitionError(f"unknown partner '{partner}' (known: {known})")
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            self._check(case, "forward", actor)
            cases = CaseRepository(session)
            cases.record(case, "forwarded", actor, now, from_mentor=case.mentor, to_partner=partner, **said(note=note, via=via))
            reroute(session, network, case, status="forwarded", now=now, exclude={case.mentor, actor}, partner=partner)
            outcome = self._outcome(case)
        logger.info("case %s forwarded by %s to %s → %s", outcome.reference, actor, partner, outcome.mentor)
        return outcome

    def reassign(self, reference: str, actor: str, mentor_id: str, note: str | None = None, *, via: str | None = None) -> Outcome:
        """The coordinator gives an open case to a mentor of their choosing, who must accept it again."""
        network = self.network
        if actor != network.coordinator.id:
            raise TransitionError(f"only the coordinator ({network.coordinator.id}) can reassign a case")
        mentor = network.mentor(mentor_id)
        if mentor is None:
            raise TransitionError(f"unknown mentor '{mentor_id}': give the id of a mentor in the network file")
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            if case.status not in OPEN_STATUSES:
                raise TransitionError(f"case {case.reference} is {case.status}: only an open case can be reassigned")
            if case.mentor == mentor_id:
                raise TransitionError(f"case {case.reference} is already with {mentor_id}")
            area = network.area_of(case.municipality, case.place_named)
            CaseRepository(session).record(
                case, "reassigned", actor, now, from_mentor=case.mentor, to_mentor=mentor_id, **said(note=note, via=via)
            )
            reason = f"reassigned by the coordinator from {case.mentor or '-'} to {mentor_id}"
            decision = Route(
                mentor.partner or None, mentor_id, area.id if area else case.area, reason, mentor_id == network.coordinator.id
            )
            assign(session, network, case, decision, status=CaseStatus.ASSIGNED, now=now)
            outcome = self._outcome(case)
        logger.info("case %s reassigned by %s → %s", outcome.reference, actor, outcome.mentor)
        return outcome

    def note(self, reference: str, actor: str, text: str, *, via: str | None = None) -> None:
        """A private note on the case, for the network's people only (never sent to the customer)."""
        text = text.strip()
        if not text:
            raise TransitionError("the note is empty: write something to keep")
        now = self.clock()
        with self.sessions.begin() as session:
            case = self._case(session, reference)
            holders = {holder.mentor for holder in case.holders}
            if actor not in holders and actor != self.network.coordinator.id:
                raise TransitionError(
                    f"'{actor}' does not hold case {case.reference}: only its mentors or the coordinator can add notes"
                )
            CaseRepository(session).record(case, "noted", actor, now, **said(note=text, via=via))
        logger.info("case %s noted by %s", reference, actor)

    def cancel_by_customer(self, reference: str, conversation_id: str) -> Outcome | None:
        """The customer withdraws their open case from the conversation that made it; its mentor is told.

        ``None`` when there is no such open case of this conversation.
        """
        now = self.clock()
        with self.sessions.begin() as session:
            case = CaseRepository(session).by_reference(reference)
            if case is None or case.conversation_id != conversation_id or case.status not in OPEN_STATUSES:
                return None
            # The customer no longer needs it: that is what came of it.
            CaseRepository(session).record(
                case, "cancelled", CUSTOMER, now, previous_status=case.status, outcome=CaseOutcome.NO_NEED.value
            )
            case.status = CaseStatus.CLOSED
            case.outcome = CaseOutcome.NO_NEED.value
            case.outcome_at = now
            case.respond_by = None
            case.updated_at = now
            plan_followup(session, self.network, case, now)  # no need: a planned follow-up is called off
            session.flush()
            notify(session, case, self.network.mentor(case.mentor) if case.mentor else None, "case_cancelled", now)
            outcome = self._outcome(case)
        logger.info("case %s cancelled by the customer", outcome.reference)
        return outcome

    def escalate_overdue(self) -> list[Outcome]:
        """Escalate every case not accepted by its deadline: to the next mentor, else the coordinator."""
        network = self.network
        now = self.clock()
        results: list[Outcome] = []
        with self.sessions.begin() as session:
            cases = CaseRepository(session)
            for case in cases.overdue(now):
                late = case.mentor
                if late == network.coordinator.id:
                    # Nobody above the coordinator: remind once, then wait.
                    cases.record(case, "overdue", SYSTEM, now, mentor=late, respond_by=wire_time(case.respond_by))
                    case.respond_by = None
                    case.updated_at = now
                    results.append(self._outcome(case))
                    continue
                cases.record(case, "escalated", SYSTEM, now, from_mentor=late, respond_by=wire_time(case.respond_by))
                session.flush()
                reroute(session, network, case, status="escalated", now=now, exclude={late})
                results.append(self._outcome(case))
        for outcome in results:
            logger.info("case %s overdue → %s", outcome.reference, outcome.mentor)
        return results


def _past(action: str) -> str:
    return {
        Verb.ACCEPT: "accepted",
        Verb.DECLINE: "declined",
        Verb.FORWARD: "forwarded",
        Verb.CONTACTED: "marked contacted",
        Verb.CLOSE: "closed",
    }[Verb(action)]
