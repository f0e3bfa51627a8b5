"""Signing in to the desk in a real browser against the running front door and its SMTP server: a link by
email, a case link from a notification that leads through sign-in back to the case, signing out, and
axe-core on the sign-in pages at phone and desktop widths.

The stack's sign-in limit is ten requests a minute per client, and every test comes from 127.0.0.1: this
module asks for a link by email twice; other links come from ``frontdoor desk link``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.desk import assert_accessible, frontdoor_of, make_case, sign_in
from tests.waiting import wait

LINK = re.compile(r"https?://\S+/desk/link/[A-Za-z0-9_-]+")
WIDTHS = (390, 1280)


def customer() -> dict[str, Any]:
    """A customer of their own (the register joins a repeated request from the same email to the first case)."""
    tag = uuid.uuid4().hex[:10]
    return {"email": f"signin-{tag}@example.org", "conversation_id": f"signin-{tag}", "phone": None}


def desk_url(stack: Stack, path: str = "/desk/") -> str:
    """The desk as its links name it (FRONTDOOR_PUBLIC_URL: localhost, so the cookies stay on one host)."""
    return f"{stack.web_url.replace('127.0.0.1', 'localhost')}{path}"


def holder_of(stack: Stack, reference: str) -> tuple[str, str]:
    """The mentor who holds the case, and their email address in the network file."""
    frontdoor = frontdoor_of(stack)
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["mentor"]
    mentor = frontdoor.network.mentor(str(shown["mentor"]))
    assert mentor is not None
    return mentor.id, next(c.address for c in mentor.channels if c.kind == "email" and c.address)


def sign_in_mails(stack: Stack, address: str) -> list[EmailMessage]:
    return [m for m in stack.mail.inbox.to(address) if "Kirjautumislinkki" in str(m["Subject"])]


def ask_for_link_by_email(page: Page, stack: Stack, address: str) -> str:
    """Type the address into the sign-in form on the page, send it, and read the link from the new email."""
    before = len(sign_in_mails(stack, address))
    page.get_by_label("Sähköposti").fill(address)
    page.get_by_role("button", name="Lähetä kirjautumislinkki").click()
    expect(page.get_by_role("heading", name="Katso sähköpostisi")).to_be_visible()

    def arrived() -> list[EmailMessage]:
        found = sign_in_mails(stack, address)
        return found if len(found) > before else []

    mails = wait(arrived, "the sign-in email")
    link = LINK.search(mails[-1].get_content())
    assert link, mails[-1].get_content()
    return link.group(0)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A browser of its own, in Finnish (the desk follows the browser's language until someone signs in)."""
    context = browser.new_context(locale="fi-FI")
    yield context.new_page()
    context.close()


def test_a_mentor_asks_for_a_link_by_email_and_lands_on_their_cases(stack: Stack, page: Page) -> None:
    reference = make_case(stack, **customer())
    mentor, address = holder_of(stack, reference)
    page.goto(desk_url(stack))
    link = ask_for_link_by_email(page, stack, address)
    assert link.startswith(desk_url(stack, "/desk/link/"))
    page.goto(link)
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page).to_have_url(desk_url(stack))
    name = frontdoor_of(stack).network.mentor(mentor)
    assert name is not None
    expect(page.get_by_text(f"Kirjautuneena: {name.name}")).to_be_visible()
    expect(page.get_by_text(reference).first).to_be_visible()
    # Used once: the same link now only says so.
    page.goto(link)
    expect(page.get_by_role("heading", name="Linkki ei enää kelpaa")).to_be_visible()


def test_a_case_link_in_a_notification_leads_through_sign_in_back_to_the_case(stack: Stack, page: Page) -> None:
    reference = make_case(stack, **customer())
    _mentor, address = holder_of(stack, reference)
    notices = wait(
        lambda: [m for m in stack.mail.inbox.to(address) if reference in str(m["Subject"])], "the case's email notification"
    )
    case_link = re.search(rf"https?://\S+/desk/cases/{reference}", notices[0].get_content())
    assert case_link and case_link.group(0) == desk_url(stack, f"/desk/cases/{reference}"), notices[0].get_content()
    page.goto(case_link.group(0))
    expect(page).to_have_url(re.compile(r"/desk/\?next="))
    expect(page.get_by_text("Kirjaudu ensin, niin pääset suoraan tapaukseen.")).to_be_visible()
    page.goto(ask_for_link_by_email(page, stack, address))
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page).to_have_url(case_link.group(0))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_the_sign_in_pages_are_accessible_at_phone_and_desktop_widths(stack: Stack, page: Page) -> None:
    printed = stack.frontdoor("desk", "link", "--as", "ao-pekka")
    assert printed.returncode == 0, printed.stderr
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(desk_url(stack))
        expect(page.get_by_role("heading", name="Kirjaudu työpöydälle")).to_be_visible()
        assert_accessible(page)
        page.goto(desk_url(stack, f"/desk/?next=/desk/cases/{'FD-2026-00001'}"))
        assert_accessible(page)
        page.goto(printed.stdout.strip())  # looking at the link uses nothing up
        expect(page.get_by_role("button", name="Kirjaudu")).to_be_visible()
        assert_accessible(page)
        page.goto(desk_url(stack, "/desk/link/not-a-link"))
        expect(page.get_by_role("heading", name="Linkki ei enää kelpaa")).to_be_visible()
        assert_accessible(page)
    page.goto(printed.stdout.strip())
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_text("Kirjautuneena: Pekka")).to_be_visible()


def test_signing_out_ends_the_session(stack: Stack, page: Page) -> None:
    sign_in(page, stack, "ty-anna")
    page.get_by_role("button", name="Kirjaudu ulos").click()
    expect(page.get_by_text("Olet kirjautunut ulos.")).to_be_visible()
    expect(page.get_by_label("Sähköposti")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "fd_desk"]
    # A page of the desk now sends the browser to sign in first.
    page.goto(desk_url(stack, "/desk/availability"))
    expect(page).to_have_url(desk_url(stack, "/desk/?next=%2Fdesk%2Favailability"))
    expect(page.get_by_label("Sähköposti")).to_be_visible()
