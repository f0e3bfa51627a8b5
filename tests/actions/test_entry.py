"""The case records the partner the customer came in through, from the conversation's events as the
action server gets them: a widget on the partner's own site, a partner's Telegram link; nothing else."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import Services, build_services
from actions.submit import ActionSubmitCase
from bot.rasa.entry import DEEP_LINK_KEY, ORIGIN_KEY, PARTNER_KEY
from bot.settings import Settings

INDIVIDUAL: dict[str, Any] = {
    "language": "fi",
    "need": "job_search",
    "need_text": "Etsin töitä Kotkasta",
    "customer_type": "individual",
    "consent": True,
    "contact_name": "Eino Esimerkki",
    "email": "-",
    "phone": "0401234567",
    "municipality": "Kotka",
    "awaiting_confirmation": True,
}
PEOPLE = itertools.count(1)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("entry")
    settings = Settings(database_url=f"sqlite:///{folder / 'cases.db'}", catalogue_dir=Path(folder / "catalogue"))
    built = build_services(settings)
    yield built
    built.frontdoor.engine.dispose()


def submit(
    services: Services, first: dict[str, Any] | None, channel: str = "socketio", before: Sequence[dict[str, Any]] = ()
) -> Any:
    """A case from a conversation whose request's first message carried ``first`` as metadata, after the
    events ``before`` (the conversation's earlier life); the case's ``entry_partner``."""
    events: list[dict[str, Any]] = [
        *before,
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "Etsin töitä", "input_channel": channel, "metadata": first},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "kyllä", "input_channel": channel, "metadata": {}},
    ]
    latest = {"text": "kyllä", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    # Each a person of their own: the same person's second request would join their first case.
    person = next(PEOPLE)
    slots = {**INDIVIDUAL, "contact_name": f"Eino Esimerkki {person}", "phone": f"04012345{person:02d}"}
    tracker = Tracker(f"entry-{person}", slots, latest, events, False, None, {"name": channel}, "action_listen")
    result = asyncio.run(ActionSubmitCase(services).run(CollectingDispatcher(), tracker, {}))
    (reference,) = [e["value"] for e in result if e.get("name") == "case_reference"]
    shown = services.frontdoor.cases.show_case(reference)
    assert shown is not None
    return shown["entry_partner"]


def test_the_widget_on_the_partners_own_site_is_recorded(services: Services) -> None:
    assert submit(services, {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://www.kaakko-amk.example"}) == "kaakko-amk"


def test_a_copied_tag_or_a_page_without_a_partner_is_not(services: Services) -> None:
    assert submit(services, {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"}) is None
    assert submit(services, {PARTNER_KEY: "kymi-ammattiopisto", ORIGIN_KEY: "https://www.kaakko-amk.example"}) is None
    assert submit(services, None) is None


def test_a_partners_telegram_link_is_recorded(services: Services) -> None:
    link = {DEEP_LINK_KEY: "kymi-ammattiopisto", "telegram_language": "fi"}
    assert submit(services, link, channel="telegram_bridge") == "kymi-ammattiopisto"
    assert submit(services, {DEEP_LINK_KEY: "nobody"}, channel="telegram_bridge") is None


def earlier_case(first: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    """A conversation's earlier request whose first message carried ``first``, ended by its case."""
    return [
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/start", "input_channel": channel, "metadata": first},
        {"event": "action", "name": "action_submit_case"},
        {"event": "slot", "name": "case_reference", "value": "FD-2024-0001"},
        {"event": "slot", "name": "need", "value": None},
    ]


def test_a_claim_made_for_an_earlier_case_credits_no_later_one(services: Services) -> None:
    # A Telegram chat is one long conversation: the partner's link of a year ago made the first case only.
    link = {DEEP_LINK_KEY: "kymi-ammattiopisto"}
    assert submit(services, {}, "telegram_bridge", before=earlier_case(link, "telegram_bridge")) is None
    own = {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://www.kaakko-amk.example"}
    assert submit(services, None, before=earlier_case(own, "socketio")) is None
    # Nor does one from an earlier session, whether or not it made a case.
    old_session: list[dict[str, Any]] = [
        {"event": "session_started"},
        {"event": "user", "input_channel": "socketio", "metadata": own},
    ]
    assert submit(services, None, before=[*old_session, {"event": "session_started"}]) is None


def test_a_claim_made_for_this_case_is_recorded_after_earlier_cases(services: Services) -> None:
    link = {DEEP_LINK_KEY: "kymi-ammattiopisto"}
    before = earlier_case({}, "telegram_bridge")
    assert submit(services, link, "telegram_bridge", before=before) == "kymi-ammattiopisto"
    own = {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://www.kaakko-amk.example"}
    copied = {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"}
    assert submit(services, own, before=earlier_case(copied, "socketio")) == "kaakko-amk"
