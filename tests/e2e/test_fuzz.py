"""Five thousand hostile messages through the REST channel: no 5xx, a normal conversation
afterwards, and the register untouched. (The widget's socket.io channel runs through the same
guard; a Python socket.io client to fuzz it needs aiohttp >= 3.10, which Rasa 3.6 forbids.)"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.e2e.conftest import Conversation, Stack

MESSAGES = 5000
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

    # The front door still holds a normal conversation, and the register is as it was.
    conversation = Conversation(stack)
    assert "Kerro omin sanoin" in conversation.say("Hei")
    after = snapshot(stack)
    for reference, case in before.items():
        assert after[reference] == case, reference
