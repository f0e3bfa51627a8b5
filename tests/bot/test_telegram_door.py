"""The individuals' Telegram door without Rasa: webhook mode checks Telegram's secret token,
a Rasa that does not answer gets the customer a clear message, long payloads fit Telegram."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import requests

from bot.app import FrontDoor, create_frontdoor
from bot.localservices import free_port
from bot.settings import Settings, SettingsError
from bot.telegram_door import CALLBACK_LIMIT, TelegramDoor, callback_key
from tests.bot.delivery import CUSTOMER_TOKEN, delivery_settings, running_worker
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

SECRET = "door-secret_42"


@pytest.fixture
def webhook_app(tmp_path: Path, api: TelegramApi) -> Iterator[tuple[FrontDoor, int]]:
    port = free_port()
    settings = replace(
        delivery_settings(tmp_path, api.url, None, "http://127.0.0.1:9/hook"),
        mentor_telegram_token=None,
        telegram_webhook_url="https://etuovi.example.org/telegram",
        telegram_webhook_secret=SECRET,
        telegram_webhook_port=port,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # nothing listens: Rasa is down
        bridge_token="bridge-token",
    )
    app = create_frontdoor(settings)
    yield app, port
    app.engine.dispose()


def update(chat: int, text: str) -> bytes:
    message = {
        "message_id": 1,
        "date": 1795000000,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Eino", "language_code": "fi"},
        "text": text,
    }
    return json.dumps({"update_id": 1, "message": message}).encode()


def test_webhook_mode_takes_only_requests_with_telegrams_secret_token(
    webhook_app: tuple[FrontDoor, int], api: TelegramApi
) -> None:
    app, port = webhook_app
    url = f"http://127.0.0.1:{port}/telegram"
    with running_worker(app):
        wait(lambda: api.bots[CUSTOMER_TOKEN].webhook, "setWebhook")
        registered = api.bots[CUSTOMER_TOKEN].webhook
        assert registered["url"] == "https://etuovi.example.org/telegram" and registered["secret_token"] == SECRET

        def post(headers: dict[str, str]) -> int:
            return requests.post(
                url, data=update(900, "hei"), headers={"Content-Type": "application/json", **headers}, timeout=10
            ).status_code

        assert wait(lambda: _answers(post, {}), "the webhook server") == 403
        assert post({"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403
        assert not api.sent_to(CUSTOMER_TOKEN, 900)
        assert post({"X-Telegram-Bot-Api-Secret-Token": SECRET}) == 200
        # Taken in: the door asks Rasa, which is down, and the customer hears so.
        reply = api.wait_for(lambda: api.sent_to(CUSTOMER_TOKEN, 900), what="the reply")
    assert "Palvelu ei juuri nyt vastaa" in reply[0]["text"] and "ei tallentunut" in reply[0]["text"]


def _answers(post: object, headers: dict[str, str]) -> int | None:
    try:
        return post(headers)  # type: ignore[operator, no-any-return]
    except requests.ConnectionError:
        return None


def test_webhook_mode_needs_https_and_a_secret() -> None:
    with pytest.raises(SettingsError, match="https://"):
        Settings(telegram_webhook_url="http://example.org/telegram", telegram_webhook_secret=SECRET).check()
    with pytest.raises(SettingsError, match="FRONTDOOR_TELEGRAM_WEBHOOK_SECRET must be set"):
        Settings(telegram_webhook_url="https://example.org/telegram").check()
    with pytest.raises(SettingsError, match="A-Z, a-z, 0-9"):
        Settings(telegram_webhook_url="https://example.org/telegram", telegram_webhook_secret="no spaces!").check()


def test_long_button_payloads_fit_telegrams_callback_data() -> None:
    short = "/i_am_employer"
    long = '/inform{"sector": "logistics", "municipality": "Kouvola", "note": "' + "x" * 60 + '"}'
    assert callback_key(short) == short
    key = callback_key(long)
    assert key != long and len(key.encode()) <= CALLBACK_LIMIT and callback_key(long) == key


def test_the_door_remembers_a_bounded_number_of_long_payloads() -> None:
    door = TelegramDoor(Settings(), httpx.AsyncClient(), payload_memory=3)
    long = ['/inform{"note": "' + str(i) * 70 + '"}' for i in range(4)]
    markup = door.keyboard([{"title": "A", "payload": long[0]}, {"title": "B", "payload": "/affirm"}])
    assert markup is not None
    assert [b.callback_data for (b,) in markup.inline_keyboard] == [callback_key(long[0]), "/affirm"]
    assert door.payloads == {callback_key(long[0]): long[0]}  # short payloads are their own keys
    for payload in long[1:3]:
        door.keyboard([{"title": "x", "payload": payload}])
    door.keyboard([{"title": "again", "payload": long[0]}])  # shown again: the newest now
    door.keyboard([{"title": "x", "payload": long[3]}])
    assert list(door.payloads.values()) == [long[2], long[0], long[3]]
