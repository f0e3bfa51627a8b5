"""The individuals' Telegram door without Rasa: no update is taken before Rasa answers, webhook mode
needs HTTPS and a secret, long payloads fit Telegram, commands are read as Telegram writes them.
With Rasa: tests/e2e/test_telegram.py and tests/e2e/test_telegram_outage.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import requests

from bot.app import FrontDoor, create_frontdoor
from bot.doors.telegram import CALLBACK_LIMIT, RasaRefused, RasaServers, TelegramDoor, callback_key, command_of
from bot.ops.localservices import free_port
from bot.settings import Settings, SettingsError
from tests.bot.delivery.common import CUSTOMER_TOKEN, delivery_settings, running_worker
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


def test_the_door_takes_no_updates_while_rasa_has_not_answered(webhook_app: tuple[FrontDoor, int], api: TelegramApi) -> None:
    app, port = webhook_app
    api.type(CUSTOMER_TOKEN, 900, "hei")
    with running_worker(app):
        # The customers' news channel joins at once; the door itself waits for Rasa.
        wait(lambda: "getMe" in api.bots[CUSTOMER_TOKEN].calls, "the door's getMe")
        time.sleep(3)
        assert not api.bots[CUSTOMER_TOKEN].webhook
        assert "getUpdates" not in api.bots[CUSTOMER_TOKEN].calls
        with pytest.raises(requests.ConnectionError):
            requests.post(f"http://127.0.0.1:{port}/telegram", data=b"{}", timeout=5)
    assert not api.sent_to(CUSTOMER_TOKEN, 900)


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


def test_commands_are_read_as_telegram_writes_them() -> None:
    assert command_of("/start") == "start"
    assert command_of("/Start@etuovi_bot partner-x") == "start"
    assert command_of("/delete now") == "delete"
    assert command_of("hei /start") is None and command_of("/") is None


def test_the_door_asks_every_rasa_server_it_is_given() -> None:
    assert Settings(rasa_port=5105, rasa_replicas=2).rasa_urls == ("http://127.0.0.1:5105", "http://127.0.0.1:5106")
    assert Settings(rasa_url="http://rasa-a:5005").rasa_urls == ("http://rasa-a:5005",)
    env = {"FRONTDOOR_RASA_URLS": "http://rasa-b:5005/, http://rasa-a:5005", "FRONTDOOR_RASA_URL": "http://x:1"}
    assert Settings.from_env(env).rasa_urls == ("http://rasa-b:5005", "http://rasa-a:5005")


def test_an_answer_that_is_not_rasas_is_a_refusal_and_the_next_server_is_asked_when_one_is_down() -> None:
    async def check() -> None:
        def proxy_page(request: httpx.Request) -> httpx.Response:
            if request.url.host == "rasa-down":
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, text="<html>Bad gateway page</html>")

        async with httpx.AsyncClient(transport=httpx.MockTransport(proxy_page)) as http:
            servers = RasaServers(("http://rasa-down:5005", "http://proxy:5005"), http, "token")
            with pytest.raises(RasaRefused, match="not Rasa's JSON"):
                await servers.ask({"sender": "1", "message": "hei"})

        def answers(request: httpx.Request) -> httpx.Response:
            if request.url.host == "rasa-down":
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json=[{"recipient_id": "1", "text": "Kerro omin sanoin"}])

        async with httpx.AsyncClient(transport=httpx.MockTransport(answers)) as http:
            servers = RasaServers(("http://rasa-down:5005", "http://rasa-up:5005"), http, "token")
            assert await servers.ask({"sender": "1", "message": "hei"}) == [{"recipient_id": "1", "text": "Kerro omin sanoin"}]
            assert servers.urls[0] == "http://rasa-up:5005"  # the one that answered is asked first next time

    asyncio.run(check())
