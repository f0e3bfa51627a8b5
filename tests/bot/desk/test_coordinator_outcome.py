"""Closing a case with its outcome on the desk, and the coordinator's correction of it."""

from __future__ import annotations

from starlette.testclient import TestClient

from bot.app import FrontDoor
from tests.bot.desk.test_mentor_pages import Desk_, app, case_of, client, clock, new_case, text_of

__all__ = ["app", "client", "clock"]  # the fixtures this module uses from the mentor pages' tests


def test_closing_without_an_outcome_is_refused_clearly_and_with_one_it_is_recorded(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    mentor = case_of(app, reference)["mentor"]
    desk = Desk_(client, mentor)
    assert desk.post(f"/desk/cases/{reference}/accept").status_code == 303
    page = text_of(desk.get(f"/desk/cases/{reference}"))
    assert "Mitä asiasta seurasi?" in page and "Palveltu verkostossa" in page and "Verkosto ei tarjoa tätä" in page
    missing = desk.post(f"/desk/cases/{reference}/close", note="valmis")
    assert missing.status_code == 400 and "Valitse, mitä asiasta seurasi" in text_of(missing)
    assert case_of(app, reference)["status"] == "accepted"
    # Partners ticked for an outcome other than "served" credit nobody.
    closed = desk.client.post(
        f"/desk/cases/{reference}/close",
        data={"csrf": desk.csrf, "outcome": "referred_outside", "delivered_by": ["kaakko-amk"]},
    )
    assert closed.status_code == 303
    shown = case_of(app, reference)
    assert (shown["status"], shown["outcome"], shown["delivered_by"]) == ("closed", "referred_outside", [])


def test_the_coordinator_corrects_a_closed_cases_outcome_on_its_page(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 2)
    mentor = case_of(app, reference)["mentor"]
    app.lifecycle.accept(reference, mentor)
    app.lifecycle.close(reference, mentor, outcome="not_reachable")
    assert "Korjaa tulos" not in text_of(Desk_(client, mentor).get(f"/desk/cases/{reference}"))
    mentor_desk = Desk_(client, mentor)
    assert mentor_desk.post(f"/desk/cases/{reference}/outcome", outcome="served").status_code == 403
    desk = Desk_(client, "coordinator")
    assert "Korjaa tulos" in text_of(desk.get(f"/desk/cases/{reference}"))
    refused = desk.post(f"/desk/cases/{reference}/outcome")
    assert refused.status_code == 303 and refused.headers["location"].endswith("said=coord_said_outcome_refused")
    corrected = desk.client.post(
        f"/desk/cases/{reference}/outcome",
        data={
            "csrf": desk.csrf,
            "outcome": "served",
            "delivered_by": ["kaakko-amk", "kymi-yrityskehitys"],
            "note": "soitti itse",
        },
    )
    assert corrected.status_code == 303 and corrected.headers["location"].endswith("said=coord_said_outcome_corrected")
    shown = case_of(app, reference)
    assert (shown["outcome"], shown["delivered_by"]) == ("served", ["kaakko-amk", "kymi-yrityskehitys"])
    event = shown["events"][-1]
    assert (event["kind"], event["actor"], event["detail"]["via"], event["detail"]["from_outcome"]) == (
        "outcome_corrected",
        "coordinator",
        "desk",
        "not_reachable",
    )
    assert "Tulos korjattu" in text_of(desk.get(f"/desk/cases/{reference}"))
