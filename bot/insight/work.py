"""Each partner's and mentor's own part of the network's work: cases received, accepted, forwarded and
closed, and the median hours from a case's creation to its acceptance and to the first contact."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.insight.tables import Period, Table, median_of, seconds_between
from bot.network.model import Network
from bot.register.models import Case, CaseEvent

# What the work tables measure, per mentor and per partner alike (in the order of their rows).
WORK_MEASURES = ("received", "accepted", "forwarded", "closed", "median_hours_to_accept", "median_hours_to_contact")
HOUR = 3600


def _events(session: Session, period: Period, kind: str, who: Any) -> dict[str, int]:
    query = (
        select(who, func.count())
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(period.where(), CaseEvent.kind == kind)
        .group_by(who)
    )
    return {str(key): int(count) for key, count in session.execute(query) if key}


def _durations(session: Session, period: Period, kind: str) -> dict[str, list[float]]:
    """Seconds from a case's creation to each mentor's first ``kind`` event on it."""
    first = (
        select(CaseEvent.case_id, CaseEvent.actor, func.min(CaseEvent.at).label("at"))
        .where(CaseEvent.kind == kind)
        .group_by(CaseEvent.case_id, CaseEvent.actor)
        .subquery()
    )
    seconds = seconds_between(session, first.c.at, Case.created_at)
    query = select(first.c.actor, seconds).join(Case, Case.id == first.c.case_id).where(period.where()).order_by(first.c.actor)
    result: dict[str, list[float]] = defaultdict(list)
    for actor, value in session.execute(query):
        result[str(actor)].append(float(value))
    return result


def work_tables(session: Session, period: Period, network: Network) -> list[Table]:
    """The partners' and the mentors' tables: the same measures, so a partner's row pools its mentors'."""
    received = _events(session, period, "assigned", CaseEvent.detail["mentor"].as_string())
    accepted = _events(session, period, "accepted", CaseEvent.actor)
    forwarded = _events(session, period, "forwarded", CaseEvent.actor)
    closed = _events(session, period, "closed", CaseEvent.actor)
    to_accept = _durations(session, period, "accepted")
    to_contact = _durations(session, period, "contacted")
    partners = Table("partners", "Kumppanit", ["partner", "name", *WORK_MEASURES])
    mentors = Table("mentors", "Mentorit", ["mentor", "name", "partner", *WORK_MEASURES])
    people = [network.coordinator, *network.mentors]
    known = {m.id for m in people}
    by_partner: dict[str, dict[str, Any]] = {}
    for mentor_id in sorted(known | set(received) | set(accepted)):
        mentor = network.mentor(mentor_id)
        partner = mentor.partner if mentor else ""
        counts = [
            received.get(mentor_id, 0),
            accepted.get(mentor_id, 0),
            forwarded.get(mentor_id, 0),
            closed.get(mentor_id, 0),
        ]
        if not any(counts) and mentor_id not in known:
            continue
        mentors.rows.append(
            [
                mentor_id,
                mentor.name if mentor else mentor_id,
                partner,
                *counts,
                median_of(to_accept.get(mentor_id, []), HOUR),
                median_of(to_contact.get(mentor_id, []), HOUR),
            ]
        )
        entry = by_partner.setdefault(partner, {"counts": [0, 0, 0, 0], "accept": [], "contact": []})
        entry["counts"] = [a + b for a, b in zip(entry["counts"], counts, strict=True)]
        entry["accept"] += to_accept.get(mentor_id, [])
        entry["contact"] += to_contact.get(mentor_id, [])
    for p in network.partners:
        entry = by_partner.get(p.id, {"counts": [0, 0, 0, 0], "accept": [], "contact": []})
        partners.rows.append(
            [p.id, p.name, *entry["counts"], median_of(entry["accept"], HOUR), median_of(entry["contact"], HOUR)]
        )
    return [partners, mentors]
