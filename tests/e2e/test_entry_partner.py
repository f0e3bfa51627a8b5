"""Where the customer came in, through the running front door: the widget's ``data-partner`` on the demo
page in headless Chromium, the REST door with a browser's ``Origin``, and a partner's Telegram link.

The session's stack lists its own web origin as ``http://127.0.0.1:<port>`` among Kaakon AMK's sites
(``demo_network_with_site``), and its demo page is Kaakon AMK's (``data-partner="kaakko-amk"``): opened
there, the widget's case is credited to Kaakon AMK; the same page opened as ``http://localhost:<port>``
is another origin, a copied tag, and its case credits nobody."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.rasa.entry import ORIGIN_KEY, PARTNER_KEY
from tests.e2e.conftest import Stack
from tests.e2e.telegram_user import TelegramUser
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
BOT_TIMEOUT = 60_000
SAVED = "() => Object.values(localStorage).map(v => JSON.parse(v))[0]"
CHAT = 861


def case_of(stack: Stack, reference: str) -> dict[str, Any]:
    (case,) = [c for c in stack.cases() if c["reference"] == reference]
    return case


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="fi-FI")
    yield context
    context.close()


def widget_case(
    page: Page, name: str = "Kaisa Kopio", email: str = "kaisa.kopio@example.org", phone: str = "040 111 2233"
) -> str:
    """An employer's case made in the widget on the page; its reference."""

    def send(text: str) -> None:
        before = page.locator(".fdw-bot").count()
        page.get_by_label("Kirjoita viestisi").fill(text)
        page.keyboard.press("Enter")
        wait(lambda: page.locator(".fdw-bot").count() > before, f"an answer to {text!r}", timeout=60)

    def choose(title: str) -> None:
        before = page.locator(".fdw-bot").count()
        page.locator(".fdw-choice", has_text=title).click()
        wait(lambda: page.locator(".fdw-bot").count() > before, f"an answer to {title!r}", timeout=60)

    page.get_by_role("button", name="Kysy osaamisverkostolta").click()
    send("Tarvitsisimme oppisopimusopiskelijan varastoomme")
    choose("Työnantajana / organisaationa")
    choose("Kyllä, annan luvan")
    for answer in (name, "Kopio Logistiikka Oy", email, phone, "Kouvolassa"):
        send(answer)
    choose("Kyllä, lähetä")
    confirmation = page.locator(".fdw-bot .fdw-text").filter(has_text=REFERENCE)
    expect(confirmation).to_have_count(1, timeout=BOT_TIMEOUT)
    reference = REFERENCE.search(confirmation.inner_text())
    assert reference
    return reference.group(0)


def test_the_widget_on_the_partners_own_site_credits_it_and_the_same_tag_elsewhere_does_not(
    browser_context: BrowserContext, stack: Stack
) -> None:
    own_site = browser_context.new_page()
    own_site.goto(f"{stack.web_url}/")  # http://127.0.0.1:<port>: one of Kaakon AMK's sites in the stack's network
    credited = widget_case(own_site)
    session = own_site.evaluate(SAVED)["session"]
    first = next(e for e in stack.tracker_events(session) if e["event"] == "user")
    # The page named its partner; the server wrote the origin the browser gave at the socket's handshake.
    claim = {key: (first.get("metadata") or {}).get(key) for key in (PARTNER_KEY, ORIGIN_KEY)}
    assert claim == {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: stack.web_url}
    assert case_of(stack, credited)["entry_partner"] == "kaakko-amk"
    elsewhere = browser_context.new_page()
    elsewhere.goto(f"{stack.web_url.replace('127.0.0.1', 'localhost')}/")  # the same tag on an origin not listed
    copied = widget_case(elsewhere, name="Kalle Kopio", email="kalle.kopio@example.org", phone="040 111 2234")
    assert case_of(stack, copied)["entry_partner"] is None


def rest_case(stack: Stack, origin: str, name: str, phone: str) -> str:
    """An individual's case over REST from a page at ``origin`` whose widget names Kaakon AMK; its reference."""
    sender = f"entry-{uuid.uuid4().hex[:12]}"

    def say(text: str) -> str:
        body = {"sender": sender, "message": text, "metadata": {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "http://localhost:8080"}}
        reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers={"Origin": origin}, timeout=120)
        reply.raise_for_status()
        return "\n".join(m.get("text", "") for m in reply.json())

    assert "Saanko tallentaa" in say("Etsin töitä, olen ollut työttömänä puoli vuotta")
    assert "nimesi" in say("/affirm")
    for text in (name, "ohita", phone):
        say(text)
    assert "Hamina" in say("Haminassa")
    done = say("/affirm")
    reference = REFERENCE.search(done)
    assert reference, done
    return reference.group(0)


def test_a_case_from_a_partners_own_site_is_credited_and_from_elsewhere_not(stack: Stack) -> None:
    # http://localhost:8080 is one of Kaakon AMK's sites in the demo network (`make run`'s demo page).
    # What the page wrote under the server's key (above: the same site) counts for nothing.
    own = rest_case(stack, "http://localhost:8080", "Outi Omasivu", "0401112201")
    copied = rest_case(stack, "https://copycat.example", "Kalle Kopiosivu", "0401112202")
    assert case_of(stack, own)["entry_partner"] == "kaakko-amk"
    assert case_of(stack, copied)["entry_partner"] is None


def test_a_partners_telegram_link_is_credited(stack: Stack) -> None:
    user = TelegramUser(stack, CHAT)
    user.say("/start kymi-ammattiopisto", "Kerro omin sanoin")
    consent = user.say("Etsin töitä, olen ollut työttömänä puoli vuotta", "Saanko tallentaa")
    user.press(consent, "Kyllä, annan luvan", "nimesi")
    user.say("Linnea Linkki", "sähköpostiosoitteeseen")
    user.say("ohita", "puhelinnumerosi")
    user.say("0401112203", "Missä kunnassa")
    summary = user.say("Haminassa", "Hamina")
    done = user.press(summary, "Kyllä, lähetä", "FD-")
    reference = REFERENCE.search(done["text"])
    assert reference
    case = case_of(stack, reference.group(0))
    assert (case["channel"], case["entry_partner"]) == ("telegram", "kymi-ammattiopisto")
