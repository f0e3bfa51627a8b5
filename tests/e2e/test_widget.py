"""The website widget in headless Debian Chromium (Playwright), on the demo partner page that
``frontdoor run`` serves, talking to the real Rasa server over socket.io."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.conftest import Stack
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
BOT_TIMEOUT = 60_000
# What the widget keeps in the browser (one entry: this page's Rasa server).
SAVED = "() => Object.values(localStorage).map(v => JSON.parse(v))[0]"


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(locale="fi-FI")
    page = context.new_page()
    page.alerts = []  # type: ignore[attr-defined]

    def dismiss(dialog: Dialog) -> None:
        page.alerts.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(f"{stack.web_url}/")
    yield page
    context.close()


def bot_says(page: Page, text: str) -> None:
    expect(page.locator(".fdw-bot .fdw-text").filter(has_text=text).last).to_be_visible(timeout=BOT_TIMEOUT)


def bot_count(page: Page) -> int:
    return page.locator(".fdw-bot").count()


def type_and_send(page: Page, text: str, expect_reply: bool = True) -> None:
    before = bot_count(page)
    page.get_by_label("Kirjoita viestisi").fill(text)
    page.keyboard.press("Enter")
    if expect_reply:
        wait(lambda: bot_count(page) > before, f"an answer to {text!r}", timeout=60)


def click_choice(page: Page, title: str) -> None:
    before = bot_count(page)
    page.locator(".fdw-choice", has_text=title).click()
    wait(lambda: bot_count(page) > before, f"an answer to the button {title!r}", timeout=60)


def case_with(stack: Stack, reference: str) -> dict[str, object]:
    (case,) = [c for c in stack.cases() if c["reference"] == reference]
    return case


def test_an_employer_reaches_a_case_in_the_widget_across_a_reload(page: Page, stack: Stack) -> None:
    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    expect(page.get_by_role("region", name="Osaamisverkoston etuovi")).to_be_visible()
    type_and_send(page, "Tarvitsisimme oppisopimusopiskelijan varastoomme")
    bot_says(page, "Asioitko työnantajan")
    click_choice(page, "Työnantajana / organisaationa")
    bot_says(page, "Saanko tallentaa")
    click_choice(page, "Kyllä, annan luvan")
    type_and_send(page, "Maija Widget")

    # A reload in the middle keeps the conversation: the same session, the messages still shown.
    page.reload()
    expect(page.locator(".fdw-user .fdw-text", has_text="Maija Widget")).to_be_visible()
    expect(page.get_by_label("Kirjoita viestisi")).to_be_visible()
    page.wait_for_function("() => window.io !== undefined")

    type_and_send(page, "Kuljetus Widget Oy")
    type_and_send(page, "maija.widget@example.org")
    type_and_send(page, "040 765 4321")
    type_and_send(page, "Kouvolassa")
    bot_says(page, "Tarkistetaan")
    click_choice(page, "Kyllä, lähetä")
    # The case's reference, then the drafted competence path: two messages, their links clickable.
    confirmation = page.locator(".fdw-bot .fdw-text").filter(has_text=REFERENCE)
    expect(confirmation).to_have_count(1, timeout=BOT_TIMEOUT)
    reference = REFERENCE.search(confirmation.inner_text())
    assert reference, confirmation.inner_text()
    suggestions = page.locator(".fdw-bot .fdw-text").filter(has_text="Verkoston tarjonnasta")
    expect(suggestions).to_have_count(1, timeout=BOT_TIMEOUT)
    assert suggestions.locator("a[href^='https://']").count() >= 2
    case = case_with(stack, reference.group(0))
    assert case["channel"] == "web" and case["need"] == "apprenticeship" and case["municipality"] == "Kouvola"
    # Links in bot messages are real links; the privacy notice was one.
    assert page.locator(".fdw-bot a[href*='/privacy/fi.html']").count() >= 1


def test_the_open_widget_has_no_serious_accessibility_violations(page: Page) -> None:
    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    type_and_send(page, "Tarvitsisimme oppisopimusopiskelijan varastoomme")
    bot_says(page, "Asioitko työnantajan")
    results = Axe().run(page, context=".fdw")
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]
    assert results.response["passes"], "axe ran no checks"


def test_html_from_the_user_is_shown_as_text(page: Page) -> None:
    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    type_and_send(page, "<img src=x onerror=alert(1)>")
    expect(page.locator(".fdw-user .fdw-text").last).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator(".fdw img").count() == 0
    assert page.alerts == []  # type: ignore[attr-defined]


def test_a_keyboard_only_conversation_reaches_a_case(page: Page, stack: Stack) -> None:
    keyboard = page.keyboard
    # Tab from the top of the page to the launcher: it is reachable and opens with Enter.
    for _ in range(40):
        keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.classList.contains('fdw-launcher')"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "fdw-input"

    def send(text: str) -> None:
        before = bot_count(page)
        keyboard.type(text)
        keyboard.press("Enter")
        wait(lambda: bot_count(page) > before, f"an answer to {text!r}", timeout=60)

    def choose(title: str) -> None:
        # From the input, Shift+Tab walks back through the answer buttons.
        before = bot_count(page)
        for _ in range(12):
            keyboard.press("Shift+Tab")
            if page.evaluate("() => document.activeElement.textContent") == title:
                break
        else:
            pytest.fail(f"no button {title!r} reachable with the keyboard")
        keyboard.press("Enter")
        wait(lambda: bot_count(page) > before, f"an answer to {title!r}", timeout=60)
        # The widget puts the focus back in the input after a button.
        assert page.evaluate("() => document.activeElement.id") == "fdw-input"

    send("Etsin töitä, olen ollut työttömänä puoli vuotta")
    bot_says(page, "Saanko tallentaa")
    choose("Kyllä, annan luvan")
    send("Kalle Näppäimistö")
    send("kalle.nappaimisto@example.org")
    send("040 111 2222")
    send("Haminassa")
    bot_says(page, "Tarkistetaan")
    choose("Kyllä, lähetä")
    reference = REFERENCE.search(page.locator(".fdw-bot .fdw-text").last.inner_text())
    assert reference
    assert case_with(stack, reference.group(0))["channel"] == "web"


def test_the_widget_links_the_privacy_notice_and_forgets_an_erased_conversation(page: Page, stack: Stack) -> None:
    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    link = page.locator("#fdw-panel").get_by_role("link", name="Tietosuojaseloste")
    expect(link).to_have_attribute("href", f"{stack.web_url}/privacy/fi.html")
    type_and_send(page, "Tarvitsisimme oppisopimusopiskelijan varastoomme")
    bot_says(page, "Asioitko työnantajan")
    session = page.evaluate(SAVED)["session"]

    type_and_send(page, "poista tietoni")
    bot_says(page, "Poistanko")
    # (The answer replaces the conversation shown, so click_choice's "one more answer" cannot be awaited.)
    page.locator(".fdw-choice", has_text="Kyllä, poista").click()
    # Only the bot's last words stay, under a new session id.
    wait(lambda: len(page.evaluate(SAVED)["history"]) == 1, "the widget to forget the conversation", timeout=60)
    bot_says(page, "Tietosi on poistettu")
    saved = page.evaluate(SAVED)
    assert saved["session"] != session and "Tietosi on poistettu" in saved["history"][0]["text"]
    expect(page.locator(".fdw-user")).to_have_count(0)
