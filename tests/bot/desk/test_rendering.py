"""What every desk page shares: the page a form belongs to, status messages, error pages, the sign-in form's way back."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bot.app import FrontDoor
from tests.bot.desk.test_mentor_pages import CSRF, Desk_, app, client, clock, new_case, text_of

__all__ = ["app", "client", "clock"]  # the fixtures this module uses from the mentor pages' tests


def test_a_language_change_after_a_refused_action_returns_to_the_case_page(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    mentor = app.cases.show_case(reference)["mentor"]  # type: ignore[index]
    desk = Desk_(client, str(mentor))
    assert desk.post(f"/desk/cases/{reference}/accept").status_code == 303
    refused = desk.post(f"/desk/cases/{reference}/accept")  # twice: 409, the case page with the refusal
    assert refused.status_code == 409
    assert f'name="next" value="/desk/cases/{reference}"' in refused.text
    changed = desk.post("/desk/language", language="en", next=f"/desk/cases/{reference}")
    assert changed.status_code == 303 and changed.headers["location"] == f"/desk/cases/{reference}"
    assert desk.get(changed.headers["location"]).status_code == 200


def test_only_status_messages_are_shown_from_the_address(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 2)
    desk = Desk_(client, "coordinator")
    shown = text_of(desk.get(f"/desk/cases/{reference}?said=mentor_said_noted"))
    crafted = desk.get(f"/desk/cases/{reference}?said=coord_privacy_erased")
    assert crafted.status_code == 200
    status = re.search(r'<div role="status"[^>]*>(.*?)</div>', crafted.text, re.S)
    assert status is not None and status.group(1).strip() == ""
    assert "<title>" in crafted.text and shown != text_of(crafted)


def test_a_bad_value_gets_the_bad_request_page_not_the_expired_form_one(client: TestClient) -> None:
    desk = Desk_(client, "coordinator")
    answer = desk.get("/desk/report/cases.csv?from=eilen")
    assert answer.status_code == 400
    assert "Pyyntö ei kelpaa" in answer.text and "Lomake vanheni" not in answer.text


def test_a_refused_sign_in_request_keeps_the_way_back_to_the_case(client: TestClient) -> None:
    form = client.get("/desk/?next=/desk/cases/FD-2026-00001&lang=fi")
    token = CSRF.search(form.text)
    assert token is not None
    answer = client.post(
        "/desk/sign-in", data={"csrf": token.group(1), "email": "ei-osoite", "next": "/desk/cases/FD-2026-00001"}
    )
    assert answer.status_code == 400
    assert 'name="next" value="/desk/cases/FD-2026-00001"' in answer.text
    assert 'href="/desk/?lang=en&amp;next=/desk/cases/FD-2026-00001"' in answer.text
