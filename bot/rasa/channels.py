"""Rasa input channels of the front door: REST, socket.io and the Telegram bridge, guarded.

Each wraps Rasa's own channel: a message that is not a payload the bot's
buttons carry is read as text (no ``/affirm{"consent": true}`` from the
keyboard), messages are limited in size, and each sender has a fair pace
(:mod:`bot.rasa.guard`). The REST channel answers a body that is not a JSON object
with ``sender`` and ``message`` with 400 and what is wrong (stock Rasa answers
``[]`` or ``null`` with 500), and too many messages with 429 and a polite
text. :class:`TelegramBridgeInput` is the door the Telegram bridge
(``bot.doors.telegram``) comes in by: closed to everyone but the bridge by a
shared token, and its cases are recorded with channel ``telegram``. Rasa loads
them from the credentials file ``frontdoor run`` writes.
The web doors put the browser's ``Origin`` beside the partner a page names, under a key only the
server writes; the bridge carries a Telegram link's partner (:mod:`bot.rasa.entry`).
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.language import LANGUAGES
from bot.messages import Catalog
from bot.rasa.entry import bridge_metadata, web_metadata
from bot.rasa.guard import RateLimit, clean, offered_payloads, screen
from bot.settings import BRIDGE_TOKEN_HEADER

logger = logging.getLogger(__name__)

TOKEN_HEADER = BRIDGE_TOKEN_HEADER
MAX_MESSAGE = 2000
MAX_SENDER = 200
MAX_MESSAGE_ID = 64
# Where a widget message's id travels inside its metadata, from the socket.io event to the channel.
MESSAGE_ID_KEY = "frontdoor_message_id"


@functools.lru_cache(maxsize=1)
def _catalog() -> Catalog:
    """The texts, read once per process on first use."""
    return Catalog.load()


def slow_down_text(language: str) -> str:
    """What a sender over their pace is told."""
    return _catalog().render("slow_down", language).text


def too_long_text(language: str) -> str:
    """What the sender of a message over the size limit is told."""
    return _catalog().render("too_long", language, limit=MAX_MESSAGE).text


def in_every_language(sender: str, text: Callable[[str], str]) -> list[dict[str, str]]:
    """A text for a sender whose language is not known yet: Finnish, then English, then Swedish."""
    return [{"recipient_id": sender, "text": text(language)} for language in LANGUAGES]


NewMessage = Callable[[UserMessage], Awaitable[Any]]


@functools.lru_cache(maxsize=1)
def shared_payloads() -> frozenset[str]:
    """The bot's button payloads, read from the YAML files once per process, on first use (never at import):
    every door Rasa starts shares them. The pace stays each door's own, set by its credentials."""
    return offered_payloads()


class Guard:
    """The checks every door applies before Rasa sees a message."""

    def __init__(self, credentials: dict[str, Any] | None = None) -> None:
        credentials = credentials or {}
        self.allowed = shared_payloads()
        self.limit = RateLimit(
            per_minute=float(credentials.get("rate_per_minute") or 60), burst=int(credentials.get("rate_burst") or 20)
        )

    def wrap(self, on_new_message: NewMessage) -> NewMessage:
        async def guarded(message: UserMessage) -> Any:
            message.text = screen(clean(message.text or ""), self.allowed)
            return await on_new_message(message)

        return guarded


def _agent_ready(request: Request) -> bool:
    """Whether Rasa has its model loaded and can answer. A server without Rasa's agent (the doors
    mounted on an app of their own, with a handler that answers by itself) is always ready."""
    if not hasattr(request.app.ctx, "agent"):
        return True
    agent = request.app.ctx.agent
    return bool(agent is not None and agent.is_ready())


def earlier_answers(tracker: DialogueStateTracker | None, message_id: str) -> list[dict[str, Any]] | None:
    """The bot's answers to the stored user message ``message_id``; ``None`` when no such message is stored."""
    answers: list[dict[str, Any]] | None = None
    for event in tracker.events if tracker is not None else ():
        if isinstance(event, UserUttered):
            if answers is not None:
                break
            if event.message_id == message_id:
                answers = []
        elif isinstance(event, BotUttered) and answers is not None:
            answers.append({"text": event.text, **{k: v for k, v in (event.data or {}).items() if v is not None}})
    return answers


async def answer_once(agent: Agent, message: UserMessage) -> None:
    """Let Rasa answer ``message`` unless a message with its ``message_id`` is in the conversation already;
    then its stored answers are given instead. A door that sends a message again until it has the answers
    (the Telegram bridge, the widget after a reconnect) so gets each taken once. The conversation's lock
    makes the check and the turn one step, whichever Rasa server the message comes to."""
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        earlier = earlier_answers(tracker, message.message_id)
        if earlier is None:
            await agent.processor.handle_message(message)
            return
        logger.info("%s: a message came again; its stored answers are given", message.input_channel)
        for answer in earlier:
            await message.output_channel.send_response(message.sender_id, answer)


def _bad_request(problem: str) -> HTTPResponse:
    return response.json({"error": problem}, status=400)


class FrontDoorRestInput(RestInput):
    """Rasa's REST channel, guarded (same URL: ``/webhooks/rest/webhook``)."""

    # Sanic wants every blueprint of the app named differently; subclasses name their own.
    blueprint_name = "frontdoor_rest_webhook"

    def __init__(self, guard: Guard | None = None) -> None:
        self.guard = guard or Guard()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(Guard(credentials))

    def _extract_input_channel(self, req: Request) -> str:
        # Stock REST lets the caller pick the channel name ("input_channel"); here it is always this channel's.
        return self.name()

    def refuse(self, request: Request) -> HTTPResponse | None:
        """The answer to a caller this door is closed to, before anything is read; ``None``: open to everyone."""
        return None

    def own_metadata(self, request: Request, metadata: dict[str, Any] | None) -> dict[str, Any]:
        """The message's metadata as Rasa keeps it: the page's origin (the request's ``Origin``) beside the
        partner the page names, whatever the caller wrote under the server's keys."""
        return web_metadata(metadata, request.headers.get("origin"))

    def slow_down(self, sender: str) -> HTTPResponse:
        """The answer to a sender over their pace: 429, so an integration can back off, and the text for a person."""
        return response.json(
            in_every_language(sender, slow_down_text),
            status=429,
        )

    async def handle(self, request: Request, guarded: NewMessage, message: UserMessage) -> None:
        """Let Rasa answer ``message`` (the answers gather in its output channel)."""
        await guarded(message)

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        rest = Blueprint(self.blueprint_name, __name__)
        guarded = self.guard.wrap(on_new_message)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not _agent_ready(request):
                return response.json({"status": "loading"}, status=503)
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self.refuse(request)
            if refused is not None:
                return refused
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _bad_request('the body is not JSON: send {"sender": "…", "message": "…"}')
            if not isinstance(body, dict):
                return _bad_request('the body must be a JSON object {"sender": "…", "message": "…"}')
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER or clean(sender) != sender:
                return _bad_request(
                    f"'sender' must be a non-empty string of at most {MAX_SENDER} characters without control characters"
                )
            if not isinstance(text, str):
                return _bad_request("'message' must be a string")
            metadata = body.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                return _bad_request("'metadata' must be a JSON object")
            if len(text) > MAX_MESSAGE:
                return response.json(
                    in_every_language(sender, too_long_text),
                    status=413,
                )
            if not self.guard.limit.allow(sender):
                return self.slow_down(sender)
            message_id = body.get("message_id")
            if message_id is not None and (not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID):
                return _bad_request(f"'message_id' must be a string of 1 to {MAX_MESSAGE_ID} characters")
            if not _agent_ready(request):
                return response.json({"error": "the bot is starting; send the message again in a moment"}, status=503)
            collector = CollectingOutputChannel()
            metadata = self.own_metadata(request, metadata) or None
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata, message_id=message_id)
            await self.handle(request, guarded, message)
            return response.json(collector.messages)

        return rest


class FrontDoorSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (the widget's), guarded, open only to the configured web origins.

    Rasa builds its socket.io server with CORS checks off (``cors_allowed_origins=[]``): any
    web page could talk to the bot in its visitors' browsers. ``cors_allowed_origins`` in the
    credentials (``frontdoor run`` writes FRONTDOOR_WIDGET_ORIGINS there) turns the check on.
    """

    guard: Guard
    origins: list[str] | None = None
    # Each connected socket's page origin, as its browser said it at the handshake (``Origin``).
    page_origins: dict[str, str | None]
    # The Rasa server, known once it starts: its agent answers the widget's messages sent again (answer_once).
    app: Sanic | None = None

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        assert isinstance(channel, FrontDoorSocketIOInput)
        channel.guard = Guard(credentials)
        origins = (credentials or {}).get("cors_allowed_origins")
        channel.origins = [str(o) for o in origins] if isinstance(origins, list) and origins else None
        return channel

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        guarded = self.guard.wrap(on_new_message)

        async def paced(message: UserMessage) -> Any:
            text = message.text or ""
            sender = message.sender_id or ""
            refusal = too_long_text if len(text) > MAX_MESSAGE else None
            if refusal is None and not self.guard.limit.allow(sender):
                refusal = slow_down_text
            if refusal is not None:  # not answered by Rasa, so the conversation's language is not at hand
                for answer in in_every_language(sender, refusal):
                    await message.output_channel.send_text_message(sender, answer["text"])
                return None
            message_id = (message.metadata or {}).pop(MESSAGE_ID_KEY, None)
            agent = getattr(self.app.ctx, "agent", None) if self.app is not None else None
            if isinstance(message_id, str) and agent is not None and agent.is_ready():
                # The widget sends a message again after a reconnect when it had no acknowledgement.
                message.message_id = message_id
                return await self.guard.wrap(functools.partial(answer_once, agent))(message)
            return await guarded(message)

        blueprint = super().blueprint(paced)

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        if self.sio is not None:
            if self.origins:
                # A browser's Origin outside the list is refused with 400 at the handshake.
                self.sio.eio.cors_allowed_origins = self.origins
            handlers = self.sio.handlers.setdefault(self.namespace or "/", {})
            self._check_events(handlers)
            self._remember_origins(handlers)
        return blueprint

    def _remember_origins(self, handlers: dict[str, Any]) -> None:
        """Keep each socket's ``Origin`` from its handshake until it disconnects: the server's word on the
        page a message came from, never the page's own."""
        connect, disconnect = handlers.get("connect"), handlers.get("disconnect")
        self.page_origins = {}

        async def connected(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
            self.page_origins[sid] = environ.get("HTTP_ORIGIN")
            accepted = await connect(sid, environ, auth) if connect is not None else True
            if accepted is False:
                self.page_origins.pop(sid, None)
            return accepted

        async def disconnected(sid: str) -> Any:
            self.page_origins.pop(sid, None)
            return await disconnect(sid) if disconnect is not None else None

        handlers["connect"], handlers["disconnect"] = connected, disconnected

    def _check_events(self, handlers: dict[str, Any]) -> None:
        """Events that are not ``{"message": str, "session_id": str}`` are dropped before Rasa's handlers,
        which would fail on them with a traceback (``None``, a number, a list)."""
        for event, fields in ((self.user_message_evt, ("message", "session_id")), ("session_request", ("session_id",))):
            original = handlers.get(event)
            if original is None:
                continue

            async def checked(sid: str, data: Any, original: Any = original, fields: tuple[str, ...] = fields) -> Any:
                if not isinstance(data, dict) or any(not isinstance(data.get(f, ""), (str, type(None))) for f in fields):
                    logger.info("socket.io: an event that is not a message was ignored")
                    return None
                if "message" in fields and not isinstance(data.get("message"), str):
                    logger.info("socket.io: an event without a text message was ignored")
                    return None
                if "message" in fields:
                    data = _with_message_id(data, self.metadata_key)
                    data[self.metadata_key] = web_metadata(data[self.metadata_key], self.page_origins.get(sid))
                return await original(sid, data)

            handlers[event] = checked


def _with_message_id(data: dict[str, Any], metadata_key: str) -> dict[str, Any]:
    """A widget message's ``message_id`` carried in its metadata (Rasa's socket.io handler reads no id);
    a malformed id or metadata is dropped."""
    message_id = data.get("message_id")
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        with contextlib.suppress(ValueError):
            metadata = json.loads(metadata)
    clean_metadata = dict(metadata) if isinstance(metadata, dict) else {}
    clean_metadata.pop(MESSAGE_ID_KEY, None)
    if isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID:
        clean_metadata[MESSAGE_ID_KEY] = message_id
    return {**data, metadata_key: clean_metadata}


class TelegramBridgeInput(FrontDoorRestInput):
    """The guarded REST channel for the Telegram bridge only: token-checked, channel name ``telegram_bridge``."""

    blueprint_name = "telegram_bridge_webhook"

    def __init__(self, token: str | None = None, guard: Guard | None = None) -> None:
        super().__init__(guard)
        self.token = token or ""

    @classmethod
    def name(cls) -> str:
        return "telegram_bridge"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramBridgeInput:
        return cls((credentials or {}).get("token"), Guard(credentials))

    def own_metadata(self, request: Request, metadata: dict[str, Any] | None) -> dict[str, Any]:
        """The bridge's word (it holds the token): a Telegram link's partner; no page, so no web claim."""
        return bridge_metadata(metadata)

    def refuse(self, request: Request) -> HTTPResponse | None:
        """Everyone but the bridge, which holds the shared token (and none at all while no token is set)."""
        given = request.headers.get(TOKEN_HEADER) or ""
        if not self.token or not hmac.compare_digest(given, self.token):
            return response.json({"error": "this channel is only for the front door's Telegram bridge"}, status=403)
        return None

    async def handle(self, request: Request, guarded: NewMessage, message: UserMessage) -> None:
        """Each Telegram update once (:func:`answer_once`): the bridge sends an update again until it has
        Rasa's answers, after a restart or when an answer was lost on the way."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None:  # the door mounted without Rasa's agent: its handler answers
            await guarded(message)
            return
        await self.guard.wrap(functools.partial(answer_once, agent))(message)

    def slow_down(self, sender: str) -> HTTPResponse:
        """200 with the text in every language: the bridge takes any other status for Rasa being down and would say
        so to the person."""
        return response.json(in_every_language(sender, slow_down_text), status=200)
