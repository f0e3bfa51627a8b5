"""What the network does not serve (yet), from cases of three months computed by hand: each kind of gap once
per case and month, the trend over whole months, need × area × sector, and the words anonymised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

from bot.app import FrontDoor, create_frontdoor
from bot.insight.report import ReportBuilder
from bot.insight.tables import Period
from bot.settings import Settings
from tests.bot.insight.test_closedloop import answer
from tests.bot.register.test_lifecycle import INTAKE, Clock

KINDS = ("no_partner", "declined", "escalated", "not_offered", "answered_no")
REASON = "Maija Meikäläinen, puh. 040 123 4567, tarvitsee ruotsinkielistä palvelua"
WORDS = "Soitin Meikäläiselle kolme kertaa, kukaan ei vastannut: maija@example.org"


def at(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=timezone.utc)


class Cases:
    def __init__(self, app: FrontDoor, clock: Clock) -> None:
        self.app, self.clock, self.count = app, clock, 0

    def new(self, when: datetime, **changes: Any) -> tuple[str, str]:
        """A case made at ``when``: its reference and its mentor."""
        self.clock.now = when
        self.count += 1
        reference = self.app.cases.create_case(replace(INTAKE, email=f"gap{self.count}@example.org", **changes)).reference
        shown = self.app.cases.show_case(reference)
        assert shown is not None
        return reference, shown["mentor"]

    def close(self, reference: str, mentor: str, outcome: str) -> None:
        self.app.lifecycle.accept(reference, mentor)
        self.app.lifecycle.close(reference, mentor, outcome=outcome)


def three_months(app: FrontDoor, clock: Clock) -> None:
    """September 1 gap, October 2, November 3 (one of them two kinds at once), and one case served well."""
    cases = Cases(app, clock)
    s1, coordinator = cases.new(at(9, 10), need="other")  # nobody offers "other": to the coordinator
    assert coordinator == "coordinator"
    app.lifecycle.accept(s1, coordinator)

    o1, mentor = cases.new(at(10, 6))
    app.lifecycle.decline(o1, mentor, REASON)
    shown = app.cases.show_case(o1)
    assert shown is not None and shown["mentor"] not in (mentor, "coordinator")
    app.lifecycle.accept(o1, shown["mentor"])
    o2, mentor = cases.new(at(10, 7))
    cases.close(o2, mentor, "not_offered")

    n1, mentor = cases.new(at(11, 2))  # Monday: to be accepted by 16:00 in Helsinki
    clock.now = at(11, 3)
    (escalated,) = app.lifecycle.escalate_overdue()
    assert escalated.reference == n1 and escalated.mentor not in (mentor, "coordinator")
    n2, coordinator = cases.new(at(11, 4), need="other", sector="ict", municipality="Kotka")
    cases.close(n2, coordinator, "not_offered")
    n3, mentor = cases.new(at(11, 5))
    cases.close(n3, mentor, "served")
    answer(app, n3, at(11, 5, 9), "no", WORDS)
    n4, mentor = cases.new(at(11, 6))
    cases.close(n4, mentor, "served")
    answer(app, n4, at(11, 6, 9), "yes")


def test_the_unmet_demand_by_month_with_its_trend_and_words(settings: Settings) -> None:
    clock = Clock(at(9, 1))
    app = create_frontdoor(settings, clock=clock)
    three_months(app, clock)
    report = ReportBuilder(app.sessions, app.networks.current, app.taxonomy, app.lemmatizer).build(
        Period(date(2026, 9, 1), date(2026, 11, 30))
    )

    by_month = report.table("unmet_by_month")
    assert by_month.columns == ["month", "cases", *KINDS, "unmet", "unmet_share", "unmet_moving_average_3"]
    assert by_month.rows == [
        ["2026-09", 1, 1, 0, 0, 0, 0, 1, 1.0, 1.0],
        ["2026-10", 2, 0, 1, 0, 1, 0, 2, 1.0, 1.5],
        ["2026-11", 4, 1, 0, 1, 1, 1, 3, 0.75, 2.0],
    ]
    trend = {row[0]: row[2:] for row in report.table("unmet_trend").rows}
    # cases, whole months, monthly mean, least-squares change per month, change / mean, direction
    assert trend["unmet"] == [6, 3, 2.0, 1.0, 0.5, "kasvaa"]
    assert trend["no_partner"] == [2, 3, 0.67, 0.0, 0.0, "ennallaan"]
    assert trend["declined"] == [1, 3, 0.33, 0.0, 0.0, "ennallaan"]

    needs = report.table("unmet_needs")
    column = {name: i for i, name in enumerate(needs.columns)}
    rows = {(r[column["need"]], r[column["area"]], r[column["sector"]]): r for r in needs.rows}
    apprenticeship = rows[("apprenticeship", "kouvola", "logistics")]
    assert [apprenticeship[column[k]] for k in (*KINDS, "unmet")] == [0, 1, 1, 1, 1, 4]
    assert apprenticeship[column["area_name"]] == "Kouvolan seutu"
    ict = rows[("other", "kotka-hamina", "ict")]
    assert [ict[column[k]] for k in (*KINDS, "unmet")] == [1, 0, 0, 1, 0, 1]  # one case, two kinds of gap
    assert len(needs.rows) == 3

    words = report.table("unmet_words")
    assert [row[:4] for row in words.rows] == [
        ["2026-11-06", "answered_no", "kymi-ammattiopisto", "apprenticeship"],
        ["2026-10-06", "declined", "kymi-ammattiopisto", "apprenticeship"],
    ]
    customer, reason = words.rows[0][4], words.rows[1][4]
    # "Meikäläiselle" is the customer's "Meikäläinen" inflected: masked too.
    assert customer == "Soitin [nimi] kolme kertaa, kukaan ei vastannut: [sähköposti]"
    assert reason == "[nimi] [nimi], puh. [puhelin], tarvitsee ruotsinkielistä palvelua"
    app.engine.dispose()


def test_a_trend_needs_three_whole_months(settings: Settings) -> None:
    clock = Clock(at(9, 1))
    app = create_frontdoor(settings, clock=clock)
    three_months(app, clock)
    # 10 September to 20 November: only October is whole.
    report = ReportBuilder(app.sessions, app.networks.current, app.taxonomy).build(Period(date(2026, 9, 10), date(2026, 11, 20)))
    trend = {row[0]: row for row in report.table("unmet_trend").rows}
    assert trend["unmet"][3:] == [1, "", "", "", "liian vähän kokonaisia kuukausia"]
    assert [row[0] for row in report.table("unmet_by_month").rows] == ["2026-09", "2026-10", "2026-11"]
    app.engine.dispose()
