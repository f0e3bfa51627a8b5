"""Where the customer came in: the doors put the browser's Origin (never the page's word) beside the
partner a page names, the Telegram bridge a link's partner, and the case credits only a vouched partner."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic
from sanic.touchup import TouchUp

from bot.network.model import Network
from bot.rasa.channels import TOKEN_HEADER, FrontDoorRestInput, FrontDoorSocketIOInput, TelegramBridgeInput
from bot.rasa.entry import (
    DEEP_LINK_KEY,
    ORIGIN_KEY,
    PARTNER_KEY,
    bridge_metadata,
    entry_partner,
    partner_id,
    this_request,
    web_metadata,
    web_origin,
)
from tests.waiting import wait

KAAKKO_SITE = "https://www.kaakko-amk.example"
# What a page might try: its own word for the origin and a Telegram link's partner.
FORGED = {PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: KAAKKO_SITE, DEEP_LINK_KEY: "kymi-ammattiopisto", "page": "x"}
BRIDGE_TOKEN = "bridge-secret"


def test_a_partner_id_is_short_and_plain() -> None:
    assert partner_id("kymi-ammattiopisto") == "kymi-ammattiopisto"
    assert partner_id("a" * 64) == "a" * 64
    for bad in (None, "", 42, ["kaakko-amk"], "a" * 65, "kaakko amk", "-kaakko", "kaakko/amk", "<script>"):
        assert partner_id(bad) is None


def test_an_origin_is_taken_as_browsers_send_it() -> None:
    assert web_origin("https://www.Kaakko-AMK.example/") == KAAKKO_SITE
    assert web_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    for bad in (None, "", "null", "file://", "https://x.example/page", "https://u@x.example", "x" * 300, 7):
        assert web_origin(bad) is None


def test_the_server_writes_the_origin_and_a_page_only_its_partner() -> None:
    assert web_metadata(FORGED, "https://copycat.example") == {
        "page": "x",
        PARTNER_KEY: "kaakko-amk",
        ORIGIN_KEY: "https://copycat.example",
    }
    # No Origin (not a browser): the claim stays, with no origin to vouch for it.
    assert web_metadata(FORGED, None) == {"page": "x", PARTNER_KEY: "kaakko-amk"}
    # No partner named, or not an id: nothing about the page is kept at all.
    assert web_metadata({"page": "x"}, KAAKKO_SITE) == {"page": "x"}
    assert web_metadata({PARTNER_KEY: "<b>kaakko</b>"}, KAAKKO_SITE) == {}
    assert web_metadata(None, KAAKKO_SITE) == {}


def test_the_bridge_carries_only_a_links_partner() -> None:
    assert bridge_metadata({**FORGED, "telegram_language": "fi"}) == {
        "page": "x",
        "telegram_language": "fi",
        DEEP_LINK_KEY: "kymi-ammattiopisto",
    }
    assert bridge_metadata({DEEP_LINK_KEY: "not an id"}) == {}


def user(metadata: dict[str, Any] | None, channel: str = "socketio") -> dict[str, Any]:
    return {"event": "user", "text": "hei", "input_channel": channel, "metadata": metadata}


def test_the_case_credits_a_widget_only_on_the_partners_own_site(network: Network) -> None:
    greeting = {"event": "action", "name": "action_listen"}
    own = user({PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "http://localhost:8080"})
    assert entry_partner([greeting, user(None), user({}), own, user({"page": "x"})], network) == "kaakko-amk"
    assert entry_partner([user({PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"})], network) is None
    assert entry_partner([user({PARTNER_KEY: "kaakko-amk"})], network) is None  # no origin
    assert entry_partner([user({PARTNER_KEY: "kymi-ammattiopisto", ORIGIN_KEY: KAAKKO_SITE})], network) is None
    assert entry_partner([user({PARTNER_KEY: "nobody", ORIGIN_KEY: KAAKKO_SITE})], network) is None
    # The first message that names a partner decides: a later one from the partner's site changes nothing.
    copied = user({PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"})
    assert entry_partner([copied, own], network) is None
    assert entry_partner([greeting, user("not a dict")], network) is None  # type: ignore[arg-type]


def test_the_case_credits_a_telegram_link_of_a_partner_of_the_network(network: Network) -> None:
    link = user({DEEP_LINK_KEY: "kymi-ammattiopisto", "telegram_language": "fi"}, "telegram_bridge")
    assert entry_partner([link], network) == "kymi-ammattiopisto"
    assert entry_partner([user({DEEP_LINK_KEY: "nobody"}, "telegram_bridge")], network) is None
    # Only the bridge's door carries a link: the same key from elsewhere counts for nothing.
    assert entry_partner([user({DEEP_LINK_KEY: "kymi-ammattiopisto"}, "rest")], network) is None


CASE_MADE = {"event": "slot", "name": "case_reference", "value": "FD-2024-0001"}


def test_a_case_counts_only_the_claims_of_its_own_request(network: Network) -> None:
    own = user({PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: KAAKKO_SITE})
    link = user({DEEP_LINK_KEY: "kymi-ammattiopisto"}, "telegram_bridge")
    started = {"event": "session_started"}
    # A claim before an earlier case (a year-old Telegram link, a widget session kept in the browser)
    # credits no later case of the same conversation.
    assert entry_partner([started, link, CASE_MADE, user({}, "telegram_bridge")], network) is None
    assert entry_partner([started, own, CASE_MADE, user(None)], network) is None
    # Nor does a claim of an earlier session, case or no case.
    assert entry_partner([started, link, started, user({}, "telegram_bridge")], network) is None
    assert entry_partner([own, {"event": "restart"}, user(None)], network) is None
    # A claim in this case's own stretch counts, whatever came before it.
    assert entry_partner([started, link, CASE_MADE, link], network) == "kymi-ammattiopisto"
    copied = user({PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"})
    assert entry_partner([started, copied, CASE_MADE, user({}), own], network) == "kaakko-amk"
    # Emptying the reference (a new need, a forgotten case) is no case made.
    emptied = {"event": "slot", "name": "case_reference", "value": None}
    assert entry_partner([started, link, emptied, user({}, "telegram_bridge")], network) == "kymi-ammattiopisto"
    assert this_request([started, link, CASE_MADE, own]) == [own]
    assert this_request([link, own]) == [link, own]


@pytest.fixture(autouse=True)
def touched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sanic 21.12 rewrites its HTTP methods when a server starts and fails on a second rewrite in one
    process (tests/bot/rasa/test_guard.py starts a server too): here methods already rewritten are used
    as they are, and after the test the methods are put back as they were, for whichever test comes next."""
    for target, name in TouchUp._registry:
        monkeypatch.setattr(target, name, getattr(target, name))
        monkeypatch.setattr(target, "__touched__", getattr(target, "__touched__", False), raising=False)
    rewrite = TouchUp.run.__func__  # type: ignore[attr-defined]

    def run(cls: type[TouchUp], app: Sanic) -> None:
        if not all(getattr(target, "__touched__", False) for target, _ in cls._registry):
            rewrite(cls, app)

    monkeypatch.setattr(TouchUp, "run", classmethod(run))


def _serve(doors: list[InputChannel], check: Callable[[str], Awaitable[None]]) -> list[UserMessage]:
    """The doors mounted as Rasa mounts them, on a free port while ``check`` runs; the messages Rasa got."""
    seen: list[UserMessage] = []

    async def record(message: UserMessage) -> None:
        seen.append(message)
        await message.output_channel.send_text_message(message.sender_id or "", "ok")

    async def serve() -> None:
        app = Sanic(f"entry_{uuid.uuid4().hex}")
        for door in doors:
            app.blueprint(door.blueprint(record), url_prefix=f"/webhooks/{door.url_prefix()}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = await app.create_server("127.0.0.1", port, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()  # type: ignore[no-untyped-call]  # sanic 21.12's AsyncioServer is unannotated
        try:
            await check(f"http://127.0.0.1:{port}")
        finally:
            server.close()  # type: ignore[no-untyped-call]  # as above
            await server.wait_closed()  # type: ignore[no-untyped-call]  # as above

    asyncio.run(serve())
    return seen


def test_the_rest_door_takes_the_origin_from_the_request_and_the_bridge_only_a_link() -> None:
    async def check(base: str) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            body = {"sender": "s1", "message": "hei", "metadata": FORGED}
            rest = f"{base}/webhooks/rest/webhook"
            assert (await http.post(rest, json=body, headers={"Origin": "https://copycat.example"})).status_code == 200
            assert (await http.post(rest, json=body)).status_code == 200
            assert (await http.post(rest, json={"sender": "s1", "message": "hei"})).status_code == 200
            bridge = f"{base}/webhooks/telegram_bridge/webhook"
            headers = {TOKEN_HEADER: BRIDGE_TOKEN, "Origin": KAAKKO_SITE}
            assert (await http.post(bridge, json=body, headers=headers)).status_code == 200

    doors: list[InputChannel] = [FrontDoorRestInput(), TelegramBridgeInput.from_credentials({"token": BRIDGE_TOKEN})]
    seen = _serve(doors, check)
    assert [m.metadata for m in seen] == [
        {"page": "x", PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"},
        {"page": "x", PARTNER_KEY: "kaakko-amk"},
        None,
        {"page": "x", DEEP_LINK_KEY: "kymi-ammattiopisto"},
    ]


def test_the_widgets_door_takes_the_origin_of_each_sockets_handshake() -> None:
    credentials = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    door = FrontDoorSocketIOInput.from_credentials(credentials)

    async def talk(base: str, origin: str, session: str) -> None:
        client = socketio.AsyncClient()
        confirmed, answered = asyncio.Event(), asyncio.Event()
        client.on("session_confirm", lambda _data: confirmed.set())
        client.on("bot_uttered", lambda _data: answered.set())
        # Long polling: the engine.io client's websocket needs a newer aiohttp than Rasa's (the widget's
        # websocket is in tests/e2e/test_entry_partner.py).
        await client.connect(base, headers={"Origin": origin}, transports=["polling"])
        try:
            await client.emit("session_request", {"session_id": session})
            await asyncio.wait_for(confirmed.wait(), 10)
            await client.emit("user_uttered", {"message": "hei", "session_id": session, "metadata": FORGED})
            await asyncio.wait_for(answered.wait(), 10)
        finally:
            await client.disconnect()

    async def check(base: str) -> None:
        await talk(base, "http://localhost:8080", "own")
        await talk(base, "https://Copycat.example", "copy")
        # The server hears the disconnects on this loop: the wait polls from a thread of its own.
        await asyncio.to_thread(wait, lambda: not door.page_origins, "the sockets' origins forgotten", 10)

    seen = _serve([door], check)
    assert [(m.sender_id, m.metadata) for m in seen] == [
        ("own", {"page": "x", PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "http://localhost:8080"}),
        ("copy", {"page": "x", PARTNER_KEY: "kaakko-amk", ORIGIN_KEY: "https://copycat.example"}),
    ]
    assert door.page_origins == {}  # forgotten with the sockets
