"""Mentors on Telegram: the real python-telegram-bot client against a local Bot API stand-in.

A case reaches the mentor's Telegram with buttons; pressing them (callback
queries through getUpdates) drives the case; the customer hears back; a
Telegram user who is not a linked mentor gets nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from starlette.testclient import TestClient
from telegram.ext import Application

from bot.app import FrontDoor, create_frontdoor
from bot.delivery.notifiers.webhook import SIGNATURE_HEADER, verify
from bot.desk import DeskAccess, create_web_app
from bot.doors.mentor_bot import MentorBot
from bot.ops.worker import make_bot
from bot.register.mentors import InviteError
from bot.register.models import OUTCOMES, DeskLink
from tests.bot.delivery.common import (
    CUSTOMER_TOKEN,
    LEENA_TELEGRAM,
    MENTOR_TOKEN,
    SECRET,
    STRANGER_TELEGRAM,
    catalogue_file,
    delivery_settings,
    intake,
    running,
    running_worker,
)
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

ANNA_TELEGRAM = 502


@pytest.fixture
def app(tmp_path: Path, api: TelegramApi, mail: MailServer, hook: WebhookReceiver) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(delivery_settings(tmp_path, api.url, mail.url, hook.url))
    yield frontdoor
    frontdoor.engine.dispose()


def link(api: TelegramApi, app: FrontDoor, user_id: int = LEENA_TELEGRAM) -> None:
    """The mentor opens the invite link: ``/start CODE`` in the mentors' bot."""
    code = app.mentors.invite("leena")
    api.type(MENTOR_TOKEN, user_id, f"/start {code}")
    api.wait_for(lambda: any("Leena" in m["text"] for m in api.sent_to(MENTOR_TOKEN, user_id)), what="the link reply")


def card_for(api: TelegramApi, reference: str, chat: int = LEENA_TELEGRAM) -> dict[str, Any]:
    return api.wait_for(
        lambda: next((m for m in api.sent_to(MENTOR_TOKEN, chat) if reference in m["text"]), None),
        what=f"the notification of {reference}",
    )


def at_least(count: int, items: list[Any]) -> list[Any] | None:
    """``items`` once there are ``count`` of them (for waiting)."""
    return items if len(items) >= count else None


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def status(app: FrontDoor, reference: str) -> str:
    shown = app.cases.show_case(reference)
    assert shown is not None
    return str(shown["status"])


def test_a_case_reaches_the_mentor_who_accepts_it_with_a_button_and_the_customer_is_told(
    app: FrontDoor, api: TelegramApi, mail: MailServer, hook: WebhookReceiver
) -> None:
    with running_worker(app):
        link(api, app)
        receipt = app.cases.create_case(intake())
        reference = receipt.reference
        card = card_for(api, reference)
        # The customer's words arrive as text: escaped for Telegram's HTML.
        assert "<img" not in card["text"] and "&lt;img src=x onerror=alert(1)&gt;" in card["text"]
        assert "Maija Meikäläinen" in card["text"] and "Henkilöstön" in card["text"]
        assert buttons(card) == [f"accept:{reference}", f"decline:{reference}", f"forward:{reference}"]

        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"accept:{reference}")
        wait(lambda: status(app, reference) == "accepted", "the case to be accepted")
        edited = api.wait_for(lambda: [e for e in api.bots[MENTOR_TOKEN].edits if reference in e["text"]], what="the edit")
        assert [b["callback_data"] for row in edited[-1]["reply_markup"]["inline_keyboard"] for b in row] == [
            f"contacted:{reference}",
            f"forward:{reference}",
            f"close:{reference}",
        ]
        # The customer came by the website (REST) and gave an email: told there, in Finnish.
        news = wait(lambda: mail.inbox.to("maija@example.org"), "the customer's email")
        assert reference in news[0]["Subject"]
        body = news[0].get_content()
        assert "Leena Osaaja" in body and "Kaakon AMK (testi)" in body and body.startswith("Hei Maija Meikäläinen!")

        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"contacted:{reference}")
        wait(lambda: status(app, reference) == "contacted", "contacted")
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"close:{reference}")
        asked = api.wait_for(
            lambda: [e for e in api.bots[MENTOR_TOKEN].edits if "Mitä asiasta" in e["text"]], what="the outcomes to choose from"
        )
        choices = [b["callback_data"] for row in asked[-1]["reply_markup"]["inline_keyboard"] for b in row]
        assert choices[:5] == [f"end:{reference}:{o}" for o in OUTCOMES] and choices[5] == f"show:{reference}"
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"end:{reference}:served")
        wait(lambda: status(app, reference) == "closed", "closed")
        # Every notification of the case went out once: email and webhook to Leena too.
        wait(lambda: mail.inbox.to("leena@example.org"), "Leena's email")
        wait(lambda: hook.received, "the webhook")
    shown = app.cases.show_case(reference)
    assert shown is not None
    actors = [(e["kind"], e["actor"]) for e in shown["events"]]
    assert ("accepted", "leena") in actors and ("contacted", "leena") in actors and ("closed", "leena") in actors
    # The case's history says which door each act came through.
    assert [e["detail"]["via"] for e in shown["events"] if e["actor"] == "leena"] == ["telegram"] * 3
    assert {(n["channel"], n["status"]) for n in shown["notifications"]} == {
        ("email", "delivered"),
        ("telegram", "delivered"),
        ("webhook", "delivered"),
    }
    assert len(mail.inbox.to("maija@example.org")) == 1


def test_the_webhook_signature_verifies_with_the_partners_secret(app: FrontDoor, api: TelegramApi, hook: WebhookReceiver) -> None:
    receipt = app.cases.create_case(intake())
    with running_worker(app):
        delivery = wait(lambda: hook.received[:1], "the webhook")[0]
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    # As a receiver: recompute HMAC-SHA256 over the exact body with the shared secret.
    assert verify(SECRET, delivery.body, headers[SIGNATURE_HEADER.lower()])
    assert not verify("another-secret", delivery.body, headers[SIGNATURE_HEADER.lower()])
    assert not verify(SECRET, delivery.body.replace(b"staff_training", b"recruitment"), headers[SIGNATURE_HEADER.lower()])
    payload = json.loads(delivery.body)
    assert payload["event"] == "case_assigned" and payload["case"]["reference"] == receipt.reference
    assert payload["idempotency_key"] == headers["idempotency-key"]
    assert payload["case"]["contact"]["email"] == "maija@example.org"
    assert payload["case"]["need_text"].startswith("Tarvitsemme <img")  # JSON carries the raw text; the receiver escapes


def test_every_channel_of_the_mentor_carries_the_drafted_path(
    tmp_path: Path, api: TelegramApi, mail: MailServer, hook: WebhookReceiver
) -> None:
    settings = delivery_settings(tmp_path, api.url, mail.url, hook.url, catalogue_path=catalogue_file(tmp_path))
    frontdoor = create_frontdoor(settings)
    try:
        with running_worker(frontdoor):
            link(api, frontdoor)
            receipt = frontdoor.cases.create_case(intake())
            # The customer's words ("trukkikoulutusta") put the course first; the other partner's service comes beside it.
            assert [step.partner for step in receipt.path] == ["amk", "tyollisyys"]
            card = card_for(api, receipt.reference)
            email = wait(lambda: mail.inbox.to("leena@example.org"), "Leena's email")[0].get_content()
            payload = json.loads(wait(lambda: hook.received[:1], "the webhook")[0].body)
    finally:
        frontdoor.engine.dispose()
    for text in (card["text"], email):
        assert "Ehdotettu osaamispolku" in text
        assert "1. Trukkikoulutus henkilöstölle (Kaakon AMK (testi), alkaa 9.3.2027) https://amk.example.org/trukki" in text
        assert (
            "2. Yhteishankintakoulutus (Työllisyyspalvelut (testi), verkossa) https://tyollisyys.example.org/yhteishankinta"
            in text
        )
    # A partner's system gets the steps as data: ids, both languages of titles and links, start and format.
    assert payload["case"]["path"] == [step.as_json() for step in receipt.path]
    assert payload["case"]["path"][0]["link"] == {
        "fi": "https://amk.example.org/trukki",
        "en": "https://amk.example.org/en/forklift",
    }
    assert payload["case"]["path"][0]["start"] == "2027-03-09" and payload["case"]["path"][1]["format"] == "online"


def test_a_case_without_a_catalogue_has_an_empty_path_in_the_webhook(app: FrontDoor, hook: WebhookReceiver) -> None:
    app.cases.create_case(intake())
    with running_worker(app):
        payload = json.loads(wait(lambda: hook.received[:1], "the webhook")[0].body)
    assert payload["case"]["path"] == []


def test_a_customer_on_telegram_hears_in_their_language(app: FrontDoor, api: TelegramApi, mail: MailServer) -> None:
    receipt = app.cases.create_case(intake(channel="telegram", conversation_id="7777", language="en"))
    app.lifecycle.accept(receipt.reference, "leena")
    with running_worker(app):
        news = api.wait_for(lambda: api.sent_to(CUSTOMER_TOKEN, 7777), what="the customer's Telegram message")
    assert news[0]["text"].startswith("Hello Maija Meikäläinen!") and receipt.reference in news[0]["text"]
    assert "has taken on your enquiry" in news[0]["text"]
    assert not mail.inbox.to("maija@example.org")  # Telegram customers hear on Telegram, not by email


def test_someone_who_is_not_a_linked_mentor_gets_no_case_data(app: FrontDoor, api: TelegramApi) -> None:
    with running_worker(app):
        link(api, app)
        receipt = app.cases.create_case(intake())
        reference = receipt.reference
        card = card_for(api, reference)

        api.type(MENTOR_TOKEN, STRANGER_TELEGRAM, "/cases", language="en")
        api.type(MENTOR_TOKEN, STRANGER_TELEGRAM, f"/case {reference}", language="en")
        api.type(MENTOR_TOKEN, STRANGER_TELEGRAM, "/start not-a-valid-code", language="en")
        api.press(MENTOR_TOKEN, STRANGER_TELEGRAM, card, f"accept:{reference}", language="en")
        replies = api.wait_for(lambda: at_least(3, api.sent_to(MENTOR_TOKEN, STRANGER_TELEGRAM)), what="three replies")
        answers = api.wait_for(lambda: api.bots[MENTOR_TOKEN].answers, what="the button answer")
    assert "not linked to a mentor" in replies[0]["text"] and "not linked to a mentor" in replies[1]["text"]
    assert "invite code is not valid" in replies[2]["text"]
    assert "not linked to a mentor" in answers[0]["text"] and answers[0]["show_alert"] in (True, "true", "True")
    for text in [*(r["text"] for r in replies), *(a.get("text", "") for a in answers)]:
        assert reference not in text and "Maija" not in text and "maija@example.org" not in text
    assert not buttons(replies[0]) and not api.bots[MENTOR_TOKEN].edits
    assert status(app, reference) == "assigned"
    assert app.mentors.mentor_for(STRANGER_TELEGRAM) is None


def test_a_linked_mentor_lists_shows_and_forwards_cases(app: FrontDoor, api: TelegramApi) -> None:
    with running_worker(app):
        link(api, app)
        first = app.cases.create_case(intake()).reference
        second = app.cases.create_case(intake(email="pekka@example.org", need="cooperation")).reference
        card_for(api, first)
        card = card_for(api, second)
        api.type(MENTOR_TOKEN, LEENA_TELEGRAM, "/cases")
        listing = api.wait_for(
            lambda: next((m for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM) if "Avoimet asiasi" in m["text"]), None),
            what="the list",
        )
        assert first in listing["text"] and second in listing["text"] and "(2)" in listing["text"]
        api.type(MENTOR_TOKEN, LEENA_TELEGRAM, f"/case {first.lower()}")
        shown = api.wait_for(
            lambda: at_least(
                2,
                [
                    m
                    for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM)
                    if m["text"].startswith("<b>Uusi asia") and first in m["text"]
                ],
            ),
            what="the case card in answer to /case",
        )
        assert buttons(shown[-1])[0] == f"accept:{first}"

        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"forward:{second}")
        choice = api.wait_for(
            lambda: [e for e in api.bots[MENTOR_TOKEN].edits if "Kenelle kumppanille" in e["text"]], what="partners"
        )
        partners = [b["callback_data"] for row in choice[-1]["reply_markup"]["inline_keyboard"] for b in row]
        assert partners == [f"fwd:{second}:tyollisyys", f"show:{second}"]
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"fwd:{second}:tyollisyys")
        wait(lambda: status(app, second) == "forwarded", "the forward")
        gone = api.wait_for(lambda: [e for e in api.bots[MENTOR_TOKEN].edits if "toisella mentorilla" in e["text"]], what="gone")
        assert second in gone[-1]["text"]
        # Leena no longer holds it: its card and buttons are refused to her now.
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"accept:{second}")
        refused = api.wait_for(
            lambda: [a for a in api.bots[MENTOR_TOKEN].answers if "ei löydy" in a.get("text", "")], what="refusal"
        )
        assert refused
    shown_case = app.cases.show_case(second)
    assert shown_case is not None and shown_case["mentor"] == "anna" and shown_case["partner"] == "tyollisyys"


def test_invites_are_one_time_and_only_for_mentors_with_telegram(app: FrontDoor) -> None:
    code = app.mentors.invite("leena")
    assert app.mentors.redeem(code, 501, 501) is not None
    assert app.mentors.redeem(code, 502, 502) is None  # used
    assert app.mentors.mentor_for(501) is not None and app.mentors.mentor_for(502) is None
    with pytest.raises(InviteError, match="unknown mentor 'nobody'"):
        app.mentors.invite("nobody")
    with pytest.raises(InviteError, match="no Telegram channel"):
        app.mentors.invite("coordinator")


def test_a_mentor_declines_with_a_button_and_the_case_moves_on(app: FrontDoor, api: TelegramApi) -> None:
    with running_worker(app):
        link(api, app)
        reference = app.cases.create_case(intake()).reference
        card = card_for(api, reference)
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"end:{reference}:no_need")
        refused = api.wait_for(
            lambda: [a for a in api.bots[MENTOR_TOKEN].answers if "Ei onnistu" in a.get("text", "")], what="no"
        )
        assert "it cannot be closed" in refused[0]["text"]  # the lifecycle's own rule, shown to the mentor
        api.press(MENTOR_TOKEN, LEENA_TELEGRAM, card, f"decline:{reference}")
        wait(lambda: status(app, reference) == "declined", "the decline")
        api.wait_for(lambda: [e for e in api.bots[MENTOR_TOKEN].edits if "toisella mentorilla" in e["text"]], what="gone")
    shown = app.cases.show_case(reference)
    assert shown is not None and shown["mentor"] == "coordinator"  # nobody else at Leena's partner takes staff training


@contextmanager
def mentor_bot(frontdoor: FrontDoor, api: TelegramApi, *, links: bool = True) -> Iterator[list[str]]:
    """The mentors' bot alone (as the worker runs it), whose ``/desk`` makes real sign-in links (unless ``links``
    is false: then it has no way to make them); the links it made."""
    access = DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock, link_minutes=15)
    made: list[str] = []

    def desk_link(person_id: str) -> str:
        made.append(f"{frontdoor.settings.public_url}/desk/link/{access.issue_link(person_id)}")
        return made[-1]

    async def serve(stop: asyncio.Event) -> None:
        application = Application.builder().bot(make_bot(MENTOR_TOKEN, api.url)).build()
        maker = desk_link if links else None
        MentorBot(frontdoor.mentors, frontdoor.lifecycle, frontdoor.notices, maker, link_minutes=15).install(application)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            await stop.wait()
            await application.updater.stop()
            await application.stop()

    with running(serve):
        yield made


def test_desk_gives_a_linked_mentor_a_one_time_sign_in_link_in_their_language(
    tmp_path: Path, api: TelegramApi, hook: WebhookReceiver
) -> None:
    settings = delivery_settings(tmp_path, api.url, None, hook.url, public_url="https://etuovi.example.org")
    raw = yaml.safe_load(settings.network_path.read_text(encoding="utf-8"))
    raw["mentors"][1]["languages"] = ["en", "sv"]  # Anna reads English first
    settings.network_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    frontdoor = create_frontdoor(settings)
    try:
        assert frontdoor.mentors.redeem(frontdoor.mentors.invite("leena"), LEENA_TELEGRAM, LEENA_TELEGRAM) is not None
        assert frontdoor.mentors.redeem(frontdoor.mentors.invite("anna"), ANNA_TELEGRAM, ANNA_TELEGRAM) is not None
        with mentor_bot(frontdoor, api) as made:
            api.type(MENTOR_TOKEN, LEENA_TELEGRAM, "/desk")
            api.type(MENTOR_TOKEN, ANNA_TELEGRAM, "/desk", language="fi")
            leena = api.wait_for(lambda: api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM), what="Leena's link")[0]
            anna = api.wait_for(lambda: api.sent_to(MENTOR_TOKEN, ANNA_TELEGRAM), what="Anna's link")[0]
        assert leena["text"].startswith("Kirjautumislinkkisi työpöydälle: https://etuovi.example.org/desk/link/")
        assert "15 minuuttia" in leena["text"] and "Kirjaudu" in leena["text"]
        assert anna["text"].startswith("Your sign-in link to the desk: https://etuovi.example.org/desk/link/")
        assert len(made) == 2 and made[0] in leena["text"] and made[1] in anna["text"]
        # The link signs Leena in once, on the desk.
        with TestClient(create_web_app(frontdoor), follow_redirects=False) as browser:
            path = made[0].removeprefix("https://etuovi.example.org")
            page = browser.get(path)
            assert page.status_code == 200 and "Leena Osaaja" in page.text
            token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert token
            assert browser.post(path, data={"csrf": token.group(1)}).status_code == 303
            assert "Kirjautuneena: Leena Osaaja" in browser.get("/desk/").text
            assert browser.get(path).status_code == 410
    finally:
        frontdoor.engine.dispose()


def test_desk_gives_an_unlinked_account_the_polite_refusal_and_no_link(app: FrontDoor, api: TelegramApi) -> None:
    with mentor_bot(app, api) as made:
        api.type(MENTOR_TOKEN, STRANGER_TELEGRAM, "/desk", language="en")
        refusal = api.wait_for(lambda: api.sent_to(MENTOR_TOKEN, STRANGER_TELEGRAM), what="the refusal")[0]
    assert "not linked to a mentor" in refusal["text"] and "/desk/" not in refusal["text"]
    assert not made
    with app.sessions() as session:
        assert session.execute(select(func.count()).select_from(DeskLink)).scalar_one() == 0


def test_desk_without_links_points_the_mentor_to_the_sign_in_page(app: FrontDoor, api: TelegramApi) -> None:
    assert app.mentors.redeem(app.mentors.invite("leena"), LEENA_TELEGRAM, LEENA_TELEGRAM) is not None
    with mentor_bot(app, api, links=False):
        api.type(MENTOR_TOKEN, LEENA_TELEGRAM, "/desk")
        answer = api.wait_for(
            lambda: next((m for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM) if "Työpöytä" in m["text"]), None),
            what="the desk's address",
        )
    assert f"{app.settings.public_url}/desk/ " in answer["text"] and "/desk/link/" not in answer["text"]


def test_desk_in_a_group_chat_gives_no_link_that_the_others_could_use(app: FrontDoor, api: TelegramApi) -> None:
    assert app.mentors.redeem(app.mentors.invite("leena"), LEENA_TELEGRAM, LEENA_TELEGRAM) is not None
    team = -100123
    with mentor_bot(app, api) as made:
        api.type(MENTOR_TOKEN, LEENA_TELEGRAM, "/desk", group=team)
        answer = api.wait_for(lambda: api.sent_to(MENTOR_TOKEN, team), what="the answer in the group")[0]
    assert "yksityisviestinä" in answer["text"] and "/desk/link/" not in answer["text"]
    assert not made
