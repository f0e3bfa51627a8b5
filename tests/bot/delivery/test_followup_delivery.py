"""The follow-up out through the real channels: an email with links through a real SMTP server (the
link's page records nothing until its button is pressed), Telegram with buttons through the Bot API
stand-in (a press answers, once), and a "no" back to the coordinator with the customer's words."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app import FrontDoor, create_frontdoor
from bot.doors.followup_buttons import FollowUpButtons, answering_followups
from bot.doors.telegram_feed import UpdateRelay, poll
from bot.ops.worker import make_bot
from bot.register.followups import FollowUps
from bot.register.models import Case, FollowUp, OutboxMessage
from tests.bot.delivery.common import CUSTOMER_TOKEN, delivery_settings, intake, running, running_worker
from tests.bot.desk.test_signin import csrf_in, desk_client
from tests.bot.register.test_followups import TEN_WORKING_DAYS_LATER
from tests.bot.register.test_lifecycle import MONDAY_MORNING, Clock
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

CUSTOMER = "asiakas@example.org"
COORDINATOR = "koordinaattori@example.org"
CHAT = 601
NOTICE = "2026-12-05"  # the privacy notice that says the customer may be asked
LINKS = re.compile(r"http://testserver(/followup/[A-Za-z0-9_-]+)\?a=(yes|partly|no|stop)")


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def app(tmp_path: Path, api: TelegramApi, mail: MailServer, hook: WebhookReceiver, clock: Clock) -> Iterator[FrontDoor]:
    settings = delivery_settings(tmp_path, api.url, mail.url, hook.url, public_url="http://testserver")
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


def contacted(app: FrontDoor, **changes: Any) -> str:
    """A staff-training case (Leena's), accepted and contacted on Monday 23 November 2026."""
    reference = app.cases.create_case(intake(privacy_notice_version=NOTICE, **changes)).reference
    app.lifecycle.accept(reference, "leena")
    app.lifecycle.contacted(reference, "leena")
    return reference


def followup(app: FrontDoor) -> FollowUp:
    with app.sessions() as session:
        row = session.execute(select(FollowUp)).scalar_one()
        session.expunge(row)
        return row


def mails(mail: MailServer, address: str, subject: str) -> list[EmailMessage]:
    return [m for m in mail.inbox.to(address) if subject in str(m["Subject"])]


def test_the_email_links_to_a_page_where_only_the_button_records_and_no_reaches_the_coordinator(
    app: FrontDoor, clock: Clock, mail: MailServer
) -> None:
    contacted(app, email=CUSTOMER)
    clock.now = TEN_WORKING_DAYS_LATER
    assert FollowUps(app.sessions, app.networks.current, app.clock).send_due() == 1
    with running_worker(app):
        [question] = wait(lambda: mails(mail, CUSTOMER, "Saitko apua?"), "the follow-up email")
    # A restart: another front door on the same database asks nobody again.
    again = create_frontdoor(app.settings, clock=clock)
    assert FollowUps(again.sessions, again.networks.current, again.clock).send_due() == 0
    with running_worker(again):
        time.sleep(0.5)
    again.engine.dispose()
    assert len(mails(mail, CUSTOMER, "Saitko apua?")) == 1
    body = question.get_content()
    links = dict((answer, path) for path, answer in LINKS.findall(body))
    assert set(links) == {"yes", "partly", "no", "stop"} and len(set(links.values())) == 1, body
    path = links["no"]
    client = desk_client(app)
    # Opening every link (as a mail scanner does) records nothing.
    for answer in links:
        shown = client.get(f"{path}?a={answer}")
        assert shown.status_code == 200 and "Saitko apua?" in shown.text
        assert shown.headers["Cache-Control"] == "no-store" and "script-src 'self'" in shown.headers["Content-Security-Policy"]
    assert 'value="no" required checked' in client.get(f"{path}?a=no").text
    assert followup(app).status == "sent"
    # A button pressed without the page's token (another site's form) records nothing either.
    refused = client.post(path, data={"csrf": "forged", "answer": "yes"})
    assert refused.status_code == 403 and followup(app).status == "sent"
    token = csrf_in(client.get(path))
    pressed = client.post(path, data={"csrf": token, "answer": "no", "words": "Kukaan ei soittanut minulle."})
    assert pressed.status_code == 200 and "kerroimme siitä verkoston koordinaattorille" in pressed.text
    again_pressed = client.post(path, data={"csrf": token, "answer": "yes"})
    assert "jo tallessa" in again_pressed.text
    answered = followup(app)
    assert (answered.status, answered.answer, answered.words) == ("answered", "no", "Kukaan ei soittanut minulle.")
    with running_worker(app):
        [alert] = wait(lambda: mails(mail, COORDINATOR, "Asiakas ei saanut apua"), "the coordinator's email")
    assert "Kukaan ei soittanut minulle." in alert.get_content() and "ei, en saanut apua" in alert.get_content()
    assert client.get("/followup/not-a-token").status_code == 404


def test_telegram_asks_with_buttons_and_a_press_answers_once(app: FrontDoor, clock: Clock, api: TelegramApi) -> None:
    def after(first: str, count: int) -> list[dict[str, Any]] | None:
        """The messages to the customer's chat from the one that says ``first`` on (the news of the case before it)."""
        sent = api.sent_to(CUSTOMER_TOKEN, CHAT)
        start = next((i for i, m in enumerate(sent) if first in m["text"]), len(sent))
        return sent[start:] if len(sent) - start >= count else None

    contacted(app, channel="telegram", conversation_id=str(CHAT))
    clock.now = TEN_WORKING_DAYS_LATER
    FollowUps(app.sessions, app.networks.current, app.clock).send_due()
    with running_worker(app):
        [question] = api.wait_for(lambda: after("Saitko apua?", 1), what="the follow-up in Telegram")
    asked = followup(app)
    rows = question["reply_markup"]["inline_keyboard"]
    assert [[(b["text"], b["callback_data"]) for b in row] for row in rows] == [
        [("Kyllä", f"fu:{asked.id}:yes"), ("Osittain", f"fu:{asked.id}:partly"), ("Ei", f"fu:{asked.id}:no")],
        [("Älä kysy enää", f"fu:{asked.id}:stop")],
    ]
    assert "Saitko apua?" in question["text"] and "http" not in question["text"]
    others: list[Update] = []

    async def door(update: Update) -> None:  # the Rasa door, for every other update
        others.append(update)

    async def customers(stop: asyncio.Event) -> None:
        buttons = FollowUpButtons(FollowUps(app.sessions, app.networks.current, app.clock))
        async with make_bot(CUSTOMER_TOKEN, api.url) as bot:
            relay = UpdateRelay(answering_followups(buttons, door))
            await poll(bot, relay, stop, long_poll=1)
            await relay.close()

    with running(customers):
        api.press(CUSTOMER_TOKEN, CHAT, question, f"fu:{asked.id}:partly")
        assert "Kiitos vastauksestasi" in api.wait_for(lambda: after("Saitko apua?", 2), what="the thanks")[1]["text"]
        api.press(CUSTOMER_TOKEN, CHAT, question, f"fu:{asked.id}:no")
        assert "jo tallessa" in api.wait_for(lambda: after("Saitko apua?", 3), what="already recorded")[2]["text"]
        api.press(CUSTOMER_TOKEN, CHAT, question, "/greet")
        wait(lambda: others, "the other button, on to the door")
    assert any(edit.get("reply_markup") in (None, "") for edit in api.bots[CUSTOMER_TOKEN].edits)
    answered = followup(app)
    assert (answered.status, answered.answer) == ("answered", "partly")
    with app.sessions() as session:
        assert not session.execute(select(OutboxMessage).where(OutboxMessage.kind == "followup_negative")).first()


def test_every_rendering_of_the_email_carries_the_same_working_link(app: FrontDoor, clock: Clock) -> None:
    """A delivery retried renders the email again: the link already delivered keeps working."""
    contacted(app, email=CUSTOMER)
    clock.now = TEN_WORKING_DAYS_LATER
    followups = FollowUps(app.sessions, app.networks.current, app.clock)
    assert followups.send_due() == 1

    def rendered() -> str:
        with app.sessions.begin() as session:
            row = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "followup_asked")).scalar_one()
            case = session.get(Case, row.case_id)
            assert case is not None
            return app.notices.render(row, case, app.network, clock.now).text

    first, second = rendered(), rendered()
    paths = {path for body in (first, second) for path, _ in LINKS.findall(body)}
    assert len(paths) == 1 and len(LINKS.findall(first)) == 4, (first, second)
    (path,) = paths
    token = path.rsplit("/", 1)[1]
    assert followups.question(token) is not None
    client = desk_client(app)
    assert client.get(path).status_code == 200
    assert followups.answer(token, "partly").result == "recorded"
    # Once answered, a retry carries no links to answer with.
    assert LINKS.findall(rendered()) == []
