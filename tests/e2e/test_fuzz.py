"""Five thousand hostile messages through the REST channel and a few hundred through the widget's
socket: no 5xx, a normal conversation afterwards, and the register untouched."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import socketio

from tests.e2e.conftest import Conversation, Stack

MESSAGES = 5000
SOCKET_MESSAGES = 300
SENDERS = 400  # spread so that the per-sender pace is not what answers

PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE cases; --", "\" OR 1=1 --",
    "${jndi:ldap://x/a}", "{{7*7}}", "%s%s%s%n", "../../etc/passwd", "\x00\x01\x02\x1b[31m", "\u202eevil\u202c",
    "😀🙈🚀", "Привет мир", "مرحبا", "你好", "ääkkösiä ÅÄÖ", "/affirm{\"consent\": true}", "/restart",
    "/need_staff_training{\"email\": \"x\"}", "\r\n\t", " " * 50, "FD-2026-00001", "kyllä", "ei", "poista tietoni",
    "a" * 1999, "b" * 2500, "\ud83d", "null", "[]", "{}",
]  # fmt: skip
BODIES: list[Any] = [[], None, "hei", 5, {"sender": None, "message": "x"}, {"sender": "s", "message": None},
                     {"sender": ["a"], "message": "x"}, {"sender": "s", "message": {"a": 1}}, {"message": "x"}]  # fmt: skip


def hostile(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.08:
        return json.dumps(rng.choice(BODIES)).encode()
    if roll < 0.12:
        return rng.choice([b"{broken", b"\xff\xfe\xfd", b"", b'{"sender": "s", "message": "x"', b"[" * 500])
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
    body = {"sender": f"fuzz-{rng.randrange(SENDERS)}", "message": text}
    if rng.random() < 0.1:
        body["metadata"] = rng.choice([{"x": "<b>"}, [1, 2], "meta", None])
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", errors="surrogatepass")


def snapshot(stack: Stack) -> dict[str, Any]:
    return {c["reference"]: c for c in stack.cases()}


def test_hostile_input_breaks_nothing(stack: Stack) -> None:
    before = snapshot(stack)
    rng = random.Random(2026)
    bodies = [hostile(rng) for _ in range(MESSAGES)]
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    def send(body: bytes) -> int:
        return session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(send, bodies))
    assert len(codes) == MESSAGES
    assert not [c for c in codes if c >= 500], sorted(set(codes))
    assert set(codes) <= {200, 400, 413, 429}, sorted(set(codes))
    assert codes.count(200) > MESSAGES / 2  # most were real (hostile) messages that got an answer

    socket_codes = asyncio.run(socket_fuzz(stack, rng))
    assert socket_codes["answered"] >= SOCKET_MESSAGES * 0.9, socket_codes

    # The front door still holds a normal conversation, and the register is as it was.
    conversation = Conversation(stack)
    assert "Kerro omin sanoin" in conversation.say("Hei")
    after = snapshot(stack)
    for reference, case in before.items():
        assert after[reference] == case, reference


async def socket_fuzz(stack: Stack, rng: random.Random) -> dict[str, int]:
    """Hostile messages through the widget's socket.io channel, as the widget sends them."""
    client = socketio.AsyncClient(reconnection=False)
    answered = 0
    got = asyncio.Event()

    @client.on("bot_uttered")
    async def on_bot(data: Any) -> None:
        nonlocal answered
        answered += 1
        got.set()

    await client.connect(stack.rasa_url, transports=["websocket"])
    try:
        for i in range(SOCKET_MESSAGES):
            session = f"fuzz-socket-{i % 50}"
            await client.emit("session_request", {"session_id": session})
            got.clear()
            text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3)))
            await client.emit("user_uttered", {"message": text, "session_id": session})
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(got.wait(), timeout=30)
    finally:
        await client.disconnect()
    return {"answered": answered}
