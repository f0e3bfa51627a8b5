"""Nothing a customer says on Telegram is lost: Rasa killed mid-conversation, the worker killed with a
message in flight, and a webhook answered only once its update has been answered. Each crash is a
SIGKILL of a part of the running ``frontdoor run``; its supervisor starts the part again."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.ops.localservices import free_port
from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import CUSTOMER_TOKEN, EARLY_CHAT, Stack
from tests.e2e.telegram_user import TelegramUser
from tests.waiting import wait

WAITING = "Vastaan hetken kuluttua"
UNAVAILABLE = "Palvelu ei juuri nyt vastaa"
GREETING = "Kerro omin sanoin"
WEBHOOK_TOKEN = "555:e2e-webhook-token"
WEBHOOK_SECRET = "e2e-webhook-secret"


def texts(user: TelegramUser) -> list[str]:
    return [str(m["text"]) for m in user.messages()]


def user_turns(stack: Stack, chat: int) -> Counter[str]:
    """How often each Telegram update is in the stored conversation (by the message id the door gives it)."""
    return Counter(str(e.get("message_id")) for e in stack.tracker_events(str(chat)) if e.get("event") == "user")


def test_a_message_sent_before_rasa_had_loaded_is_answered_once(stack: Stack) -> None:
    early = TelegramUser(stack, EARLY_CHAT)
    greeting = early.api.wait_for(lambda: [t for t in texts(early) if GREETING in t], timeout=120, what="the greeting")
    assert len(greeting) == 1
    assert not [t for t in texts(early) if WAITING in t or UNAVAILABLE in t]


def test_messages_and_a_button_press_during_a_rasa_crash_are_answered_once_in_order(stack: Stack) -> None:
    user = TelegramUser(stack, 810)
    user.say("/start", GREETING)
    consent = user.say("Etsin töitä, olen ollut työttömänä puoli vuotta", "Saanko tallentaa")
    rows = consent["reply_markup"]["inline_keyboard"]
    yes = next(b["callback_data"] for row in rows for b in row if b["text"] == "Kyllä, annan luvan")

    mark = stack.kill("rasa")
    before = len(user.messages())
    user.api.press(CUSTOMER_TOKEN, user.chat, consent, yes)
    user.api.type(CUSTOMER_TOKEN, user.chat, "Eino Katko")
    user.api.type(CUSTOMER_TOKEN, user.chat, "eino.katko@example.org")
    user.api.wait_for(lambda: any(WAITING in t for t in texts(user)[before:]), timeout=60, what="the waiting note")
    # The button keeps its keyboard while Rasa is away.
    edits = stack.telegram.bots[CUSTOMER_TOKEN].edits
    assert not [e for e in edits if str(e.get("message_id")) == str(consent["message_id"])]

    stack.wait_answering("rasa", since=mark)
    phone = user._answer(before, "puhelinnumerosi")
    after = texts(user)[before:]
    asked = [next(i for i, t in enumerate(after) if key in t) for key in ("nimesi", "sähköpostiosoitteeseen", "puhelinnumerosi")]
    assert asked == sorted(asked), after
    for key in (WAITING, "nimesi", "sähköpostiosoitteeseen", "puhelinnumerosi"):
        assert sum(key in t for t in after) == 1, (key, after)
    assert [e for e in stack.telegram.bots[CUSTOMER_TOKEN].edits if str(e.get("message_id")) == str(consent["message_id"])]
    assert set(user_turns(stack, user.chat).values()) == {1}

    # The conversation goes on to a case.
    assert "puhelinnumerosi" in phone["text"]
    user.say("ohita", "Missä kunnassa")
    summary = user.say("Haminassa", "Hamina")
    done = user.press(summary, "Kyllä, lähetä", "FD-")
    reference = done["text"].split("FD-", 1)[1][:10]
    assert [c for c in stack.cases() if c["reference"] == f"FD-{reference}" and c["channel"] == "telegram"]


def test_a_message_in_flight_when_the_worker_dies_is_relayed_once_after_the_restart(stack: Stack) -> None:
    user = TelegramUser(stack, 820)
    user.say("/start", GREETING)
    hold = stack.telegram.hold(CUSTOMER_TOKEN, "sendMessage", user.chat)
    before = len(user.messages())
    user.api.type(CUSTOMER_TOKEN, user.chat, "Etsin töitä, olen ollut työttömänä puoli vuotta")
    # Rasa has answered and the door is sending the answer when the worker dies.
    assert hold.arrived.wait(timeout=120), "the door never sent Rasa's answer"
    mark = stack.kill("worker")
    hold.release()
    stack.wait_answering("worker", since=mark)
    user._answer(before, "Saanko tallentaa")
    after = texts(user)[before:]
    assert sum("Saanko tallentaa" in t for t in after) == 1, after
    turns = user_turns(stack, user.chat)
    assert set(turns.values()) == {1}, turns


@pytest.fixture
def webhook_worker(stack: Stack, tmp_path: Path) -> Iterator[str]:
    """A second worker whose individuals' bot takes updates by webhook, over the running stack's Rasa."""
    stack.telegram.add_bot(WEBHOOK_TOKEN, "etuovi_webhook_bot")
    port = free_port()
    env = {k: v for k, v in stack.env.items() if k not in ("FRONTDOOR_MENTOR_TELEGRAM_TOKEN", "FRONTDOOR_SMTP_URL")}
    env.update(
        {
            "FRONTDOOR_DATABASE_URL": f"sqlite:///{tmp_path / 'webhook.db'}",
            "FRONTDOOR_TELEGRAM_TOKEN": WEBHOOK_TOKEN,
            "FRONTDOOR_TELEGRAM_WEBHOOK_URL": "https://etuovi.example.org/telegram",
            "FRONTDOOR_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FRONTDOOR_TELEGRAM_WEBHOOK_PORT": str(port),
        }
    )
    frontdoor = str(Path(sys.executable).parent / "frontdoor")
    subprocess.run([frontdoor, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    with (tmp_path / "worker.out").open("wb") as log:
        process = subprocess.Popen([frontdoor, "worker"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait(lambda: stack.telegram.bots[WEBHOOK_TOKEN].webhook, "setWebhook", timeout=120)
        yield f"http://127.0.0.1:{port}/telegram"
    finally:
        process.terminate()
        process.wait(timeout=60)


def webhook_update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    message = {
        "message_id": update_id,
        "date": 1795000000,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Eino", "language_code": "fi"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}] if text == "/start" else [],
    }
    return {"update_id": update_id, "message": message}


def test_a_webhook_is_answered_only_after_the_customer_is_and_a_repeat_is_relayed_once(stack: Stack, webhook_worker: str) -> None:
    registered = stack.telegram.bots[WEBHOOK_TOKEN].webhook
    assert registered["url"] == "https://etuovi.example.org/telegram" and registered["secret_token"] == WEBHOOK_SECRET
    chat, body = 840, json.dumps(webhook_update(9001, 840, "/start"))

    def post(secret: str) -> int:
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
        return requests.post(webhook_worker, data=body, headers=headers, timeout=120).status_code

    assert post("wrong") == 403
    assert not stack.telegram.sent_to(WEBHOOK_TOKEN, chat)
    assert post(WEBHOOK_SECRET) == 200
    # Answered before Telegram was told: the greeting is there when the request returns.
    assert [m for m in stack.telegram.sent_to(WEBHOOK_TOKEN, chat) if GREETING in m["text"]]
    assert post(WEBHOOK_SECRET) == 200  # Telegram sent it again
    greetings = [m for m in stack.telegram.sent_to(WEBHOOK_TOKEN, chat) if GREETING in m["text"]]
    assert len(greetings) == 1
    assert set(user_turns(stack, chat).values()) == {1}
