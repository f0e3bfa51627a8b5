"""The mentor's desk in a real browser against the running front door: working a case by keyboard
alone, declining and forwarding, time away, who sees what, accessibility at phone and desktop widths,
and the customer's own words shown as text.

The stack is shared with other modules: each test makes its own cases with its own customer (the
register joins a repeated request from the same email or phone to the first case) and looks only at them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.register.availability import Availability
from bot.register.lifecycle import today_in
from tests.e2e.conftest import Stack
from tests.e2e.desk import assert_accessible, frontdoor_of, make_case, sign_in
from tests.e2e.test_desk_signin import LINK, sign_in_mails
from tests.e2e.test_mentors import mentor_email
from tests.waiting import wait

# A request that only Kymen yrityskehitys fits best (logistics, Kouvola), and it has one mentor: Tiina.
RECRUITMENT = {"need": "recruitment", "sector": "logistics", "municipality": "Kouvola", "need_text": "Haemme kahta kuljettajaa"}
TIINA = "yk-tiina"
TAB_LIMIT = 200


def customer() -> dict[str, Any]:
    """A customer of their own: an email and a conversation nobody else uses, no phone."""
    tag = uuid.uuid4().hex[:10]
    return {"email": f"desk-{tag}@example.org", "conversation_id": f"desk-{tag}", "phone": None}


def shown(stack: Stack, reference: str) -> dict[str, Any]:
    """The case as ``frontdoor cases show --json`` gives it."""
    result = stack.frontdoor("cases", "show", reference, "--json")
    assert result.returncode == 0, result.stderr
    case: dict[str, Any] = json.loads(result.stdout)
    return case


def last_event(stack: Stack, reference: str, kind: str) -> dict[str, Any]:
    return next(e for e in reversed(shown(stack, reference)["events"]) if e["kind"] == kind)


def mail_about(stack: Stack, address: str, reference: str) -> list[Any]:
    return [m for m in stack.mail.inbox.to(address) if reference in str(m["Subject"])]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the focused control's text is ``name`` (as a keyboard user would)."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement?.innerText || '').trim()")
        if focused == name:
            return
    raise AssertionError(f"no control named {name!r} within {TAB_LIMIT} presses of Tab on {page.url}")


def tab_to_field(page: Page, field_id: str) -> None:
    """Press Tab until the form field with this id has the focus."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id || ''") == field_id:
            return
    raise AssertionError(f"no field #{field_id} within {TAB_LIMIT} presses of Tab on {page.url}")


def case_path(reference: str) -> str:
    return f"/desk/cases/{reference}"


# -- (1) a case from arrival to closing, by keyboard alone --------------------------------------
def test_a_mentor_signs_in_by_email_and_accepts_contacts_and_closes_a_case_by_keyboard_alone(stack: Stack, page: Page) -> None:
    who = customer()
    reference = make_case(stack, **who)
    mentor = shown(stack, reference)["mentor"]
    # The mentor asks for a sign-in link with their address, typed, and reads it from the email.
    address = mentor_email(mentor)
    before = len(sign_in_mails(stack, address))
    page.goto(f"{stack.web_url.replace('127.0.0.1', 'localhost')}/desk/?lang=fi")
    tab_to_field(page, "email")
    page.keyboard.type(address)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Katso sähköpostisi")).to_be_visible()
    mails = wait(lambda: sign_in_mails(stack, address)[before:], "the sign-in email", 60)
    link = LINK.search(mails[-1].get_content())
    assert link is not None
    page.goto(link.group(0))
    tab_to(page, "Kirjaudu")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/desk/$"))
    expect(page.get_by_role("link", name=reference)).to_be_visible()

    tab_to(page, reference)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"{case_path(reference)}$"))
    tab_to(page, "Hyväksy")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Hyväksyit tapauksen")
    accepted = last_event(stack, reference, "accepted")
    assert shown(stack, reference)["status"] == "accepted"
    assert (accepted["actor"], accepted["detail"]["via"]) == (mentor, "desk")
    # The customer hears of it as they would after an acceptance on Telegram.
    wait(lambda: mail_about(stack, who["email"], reference), "the customer's 'case accepted' email", 60)

    tab_to(page, "Yhteys otettu")
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("Merkitsit, että olet ottanut yhteyttä")
    contacted = last_event(stack, reference, "contacted")
    assert shown(stack, reference)["status"] == "contacted"
    assert (contacted["actor"], contacted["detail"]["via"]) == (mentor, "desk")

    # What came of it: the first outcome ("served by the network", its partner ticked already), chosen by keyboard.
    tab_to_field(page, "outcome-served")
    page.keyboard.press("Space")
    tab_to(page, "Sulje")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Suljit tapauksen")
    closed = last_event(stack, reference, "closed")
    case = shown(stack, reference)
    assert case["status"] == "closed" and case["outcome"] == "served" and case["delivered_by"] == [case["partner"]]
    assert (closed["actor"], closed["detail"]["via"], closed["detail"]["outcome"]) == (mentor, "desk", "served")
    expect(page.get_by_role("button", name="Sulje", exact=True)).to_have_count(0)


# -- (2) declining and forwarding --------------------------------------------------------------
def test_a_mentor_declines_one_case_and_forwards_another_and_the_next_mentors_are_told(stack: Stack, page: Page) -> None:
    declined = make_case(stack, **RECRUITMENT, **customer())
    forwarded = make_case(stack, **RECRUITMENT, **customer())
    assert shown(stack, declined)["mentor"] == shown(stack, forwarded)["mentor"] == TIINA
    sign_in(page, stack, TIINA, case_path(declined))
    page.get_by_label("Syy (valinnainen)").fill("Lomalla kaksi viikkoa")
    page.get_by_role("button", name="Kieltäydy", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Kieltäydyit tapauksesta")
    expect(page.get_by_text("et muuttaa sitä")).to_be_visible()  # still hers to read
    event = last_event(stack, declined, "declined")
    assert (event["actor"], event["detail"]["reason"], event["detail"]["via"]) == (TIINA, "Lomalla kaksi viikkoa", "desk")
    next_mentor = shown(stack, declined)["mentor"]
    assert next_mentor not in (None, TIINA)
    wait(lambda: mail_about(stack, mentor_email(next_mentor), declined), f"{next_mentor}'s email of the declined case", 60)

    page.goto(page.url.split("/desk/")[0] + case_path(forwarded))
    page.get_by_label("Kumppani", exact=True).select_option(label="Kymenlaakson työllisyyspalvelut (demo)")
    page.get_by_label("Viesti vastaanottajalle (valinnainen)").fill("Rekrytointi kuuluu teille")
    page.get_by_role("button", name="Siirrä", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Siirsit tapauksen")
    event = last_event(stack, forwarded, "forwarded")
    assert event["actor"] == TIINA and event["detail"]["to_partner"] == "kymi-tyollisyys"
    assert (event["detail"]["note"], event["detail"]["via"]) == ("Rekrytointi kuuluu teille", "desk")
    case = shown(stack, forwarded)
    assert case["partner"] == "kymi-tyollisyys" and case["mentor"] in ("ty-anna", "ty-mikko")
    wait(
        lambda: mail_about(stack, mentor_email(case["mentor"]), forwarded), f"{case['mentor']}'s email of the forwarded case", 60
    )


# -- (3) time away -----------------------------------------------------------------------------
def test_a_mentor_away_gets_no_new_case(stack: Stack, page: Page) -> None:
    before = make_case(stack, **RECRUITMENT, **customer())
    assert shown(stack, before)["mentor"] == TIINA  # the kind of case that goes to her
    register = frontdoor_of(stack)
    today = today_in(register.clock(), register.network)  # the network's own day, not the host's
    sign_in(page, stack, TIINA, "/desk/availability")
    try:
        page.get_by_label("Ensimmäinen poissaolopäivä").fill(today.isoformat())
        page.get_by_label("Viimeinen poissaolopäivä").fill((today + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Lisää poissaolo").click()
        expect(page.get_by_role("status")).to_contain_text("Poissaolo lisättiin")
        after = make_case(stack, **RECRUITMENT, **customer())
        assert shown(stack, after)["mentor"] not in (None, TIINA)
        page.get_by_role("button", name=re.compile(r"^Poista")).click()
        expect(page.get_by_role("status")).to_contain_text("Poissaolo poistettiin")
    finally:  # the stack is shared: Tiina is back for the other modules whatever happened here
        availability = Availability(frontdoor_of(stack).sessions, frontdoor_of(stack).networks.current)
        for period in availability.of(TIINA).away:
            if period.id is not None:
                availability.remove_away(TIINA, period.id)


# -- (4) another mentor's case -------------------------------------------------------------------
def test_another_mentors_case_answers_404(stack: Stack, page: Page) -> None:
    reference = make_case(stack, **customer())
    assert shown(stack, reference)["mentor"] != TIINA
    sign_in(page, stack, TIINA)
    answer = page.goto(page.url.split("/desk/")[0] + case_path(reference))
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_contain_text("Sivua tai tapausta ei löydy")
    expect(page.get_by_text(reference)).to_have_count(0)


# -- (5) accessibility --------------------------------------------------------------------------
@pytest.mark.parametrize("width", [390, 1280])
def test_the_inbox_and_a_case_page_pass_axe_at_phone_and_desktop_widths(stack: Stack, browser: Browser, width: int) -> None:
    reference = make_case(stack, **customer())
    mentor = shown(stack, reference)["mentor"]
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, stack, mentor)
        for path in ("/desk/", case_path(reference), *(["/desk/availability"] if mentor != "coordinator" else [])):
            page.goto(page.url.split("/desk/")[0] + path)
            expect(page.locator("h1")).to_be_visible()
            assert_accessible(page)
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), f"{path} scrolls sideways"
    finally:
        context.close()


# -- (6) the customer's words are text -------------------------------------------------------------
def test_html_in_the_customers_words_shows_as_text(stack: Stack, page: Page) -> None:
    words = '<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2"><b>Tarvitsemme</b> apua'
    reference = make_case(stack, need_text=words, **customer())
    sign_in(page, stack, shown(stack, reference)["mentor"], case_path(reference))
    expect(page.locator("p.words")).to_have_text(words)
    assert page.evaluate("() => window.pwned === undefined")
    expect(page.locator("p.words b")).to_have_count(0)
