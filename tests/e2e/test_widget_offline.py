"""The website widget while Rasa is away, in headless Debian Chromium (Playwright): the session stack's
Rasa server is killed (SIGKILL, as a crash) mid-conversation and ``frontdoor run`` restarts it. The
widget says so in a polite live region, keeps what the customer types meanwhile, sends it once after
the reconnect, and shows nothing twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.test_widget import BOT_TIMEOUT, SAVED, bot_count, bot_says, click_choice, type_and_send
from tests.waiting import wait

WELCOME = "Hei! Kerro omin sanoin"
OFFLINE = re.compile(r"Yhteys katkesi")
# Rasa loads its model again after the restart: minutes on a busy 2-core machine.
RESTART_TIMEOUT = 600


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(locale="fi-FI")
    page = context.new_page()
    page.goto(f"{stack.web_url}/")
    yield page
    context.close()


def texts(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def user_texts_in_rasa(stack: Stack, session: str) -> list[str]:
    events: list[dict[str, Any]] = stack.tracker_events(session)
    return [str(event.get("text")) for event in events if event.get("event") == "user"]


def test_a_message_typed_while_rasa_is_down_is_answered_once_after_it_is_back(page: Page, stack: Stack) -> None:
    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    status = page.locator("#fdw-panel [role='status'][aria-live='polite'].fdw-status")
    expect(status).to_have_count(1)
    expect(status).to_have_text("")
    type_and_send(page, "Tarvitsisimme oppisopimusopiskelijan varastoomme")
    bot_says(page, "Asioitko työnantajan")
    session = page.evaluate(SAVED)["session"]
    bots_before = bot_count(page)

    mark = stack.kill("rasa")
    try:
        # The lost connection is announced politely; what the customer types meanwhile is shown once,
        # marked as waiting, and nothing is answered yet.
        expect(status).to_have_text(OFFLINE, timeout=BOT_TIMEOUT)
        page.get_by_label("Kirjoita viestisi").fill("Työnantajana")
        page.keyboard.press("Enter")
        waiting = page.locator(".fdw-user", has_text="Työnantajana")
        expect(waiting).to_have_count(1)
        expect(waiting.locator(".fdw-waiting")).to_have_text("Odottaa yhteyttä")
        assert bot_count(page) == bots_before
        # Still down while the message waits (not a reconnect that happened to be quick).
        expect(status).to_have_text(OFFLINE)
    finally:
        stack.wait_answering("rasa", since=mark, timeout=RESTART_TIMEOUT)

    # Back: the status is cleared, the waiting message goes out and is answered, once.
    expect(status).to_have_text("", timeout=BOT_TIMEOUT)
    bot_says(page, "Saanko tallentaa")
    expect(page.locator(".fdw-waiting")).to_have_count(0)
    # The conversation goes on from where it was: the answer to the consent question comes after it.
    click_choice(page, "Kyllä, annan luvan")
    type_and_send(page, "Otto Offline")

    users = texts(page, ".fdw-user .fdw-text")
    bots = texts(page, ".fdw-bot .fdw-text")
    assert users == ["Tarvitsisimme oppisopimusopiskelijan varastoomme", "Työnantajana", "Kyllä, annan luvan", "Otto Offline"], (
        users
    )
    assert len(bots) == len(set(bots)), f"a bot message is shown twice: {bots}"
    assert sum(WELCOME in text for text in bots) == 1, bots
    assert sum("Saanko tallentaa" in text for text in bots) == 1, bots
    # What the browser keeps is what it shows (a reload shows the same), without anything still waiting.
    saved = page.evaluate(SAVED)
    assert saved["session"] == session
    assert [entry["text"] for entry in saved["history"] if entry["from"] == "user"] == users
    assert [entry["text"] for entry in saved["history"] if entry["from"] == "bot"] == bots[1:]
    assert not any(entry.get("waiting") for entry in saved["history"]), saved["history"]
    # Rasa got the message typed meanwhile exactly once, in its place in the conversation (the name
    # is stored masked, the consent as the button's payload).
    in_rasa = wait(
        lambda: found if len(found := user_texts_in_rasa(stack, session)) >= len(users) else [],
        "the whole conversation in Rasa's tracker",
        timeout=60,
    )
    assert len(in_rasa) == len(users), in_rasa
    assert in_rasa[:2] == users[:2], in_rasa
