"""The coordinator's report page: the closed-loop figures and the partners' shares in the page, and closing a
period of the shares (two steps, coordinator only, with the form's token)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.app import FrontDoor
from bot.desk.pages.coordinator_report import csv_text
from bot.insight.report import Report
from bot.insight.tables import Period, Table
from bot.register.models import SharePeriod
from tests.bot.desk.test_mentor_pages import MONDAY, Desk_, app, case_of, client, clock, new_case, text_of
from tests.bot.register.test_lifecycle import Clock

__all__ = ["app", "client", "clock"]  # the fixtures this module uses from the mentor pages' tests

DAYS = {"from": "2026-10-01", "to": "2026-11-30"}


def october_cases(app: FrontDoor, clock: Clock) -> None:
    """Two cases in October: one served and its customer asked, one not reachable; a third in November."""
    for n, outcome in ((1, "served"), (2, "not_reachable")):
        clock.now = datetime(2026, 10, 5 + n, 8, 0, tzinfo=timezone.utc)
        reference = new_case(app, n)
        mentor = case_of(app, reference)["mentor"]
        app.lifecycle.accept(reference, mentor)
        app.lifecycle.contacted(reference, mentor)
        app.lifecycle.close(reference, mentor, outcome=outcome)
    clock.now = MONDAY
    new_case(app, 3)


def test_the_coordinator_sees_the_shares_and_the_loop_and_closes_a_period(
    client: TestClient, app: FrontDoor, clock: Clock
) -> None:
    october_cases(app, clock)
    desk = Desk_(client, "coordinator")
    shown = desk.client.get("/desk/report", params=DAYS)
    assert shown.status_code == 200
    text = text_of(shown)
    assert "Silmukan sulkeminen" in text and "Tulos on kirjattu 2 asiaan 3 asiasta (66.7 %)." in text
    assert '<h2 id="table-shares">Kumppaneiden osuudet (pisteet kausittain)</h2>' in shown.text
    assert '<h2 id="table-closed_loop">' in shown.text and '<h2 id="table-unmet_by_month">' in shown.text
    # October has ended and can be closed; November has not.
    assert '<option value="2026-10-01">2026-10 (2026-10-01 – 2026-10-31)</option>' in shown.text
    assert 'value="2026-11-01"' not in shown.text
    download = desk.get(f"/desk/report/shares.csv?from={DAYS['from']}&to={DAYS['to']}")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    october = [r for r in rows if r["period"] == "2026-10"]
    assert {r["state"] for r in october} == {"open"} and sum(float(r["points"]) for r in october) == 2 * 2 + 5 + 40

    # The first step only shows what would be kept.
    asked = desk.post("/desk/report/close", starts="2026-10-01", **DAYS)
    assert asked.status_code == 200
    confirm = text_of(asked)
    assert "Suljetaanko kausi 2026-10?" in confirm and "Yhteensä 49.0 pistettä." in confirm
    with app.sessions() as session:
        assert session.execute(select(SharePeriod)).first() is None

    closed = desk.post("/desk/report/close", starts="2026-10-01", confirm="yes", **DAYS)
    assert closed.status_code == 303
    assert closed.headers["location"] == "/desk/report?said=coord_said_period_closed&from=2026-10-01&to=2026-11-30"
    with app.sessions() as session:
        (period,) = session.execute(select(SharePeriod)).scalars()
        assert (period.closed_by, str(period.starts), str(period.ends)) == ("coordinator", "2026-10-01", "2026-10-31")
        assert sum(row["points"] for row in period.figures) == 49.0
    after = desk.client.get(closed.headers["location"])
    assert "Kausi suljettiin; sen luvut säilyvät sellaisinaan." in text_of(after)
    assert "Kaikki päättyneet kaudet on suljettu." in text_of(after)
    download = desk.get(f"/desk/report/shares.csv?from={DAYS['from']}&to={DAYS['to']}")
    states = {r["state"] for r in csv.DictReader(io.StringIO(download.text)) if r["period"] == "2026-10"}
    assert states == {"closed"}

    again = desk.post("/desk/report/close", starts="2026-10-01", confirm="yes")
    assert again.headers["location"] == "/desk/report?said=coord_said_period_already_closed"
    running = desk.post("/desk/report/close", starts="2026-11-01", confirm="yes")
    assert running.headers["location"] == "/desk/report?said=coord_said_period_not_ended"
    nonsense = desk.post("/desk/report/close", starts="lokakuu")
    assert nonsense.headers["location"] == "/desk/report?said=coord_said_period_not_a_period"
    mid_month = desk.post("/desk/report/close", starts="2026-10-02")
    assert mid_month.headers["location"] == "/desk/report?said=coord_said_period_not_a_period"


def test_only_the_coordinator_closes_a_period_and_only_with_the_forms_token(
    client: TestClient, app: FrontDoor, clock: Clock
) -> None:
    october_cases(app, clock)
    mentor = Desk_(client, "ao-marja")
    assert mentor.get("/desk/report").status_code == 403
    assert mentor.post("/desk/report/close", starts="2026-10-01", confirm="yes").status_code == 403
    coordinator = Desk_(client, "coordinator")
    without = coordinator.client.post("/desk/report/close", data={"starts": "2026-10-01", "confirm": "yes"})
    assert without.status_code == 403
    forged = coordinator.client.post("/desk/report/close", data={"starts": "2026-10-01", "confirm": "yes", "csrf": "x" * 43})
    assert forged.status_code == 403
    with app.sessions() as session:
        assert session.execute(select(SharePeriod)).first() is None


def test_the_desks_csv_writes_formula_like_words_as_text() -> None:
    table = Table("unmet_words", "Sanat", ["kind", "words", "points"], [["declined", "=1+1", -2.5], ["no", "@x", 3]])
    rows = list(csv.reader(io.StringIO(csv_text(Report(Period(), "verkosto", 2, [table]), "unmet_words"))))
    assert rows[1:] == [["declined", "'=1+1", "-2.5"], ["no", "'@x", "3"]]
