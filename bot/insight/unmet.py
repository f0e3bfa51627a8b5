"""What the network does not serve (yet): the cases that show a gap, by month with a trend, by need × area ×
sector, and the words (a mentor's reason to decline, a customer's "no") anonymised.

A case shows a gap when no partner could take it (routing gave it to the coordinator:
``to_coordinator``), a mentor declined it, it was escalated (not accepted in time), its
outcome was ``not_offered``, or the customer answered the follow-up "no". Each is
counted once per case and kind, in the month the case was made (UTC), like the rest
of the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import literal, select, union
from sqlalchemy.orm import Session

from bot.insight.tables import WORDS_LIMIT, Period, Table, anonymise, month_of, ratio
from bot.network.model import Network
from bot.register.models import Case, CaseEvent, FollowUp

# The kinds of gap, in the order of the tables' columns.
KINDS = ("no_partner", "declined", "escalated", "not_offered", "answered_no")
KIND_NAMES = {
    "no_partner": "Mikään kumppani ei voinut ottaa",
    "declined": "Mentori kieltäytyi",
    "escalated": "Ei hyväksytty ajoissa",
    "not_offered": "Verkosto ei tarjoa",
    "answered_no": "Asiakas: ei saanut apua",
    "unmet": "Kaikki (eri asiat)",
}
# A trend is "steady" within this share of the monthly mean per month.
STEADY = 0.05


@dataclass(frozen=True)
class Names:
    """How the tables name needs, areas and partners, and the base forms that anonymising looks names up by."""

    need: Callable[[str], str]
    area: Callable[[str], str]
    network: Network
    baseforms: Callable[[str], Iterable[str]] | None = None

    def partner_of_mentor(self, mentor_id: str | None) -> str:
        mentor = self.network.mentor(mentor_id) if mentor_id else None
        return mentor.partner if mentor else ""


def _gaps(session: Session, period: Period) -> list[tuple[str, int, str, str, str | None, str | None]]:
    """(kind, case id, month, need, area, sector) once per case and kind, for cases made in the period."""
    event = CaseEvent.kind
    sources = union(
        select(CaseEvent.case_id, literal("no_partner").label("kind")).where(
            event == "assigned", CaseEvent.detail["to_coordinator"].as_boolean().is_(True)
        ),
        select(CaseEvent.case_id, literal("declined")).where(event == "declined"),
        select(CaseEvent.case_id, literal("escalated")).where(event == "escalated"),
        select(Case.id, literal("not_offered")).where(Case.outcome == "not_offered"),
        select(FollowUp.case_id, literal("answered_no")).where(FollowUp.answer == "no"),
    ).subquery()
    query = select(sources.c.kind, Case.id, month_of(session, Case.created_at), Case.need, Case.area, Case.sector).join(
        Case, Case.id == sources.c.case_id
    )
    return [tuple(row) for row in session.execute(query.where(period.where()))]


def _months(days: Period) -> tuple[list[str], list[str]]:
    """Every month of the days, and those the days cover whole (a trend over a part month would mislead)."""
    if days.start is None or days.end is None:
        return [], []
    months, whole = [], []
    day = days.start.replace(day=1)
    while day <= days.end:
        following = (day + timedelta(days=32)).replace(day=1)
        months.append(f"{day.year}-{day.month:02d}")
        if days.start <= day and following - timedelta(days=1) <= days.end:
            whole.append(months[-1])
        day = following
    return months, whole


def _slope(values: list[int]) -> float:
    """The least-squares change per month."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / spread if spread else 0.0


def _trend(kind: str, per_month: dict[str, dict[str, set[int]]], whole: list[str]) -> list[Any]:
    values = [len(per_month[month][kind]) for month in whole]
    total = sum(len(cases[kind]) for cases in per_month.values())
    if len(values) < 3:
        return [kind, KIND_NAMES[kind], total, len(values), "", "", "", "liian vähän kokonaisia kuukausia"]
    mean, slope = sum(values) / len(values), _slope(values)
    change = ratio(slope, mean)
    direction = "ennallaan" if abs(change) <= STEADY else ("kasvaa" if change > 0 else "vähenee")
    return [kind, KIND_NAMES[kind], total, len(values), round(mean, 2), round(slope, 2) + 0.0, change + 0.0, direction]


def by_month_tables(gaps: list[tuple[Any, ...]], days: Period, cases_by_month: dict[str, int]) -> list[Table]:
    """Each month's gaps of each kind and in all (cases, once), their share of the month's cases; the trend."""
    per_month: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for kind, case_id, month, *_ in gaps:
        per_month[month][kind].add(case_id)
        per_month[month]["unmet"].add(case_id)
    months, whole = _months(days)
    table = Table(
        "unmet_by_month",
        "Palvelematon kysyntä kuukausittain",
        ["month", "cases", *KINDS, "unmet", "unmet_share", "unmet_moving_average_3"],
    )
    for i, month in enumerate(months):
        unmet = len(per_month[month]["unmet"])
        window = [len(per_month[m]["unmet"]) for m in months[max(0, i - 2) : i + 1]]
        counts = [len(per_month[month][kind]) for kind in KINDS]
        cases = cases_by_month.get(month, 0)
        table.rows.append([month, cases, *counts, unmet, ratio(unmet, cases), round(sum(window) / len(window), 2)])
    trend = Table(
        "unmet_trend",
        "Palvelemattoman kysynnän suunta (kokonaiset kuukaudet, pienimmän neliösumman suora)",
        ["kind", "name", "cases", "months", "monthly_mean", "change_per_month", "change_share", "direction"],
    )
    trend.rows = [_trend(kind, per_month, whole) for kind in (*KINDS, "unmet")]
    return [table, trend]


def needs_table(gaps: list[tuple[Any, ...]], names: Names) -> Table:
    """Need × area × sector: the gaps of each kind and in all, most first."""
    combos: dict[tuple[str, str, str], dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for kind, case_id, _month, need, area, sector in gaps:
        entry = combos[(need, area or "", sector or "")]
        entry[kind].add(case_id)
        entry["unmet"].add(case_id)
    table = Table(
        "unmet_needs",
        "Palvelematon kysyntä: tarve × alue × toimiala",
        ["need", "need_name", "area", "area_name", "sector", *KINDS, "unmet"],
    )
    ordered = sorted(combos.items(), key=lambda item: (-len(item[1]["unmet"]), item[0]))
    for (need, area, sector), kinds in ordered[:WORDS_LIMIT]:
        area_name = names.area(area) if area else "(ei tiedossa)"
        counts = [len(kinds[kind]) for kind in KINDS]
        table.rows.append([need, names.need(need), area, area_name, sector, *counts, len(kinds["unmet"])])
    return table


def words_table(session: Session, period: Period, names: Names) -> Table:
    """The newest reasons mentors gave to decline, and the customers' words with a "no", anonymised."""
    reason = CaseEvent.detail["reason"].as_string()
    declines = (
        select(CaseEvent.at, reason, CaseEvent.detail["from_mentor"].as_string(), Case.need, Case.contact_name, Case.organization)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(period.where(), CaseEvent.kind == "declined", reason.is_not(None))
        .order_by(CaseEvent.at.desc())
        .limit(WORDS_LIMIT)
    )
    answers = (
        select(FollowUp.answered_at, FollowUp.words, Case.partner, Case.need, Case.contact_name, Case.organization)
        .join(Case, Case.id == FollowUp.case_id)
        .where(period.where(), FollowUp.answer == "no", FollowUp.words.is_not(None), FollowUp.answered_at.is_not(None))
        .order_by(FollowUp.answered_at.desc())
        .limit(WORDS_LIMIT)
    )
    found: list[tuple[date, str, str, str, str]] = []
    for at, text, mentor, need, name, organization in session.execute(declines):
        words = anonymise(str(text), name, organization, baseforms=names.baseforms)
        found.append((at.date(), "declined", names.partner_of_mentor(mentor), need, words))
    for at, text, partner, need, name, organization in session.execute(answers):
        words = anonymise(str(text), name, organization, baseforms=names.baseforms)
        found.append((at.date(), "answered_no", partner or "", need, words))
    table = Table(
        "unmet_words",
        "Kieltäytymisten syyt ja asiakkaiden sanat, kun apua ei saatu (anonymisoitu)",
        ["date", "kind", "partner", "need", "text"],
    )
    found.sort(key=lambda row: row[0], reverse=True)
    table.rows = [[day.isoformat(), kind, partner, need, text] for day, kind, partner, need, text in found[:WORDS_LIMIT]]
    return table


def unmet_tables(session: Session, period: Period, days: Period, cases_by_month: dict[str, int], names: Names) -> list[Table]:
    """The section's tables: by month, the trend, need × area × sector, and the words."""
    gaps = _gaps(session, period)
    return [*by_month_tables(gaps, days, cases_by_month), needs_table(gaps, names), words_table(session, period, names)]
