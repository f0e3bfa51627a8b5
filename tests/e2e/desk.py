"""What the desk's browser tests share: signing a person in, making a case in the running stack's
register, and checking a page with axe-core."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from bot.app import FrontDoor, create_frontdoor
from bot.register.cases import Intake
from bot.settings import Settings
from tests.e2e.conftest import Stack

# A customer's request as the bot would take it; tests change what they need with ``replace``.
EMPLOYER = Intake(
    need="apprenticeship",
    customer_type="employer",
    consent=True,
    channel="rest",
    language="fi",
    contact_name="Maija Meikäläinen",
    organization="Kuljetus Virtanen Oy",
    email="maija.desk@example.org",
    phone="+358401234567",
    municipality="Kouvola",
    sector="logistics",
    need_text="Tarvitsemme oppisopimusopiskelijan varastoon",
    conversation_id="desk-conv-1",
    privacy_notice_version="2026-11-24",
)


@functools.cache
def register_of(database_url: str, network: str | None) -> FrontDoor:
    """The stack's own register and network, opened from the test (the same services the stack runs)."""
    env = {"FRONTDOOR_DATABASE_URL": database_url, **({"FRONTDOOR_NETWORK": network} if network else {})}
    return create_frontdoor(Settings.from_env(env), migrate=False)


def frontdoor_of(stack: Stack) -> FrontDoor:
    return register_of(stack.database_url, stack.env.get("FRONTDOOR_NETWORK"))


def make_case(stack: Stack, **changes: Any) -> str:
    """A new case in the stack's register, routed and notified as the bot would make it; its reference."""
    return frontdoor_of(stack).cases.create_case(replace(EMPLOYER, **changes)).reference


def sign_in(page: Page, stack: Stack, person_id: str, next_path: str | None = None) -> None:
    """Sign ``person_id`` in through a link from ``frontdoor desk link`` and its "Kirjaudu" button."""
    args = ["desk", "link", "--as", person_id, *(["--next", next_path] if next_path else [])]
    printed = stack.frontdoor(*args)
    assert printed.returncode == 0, printed.stderr
    page.goto(printed.stdout.strip())
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page).to_have_url(f"{stack.web_url.replace('127.0.0.1', 'localhost')}{next_path or '/desk/'}")


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]
    assert results.response["passes"], "axe ran no checks"
