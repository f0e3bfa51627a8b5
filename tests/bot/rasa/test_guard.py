"""Only the bot's own button payloads pass as payloads; a fair pace per sender."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

from bot.rasa.channels import TOKEN_HEADER, FrontDoorRestInput, TelegramBridgeInput, slow_down_text
from bot.rasa.guard import RateLimit, clean, normalise, offered_payloads, screen

# Two messages at once, then one a minute: the third in a row is slowed down.
PACE: dict[str, Any] = {"rate_per_minute": 1, "rate_burst": 2}
BRIDGE: dict[str, Any] = {"token": "bridge-secret", **PACE}


def test_the_bots_own_buttons_pass_and_typed_entities_become_text() -> None:
    allowed = offered_payloads()
    assert {"/affirm", "/i_am_employer", "/need_staff_training", '/correct_field{"field":"email"}'} <= allowed
    assert screen("/affirm", allowed) == "/affirm"
    assert screen('/correct_field{"field": "email"}', allowed) == '/correct_field{"field": "email"}'
    assert screen('/affirm{"consent": true}', allowed) == 'affirm{"consent": true}'
    assert screen('/need_staff_training{"consent": true, "email": "x"}', allowed).startswith("need_staff_training")
    assert screen("/nlu_fallback", allowed) == "nlu_fallback"
    assert screen("tavallinen viesti", allowed) == "tavallinen viesti"


def test_payload_spellings_are_normalised() -> None:
    assert normalise('/x{"b": 1, "a": 2}') == normalise('/x{"a":2,"b":1}') == '/x{"a":2,"b":1}'
    assert normalise("/x{broken") == "/x{broken"


def test_the_rate_limit_allows_a_burst_then_the_steady_pace_per_sender() -> None:
    limit = RateLimit(per_minute=60, burst=3)
    assert [limit.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b", now=0.0)  # others are not slowed by one sender
    assert limit.allow("a", now=1.0) and not limit.allow("a", now=1.0)  # one more a second


def test_text_is_cleaned_of_what_breaks_storage() -> None:
    assert clean("hei \ud83d maailma") == "hei ? maailma"  # a lone surrogate made stock Rasa answer 500
    assert clean("a\x00b\x1b[31mc\n\td") == "ab[31mc\n\td"
    assert clean("ääkkösiä 😀 Привет") == "ääkkösiä 😀 Привет"


def test_every_door_shares_one_reading_of_the_button_payloads() -> None:
    doors = [FrontDoorRestInput.from_credentials(PACE), TelegramBridgeInput.from_credentials(BRIDGE), FrontDoorRestInput()]
    guards = [door.guard for door in doors if isinstance(door, FrontDoorRestInput)]
    assert len(guards) == 3 and "/affirm" in guards[0].allowed
    assert all(guard.allowed is guards[0].allowed for guard in guards)
    assert guards[0].limit is not guards[1].limit  # the pace stays each door's own


async def _echo(message: UserMessage) -> None:
    """Rasa's stand-in: says back what it was given and by which channel."""
    await message.output_channel.send_text_message(message.sender_id or "", f"{message.input_channel}: {message.text}")


def _serve(doors: list[InputChannel], check: Callable[[str], Awaitable[None]]) -> None:
    """The doors mounted where Rasa mounts them (``/webhooks/<name>``), on a free port while ``check`` runs."""

    async def serve() -> None:
        app = Sanic(f"doors_{uuid.uuid4().hex}")
        for door in doors:
            app.blueprint(door.blueprint(_echo), url_prefix=f"/webhooks/{door.url_prefix()}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = await app.create_server("127.0.0.1", port, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()  # type: ignore[no-untyped-call]  # sanic 21.12's AsyncioServer is unannotated
        try:
            await check(f"http://127.0.0.1:{port}/webhooks")
        finally:
            server.close()  # type: ignore[no-untyped-call]  # as above
            await server.wait_closed()  # type: ignore[no-untyped-call]  # as above

    asyncio.run(serve())


def test_the_rest_door_and_the_telegram_bridges_door() -> None:
    async def check(base: str) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            rest, bridge = f"{base}/rest/webhook", f"{base}/telegram_bridge/webhook"
            body = {"sender": "s1", "message": '/affirm{"consent": true}'}
            # The bridge's door is closed to everyone without the bridge's token.
            assert (await http.post(bridge, json=body)).status_code == 403
            assert (await http.post(bridge, json=body, headers={TOKEN_HEADER: "wrong"})).status_code == 403
            token: dict[str, str] = {TOKEN_HEADER: BRIDGE["token"]}
            answer = await http.post(bridge, json=body, headers=token)
            assert answer.status_code == 200
            assert answer.json() == [{"recipient_id": "s1", "text": 'telegram_bridge: affirm{"consent": true}'}]
            answer = await http.post(rest, json=body)
            assert answer.json() == [{"recipient_id": "s1", "text": 'rest: affirm{"consent": true}'}]
            assert (await http.post(rest, content=b"[]")).status_code == 400
            assert (await http.post(bridge, content=b"[]", headers=token)).status_code == 400
            # Over the pace: REST says 429; the bridge says 200 with the text, which it passes on to the person.
            for _ in range(2):
                assert (await http.post(rest, json={"sender": "fast", "message": "hei"})).status_code == 200
                assert (await http.post(bridge, json={"sender": "fast", "message": "hei"}, headers=token)).status_code == 200
            over = await http.post(rest, json={"sender": "fast", "message": "hei"})
            assert over.status_code == 429  # a sender whose language is not known yet: Finnish, English, Swedish
            assert [m["text"] for m in over.json()] == [slow_down_text(language) for language in ("fi", "en", "sv")]
            slowed = await http.post(bridge, json={"sender": "fast", "message": "hei"}, headers=token)
            assert slowed.status_code == 200
            assert slowed.json() == [
                {"recipient_id": "fast", "text": slow_down_text(language)} for language in ("fi", "en", "sv")
            ]
            assert (await http.get(f"{base}/telegram_bridge/")).json() == {"status": "ok"}

    _serve([FrontDoorRestInput.from_credentials(PACE), TelegramBridgeInput.from_credentials(BRIDGE)], check)
