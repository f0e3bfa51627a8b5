"""The coordinator's desk in a real browser over the running front door: reassigning a case (the new
mentor is emailed), retrying a given-up notification, downloading a report CSV; a mentor gets 403 on
every coordinator page; axe-core finds nothing serious at phone and desktop widths.

The stack is shared with other modules: every case here is new and found by its own reference."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from bot.register.models import OutboxMessage
from tests.e2e.conftest import Stack
from tests.e2e.desk import assert_accessible, frontdoor_of, make_case, sign_in
from tests.e2e.test_mentors import mentor_email
from tests.waiting import wait

pytestmark = pytest.mark.stack

PAGES = ("/desk/all", "/desk/network", "/desk/outbox", "/desk/report", "/desk/privacy")
WIDTHS = (390, 1280)


def web(stack: Stack) -> str:
    """The desk's address as its sign-in links name it (the session cookie is for this host)."""
    return stack.web_url.replace("127.0.0.1", "localhost")


def new_case(stack: Stack) -> str:
    """A case of its own (a new email and no phone: never joined to another module's case)."""
    tag = uuid.uuid4().hex[:10]
    return make_case(stack, email=f"coord-{tag}@example.org", phone=None, conversation_id=f"coord-{tag}")


def shown(stack: Stack, reference: str) -> dict[str, Any]:
    result = stack.frontdoor("cases", "show", reference, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def about(message: EmailMessage, reference: str) -> bool:
    body = message.get_body(("plain",))
    return reference in str(message["Subject"]) or (body is not None and reference in str(body.get_content()))


@pytest.fixture(scope="module")
def coordinator(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    """A browser context with the coordinator signed in, for the module."""
    context = browser.new_context(locale="fi-FI", viewport={"width": 1280, "height": 900})
    sign_in(context.new_page(), stack, "coordinator")
    yield context
    context.close()


def test_the_coordinator_reassigns_a_case_and_the_new_mentor_is_emailed(stack: Stack, coordinator: BrowserContext) -> None:
    reference = new_case(stack)
    before = shown(stack, reference)["mentor"]
    target = "amk-jussi" if before != "amk-jussi" else "amk-leena"
    page = coordinator.new_page()
    page.goto(f"{web(stack)}/desk/cases/{reference}/reassign")
    page.get_by_label("Uusi mentori").select_option(target)
    page.get_by_label("Viesti uudelle mentorille (vapaaehtoinen)").fill("Tämä sopii sinulle paremmin")
    page.get_by_role("button", name="Siirrä mentorille").click()
    expect(page).to_have_url(f"{web(stack)}/desk/cases/{reference}?said=coord_said_reassigned")
    expect(page.get_by_role("status")).to_contain_text("Tapaus siirrettiin.")

    case = shown(stack, reference)
    assert (case["mentor"], case["status"]) == (target, "assigned")
    moved = [e for e in case["events"] if e["kind"] == "reassigned"]
    assert len(moved) == 1 and moved[0]["actor"] == "coordinator"
    assert moved[0]["detail"] == {
        "from_mentor": before,
        "to_mentor": target,
        "note": "Tämä sopii sinulle paremmin",
        "via": "desk",
    }
    wait(
        lambda: [m for m in stack.mail.inbox.to(mentor_email(target)) if about(m, reference)],
        f"the email to {target} about {reference}",
    )


def _delivered(stack: Stack, reference: str) -> int | None:
    """The id of the case's first email notification once it is delivered."""
    row = _email_row(stack, reference)
    return row.id if row is not None and row.status == "delivered" else None


def _email_row(stack: Stack, reference: str) -> OutboxMessage | None:
    case_id = int(reference.rsplit("-", 1)[1])
    with frontdoor_of(stack).sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.channel == "email")
        return session.execute(query.order_by(OutboxMessage.id)).scalars().first()


def test_the_coordinator_retries_a_given_up_notification(stack: Stack, coordinator: BrowserContext) -> None:
    reference = new_case(stack)
    dead = wait(lambda: _delivered(stack, reference), f"the mentor's email about {reference} to be delivered")
    with frontdoor_of(stack).sessions.begin() as session:
        row = session.get(OutboxMessage, dead)
        assert row is not None
        row.status, row.attempts, row.last_error = "dead", 8, "550 mailbox unavailable"
    page = coordinator.new_page()
    page.goto(f"{web(stack)}/desk/outbox")
    listed = page.locator(f"#outbox-{dead}")
    expect(listed).to_contain_text(reference)
    expect(listed).to_contain_text("550 mailbox unavailable")
    listed.get_by_role("button", name="Yritä uudelleen").click()
    expect(page.get_by_role("status")).to_contain_text("Ilmoitukset palautettiin jonoon")
    expect(page.locator(f"#outbox-{dead}")).to_have_count(0)
    wait(
        lambda: (again := _email_row(stack, reference)) is not None and again.status in ("pending", "sending", "delivered"),
        "the retried notification to be queued or delivered",
    )


def test_the_coordinator_downloads_a_report_csv(stack: Stack, coordinator: BrowserContext, tmp_path: Path) -> None:
    new_case(stack)
    page = coordinator.new_page()
    page.goto(f"{web(stack)}/desk/report")
    expect(page.get_by_role("heading", name="Asiat tarpeittain")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="by_need.csv").click()
    assert download.value.suggested_filename.startswith("by_need-")
    saved = tmp_path / "by_need.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["need", "name", "cases", "share"]
    assert sum(int(row[2]) for row in rows[1:]) >= 1


def test_a_mentor_gets_403_on_every_coordinator_page_never_a_redirect(stack: Stack, browser: Browser) -> None:
    reference = new_case(stack)
    context = browser.new_context(locale="fi-FI")
    try:
        page = context.new_page()
        sign_in(page, stack, "ao-marja")
        for path in (*PAGES, "/desk/report/by_need.csv", f"/desk/cases/{reference}/reassign"):
            answer = page.request.get(f"{web(stack)}{path}", max_redirects=0)
            assert answer.status == 403, (path, answer.status)
        for path in ("/desk/outbox/retry", "/desk/privacy/erase", "/desk/privacy/export"):
            answer = page.request.post(f"{web(stack)}{path}", form={"all": "1"}, max_redirects=0)
            assert answer.status == 403, (path, answer.status)
    finally:
        context.close()


def _check(page: Page, url: str) -> None:
    page.goto(url)
    assert_accessible(page)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, f"{url} scrolls sideways at {page.viewport_size}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_coordinator_page_passes_axe(stack: Stack, coordinator: BrowserContext, width: int) -> None:
    reference = new_case(stack)
    page = coordinator.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    for path in (*PAGES, f"/desk/cases/{reference}/reassign", "/desk/all?overdue=no&page=2"):
        _check(page, f"{web(stack)}{path}")
    page.goto(f"{web(stack)}/desk/privacy")
    page.get_by_label("Sähköposti").first.fill("nobody-here@example.org")
    page.get_by_role("button", name="Näytä, mitä poistetaan").click()
    expect(page.get_by_role("heading", name="Vahvista poisto")).to_be_visible()
    assert_accessible(page)
