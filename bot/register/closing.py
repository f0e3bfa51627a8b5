"""What came of a case: the outcome recorded when it is closed, and the coordinator's correction of it.

A ``served`` case names the partners that delivered (by default the partner
whose mentor held it); no other outcome credits a partner. Who recorded the
outcome, and who corrected it, is in the case's events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.network.model import CaseOutcome, Network
from bot.register.assignment import said
from bot.register.models import OUTCOMES, Case
from bot.register.repositories import CaseRepository
from bot.register.service import TransitionError


def checked_outcome(network: Network, case: Case, outcome: str, delivered_by: Sequence[str]) -> tuple[CaseOutcome, list[str]]:
    """The outcome and the partners it credits, or a :class:`TransitionError` that says what to give."""
    if outcome not in OUTCOMES:
        raise TransitionError(f"unknown outcome '{outcome}' (known: {', '.join(OUTCOMES)})")
    word = CaseOutcome(outcome)
    partners = list(dict.fromkeys(p.strip() for p in delivered_by if p.strip()))
    unknown = [p for p in partners if network.partner(p) is None]
    if unknown:
        known = ", ".join(p.id for p in network.partners)
        raise TransitionError(f"unknown partner '{unknown[0]}' in delivered by (known: {known})")
    if word is not CaseOutcome.SERVED:
        if partners:
            raise TransitionError(f"only a served case names the partners that delivered, not one that is {word}")
        return word, []
    if not partners and case.partner:
        partners = [case.partner]
    if not partners:
        raise TransitionError("a served case needs the partner(s) that delivered: give --delivered-by PARTNER")
    return word, partners


def record_outcome(
    session: Session,
    case: Case,
    actor: str,
    now: datetime,
    *,
    outcome: CaseOutcome,
    partners: list[str],
    kind: str,
    note: str | None,
    via: str | None,
) -> None:
    """Store the outcome on the case and an event of ``kind`` (``closed`` or ``outcome_corrected``) saying it."""
    before = {"from_outcome": case.outcome, "from_delivered_by": case.delivered_by} if kind == "outcome_corrected" else {}
    case.outcome = outcome.value
    case.outcome_at = now
    case.delivered_by = partners or None
    case.updated_at = now
    CaseRepository(session).record(
        case, kind, actor, now, outcome=outcome.value, delivered_by=partners, **before, **said(note=note, via=via)
    )
