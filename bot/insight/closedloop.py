"""Closing the loop, in figures: what came of the cases, whether the customers asked said they got help,
and how long it took, per partner (the partner that held the case last) and for the whole network."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.insight.tables import Period, Table, median_of, ratio, seconds_between
from bot.network.model import Network
from bot.register.models import OUTCOMES, Case, CaseEvent, FollowUp
from bot.settings import DATA_DIR

DAY = 86400
HELPED = ("yes", "partly")
NETWORK_ROW = "*"
# The events that first give a case its outcome (a correction only changes it).
FIRST_OUTCOME_EVENTS = ("closed", "cancelled")
NOTICES_FILE = DATA_DIR / "notices.yml"


@cache
def outcome_names() -> dict[str, str]:
    """What came of a case, in the report's language: the ``outcomes`` words of the notices file (the desk's too)."""
    words = yaml.safe_load(NOTICES_FILE.read_text(encoding="utf-8")).get("outcomes") or {}
    return {outcome: str((words.get(outcome) or {}).get("fi") or outcome) for outcome in OUTCOMES}


COLUMNS = [
    "partner",
    "name",
    "cases",
    "with_outcome",
    "outcome_share",
    "asked",
    "answered",
    "answered_share",
    "helped",
    "helped_share_of_asked",
    "helped_share_of_answered",
    "median_days_to_contact",
    "median_days_to_outcome",
]


def _key(partner: str | None) -> str:
    return partner or ""


def _counts(session: Session, period: Period) -> dict[str, list[int]]:
    """Per partner: cases, cases with an outcome, customers asked, answered, and helped (yes or partly)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    cases = select(Case.partner, func.count(), func.count(Case.outcome)).where(period.where()).group_by(Case.partner)
    for partner, total, with_outcome in session.execute(cases):
        counts[_key(partner)][0:2] = [int(total), int(with_outcome)]
    asked = (
        select(
            Case.partner,
            func.count(FollowUp.sent_at),
            func.count(FollowUp.answer),
            func.count(FollowUp.id).filter(FollowUp.answer.in_(HELPED)),
        )
        .join(Case, Case.id == FollowUp.case_id)
        .where(period.where(), FollowUp.sent_at.is_not(None))
        .group_by(Case.partner)
    )
    for partner, sent, answered, helped in session.execute(asked):
        counts[_key(partner)][2:5] = [int(sent), int(answered), int(helped)]
    return counts


def _durations(session: Session, period: Period) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per partner: seconds from each case's creation to its first contact, and to its outcome (its first
    ``closed`` or ``cancelled`` event; a case with an outcome but no such event: ``outcome_at``)."""
    first = (
        select(CaseEvent.case_id, func.min(CaseEvent.at).label("at"))
        .where(CaseEvent.kind == "contacted")
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    to_contact: dict[str, list[float]] = defaultdict(list)
    query = select(Case.partner, seconds_between(session, first.c.at, Case.created_at)).join(first, first.c.case_id == Case.id)
    for partner, seconds in session.execute(query.where(period.where())):
        to_contact[_key(partner)].append(float(seconds))
    # The first close (or the customer's withdrawal), not ``outcome_at``: a correction moves that to its own day.
    closed = (
        select(CaseEvent.case_id, func.min(CaseEvent.at).label("at"))
        .where(CaseEvent.kind.in_(FIRST_OUTCOME_EVENTS))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    to_outcome: dict[str, list[float]] = defaultdict(list)
    ended = func.coalesce(closed.c.at, Case.outcome_at)
    query = (
        select(Case.partner, seconds_between(session, ended, Case.created_at))
        .outerjoin(closed, closed.c.case_id == Case.id)
        .where(period.where(), Case.outcome_at.is_not(None))
    )
    for partner, seconds in session.execute(query):
        to_outcome[_key(partner)].append(float(seconds))
    return to_contact, to_outcome


def _row(key: str, name: str, counts: list[int], to_contact: list[float], to_outcome: list[float]) -> list[Any]:
    cases, with_outcome, asked, answered, helped = counts
    return [
        key,
        name,
        cases,
        with_outcome,
        ratio(with_outcome, cases),
        asked,
        answered,
        ratio(answered, asked),
        helped,
        ratio(helped, asked),
        ratio(helped, answered),
        median_of(to_contact, DAY),
        median_of(to_outcome, DAY),
    ]


def closed_loop_table(session: Session, period: Period, network: Network) -> Table:
    """One row per partner (and one for cases that no partner held), then the whole network (``*``)."""
    counts = _counts(session, period)
    to_contact, to_outcome = _durations(session, period)
    table = Table("closed_loop", "Silmukan sulkeminen: mitä asioista seurasi ja saivatko asiakkaat apua", list(COLUMNS))
    names = {p.id: p.name for p in network.partners}
    keys = [p.id for p in network.partners] + sorted(set(counts) - set(names))
    for key in keys:
        table.rows.append(_row(key, names.get(key, key or "(ei kumppania)"), counts[key], to_contact[key], to_outcome[key]))
    total = [sum(column) for column in zip(*(counts[key] for key in keys), strict=True)] if keys else [0] * 5
    everything = [seconds for values in to_contact.values() for seconds in values]
    outcomes = [seconds for values in to_outcome.values() for seconds in values]
    table.rows.append(_row(NETWORK_ROW, "Koko verkosto", total, everything, outcomes))
    return table


def outcomes_table(session: Session, period: Period) -> Table:
    """What came of the cases: each outcome's cases and their share of all cases; ``open``: none yet."""
    query = select(Case.outcome, func.count()).where(period.where()).group_by(Case.outcome)
    found = {outcome: int(count) for outcome, count in session.execute(query)}
    total = sum(found.values())
    table = Table("outcomes", "Asioiden tulokset", ["outcome", "name", "cases", "share"])
    for outcome in OUTCOMES:
        table.rows.append([outcome, outcome_names()[outcome], found.get(outcome, 0), ratio(found.get(outcome, 0), total)])
    table.rows.append(["open", "Ei tulosta vielä", found.get(None, 0), ratio(found.get(None, 0), total)])
    return table
