"""The widget's socket.io door, with a real socket.io client against the running Rasa server: a message sent
again after a reconnect (no acknowledgement) is taken once and the repeat gets the stored answers; a message
over the size limit is refused in every language, since its sender's language is not at hand."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import socketio

from bot.rasa.channels import MAX_MESSAGE, too_long_text
from tests.e2e.conftest import Stack

NEED = "Etsin töitä, olen ollut työttömänä puoli vuotta"


async def send_twice(stack: Stack, session: str) -> tuple[list[str], list[str]]:
    """The same message (same id) sent twice; the bot's texts after each."""
    answers: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client = socketio.AsyncClient()
    client.on("bot_uttered", answers.append)
    client.on("session_confirm", lambda *_args: confirmed.set())
    await client.connect(stack.rasa_url, transports=["polling"], headers={"Origin": stack.web_url})
    try:
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), timeout=60)
        message = {"message": NEED, "session_id": session, "message_id": "widget-1"}
        # The acknowledgement comes once Rasa has handled the message and sent its answers.
        await client.call("user_uttered", message, timeout=120)
        first = [str(a.get("text")) for a in answers]
        await client.call("user_uttered", message, timeout=120)
        again = [str(a.get("text")) for a in answers[len(first) :]]
    finally:
        await client.disconnect()
    return first, again


def test_a_widget_message_sent_again_is_taken_once_and_answered_again(stack: Stack) -> None:
    session = uuid.uuid4().hex
    first, again = asyncio.run(send_twice(stack, session))
    assert any("Saanko tallentaa" in text for text in first)
    assert again == first
    users = [e for e in stack.tracker_events(session) if e.get("event") == "user"]
    assert [e.get("message_id") for e in users] == ["widget-1"]


async def send_too_long(stack: Stack, session: str) -> list[str]:
    """A message over the size limit; the bot's texts after it."""
    answers: list[dict[str, Any]] = []
    confirmed, three = asyncio.Event(), asyncio.Event()

    def answered(answer: dict[str, Any]) -> None:
        answers.append(answer)
        if len(answers) >= 3:
            three.set()

    client = socketio.AsyncClient()
    client.on("bot_uttered", answered)
    client.on("session_confirm", lambda *_args: confirmed.set())
    await client.connect(stack.rasa_url, transports=["polling"], headers={"Origin": stack.web_url})
    try:
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), timeout=60)
        await client.emit("user_uttered", {"message": "x" * (MAX_MESSAGE + 1), "session_id": session})
        await asyncio.wait_for(three.wait(), timeout=60)
    finally:
        await client.disconnect()
    return [str(a.get("text")) for a in answers]


def test_a_message_over_the_limit_is_refused_in_every_language_and_not_stored(stack: Stack) -> None:
    session = uuid.uuid4().hex
    assert asyncio.run(send_too_long(stack, session)) == [too_long_text(language) for language in ("fi", "en", "sv")]
    assert not [e for e in stack.tracker_events(session) if e.get("event") == "user"]
