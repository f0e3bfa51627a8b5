"""The Telegram door for individuals: a bridge between a Telegram chat and a Rasa conversation.

Each Telegram chat is one Rasa conversation (the sender id is the chat id), so
the case made there has channel ``telegram`` and the customer's news about it
comes back to the same chat. Messages go to Rasa's ``telegram_bridge`` channel
(token-checked) with the update's id, so that Rasa takes each update once
however often it comes; the bot's answers come back as plain text (never parsed
as HTML) with its buttons as an inline keyboard.

Nothing the customer says is lost: while no Rasa server answers, the door tells
the customer once that the answer comes in a moment and keeps asking (the
update stays unconfirmed to Telegram meanwhile, see :mod:`bot.doors.telegram_feed`);
a pressed button keeps its keyboard until Rasa has answered. With several Rasa
servers, any one that answers will do (Rasa's lock store keeps one
conversation's turns in order).

A partner's own link to the bot, ``https://t.me/<bot>?start=<partner id>``, makes the first
message ``/start <partner id>``: the partner goes to Rasa with the greeting, and the case made
in the chat records it as the partner the customer came in through (:mod:`bot.rasa.entry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.delivery.notices import Texts
from bot.language import language_of
from bot.messages import ERASE_PAYLOAD, GREET_PAYLOAD
from bot.rasa.entry import DEEP_LINK_KEY, partner_id
from bot.settings import BRIDGE_TOKEN_HEADER, Settings

logger = logging.getLogger(__name__)

MAX_MESSAGE = 2000
# Telegram's limit for callback data; longer payloads are looked up by a short key.
CALLBACK_LIMIT = 64
RASA_TIMEOUT = 60.0
# How many long payloads the door remembers, newest kept: the map must not grow for as long as the
# process runs. Keys are hashes of the payloads, so each distinct payload takes one entry however often
# it is shown; a button older than this many others is answered as if its key were typed.
PAYLOAD_MEMORY = 4096
# Asking Rasa again while it cannot answer: the first wait, doubled up to the last.
RETRY_FIRST = 0.5
RETRY_MAX = 5.0
# A message a running Rasa refuses this many times is given up (the customer is told to write again).
MAX_REFUSALS = 3
BRIDGE_PATH = "/webhooks/telegram_bridge/webhook"
HEALTH_PATH = "/webhooks/telegram_bridge/"


def callback_key(payload: str) -> str:
    """The payload itself when it fits Telegram's 64 bytes, else a short key for it."""
    if len(payload.encode("utf-8")) <= CALLBACK_LIMIT:
        return payload
    return "k:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class RasaUnavailable(Exception):
    """No Rasa server answered (down, starting, overloaded): ask again later."""


class RasaRefused(Exception):
    """A Rasa server answered, but not with the bot's answers to this message."""


class RasaServers:
    """The Rasa servers the door may use, the one that answered last asked first."""

    def __init__(self, urls: tuple[str, ...], http: httpx.AsyncClient, token: str):
        if not urls:
            raise ValueError("the Telegram door needs at least one Rasa server")
        self.urls = list(urls)
        self.http = http
        self.headers = {BRIDGE_TOKEN_HEADER: token}

    async def ask(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's answers to one user turn, from the first server that gives them."""
        problems = []
        for url in list(self.urls):
            try:
                reply = await self.http.post(f"{url}{BRIDGE_PATH}", json=body, headers=self.headers, timeout=RASA_TIMEOUT)
            except httpx.HTTPError as error:
                problems.append(type(error).__name__)
                continue
            if reply.status_code == 200:
                try:
                    answers = reply.json()
                except ValueError:
                    # Something between the door and Rasa answered in its place (a proxy's HTML page).
                    raise RasaRefused("HTTP 200 that is not Rasa's JSON") from None
                self._prefer(url)
                return [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
            if reply.status_code in (502, 503, 504):
                problems.append(f"HTTP {reply.status_code}")
                continue
            raise RasaRefused(f"HTTP {reply.status_code}")
        raise RasaUnavailable(", ".join(problems))

    def _prefer(self, url: str) -> None:
        if self.urls[0] != url:
            self.urls.remove(url)
            self.urls.insert(0, url)

    async def ready(self) -> bool:
        """Whether any server has its model loaded and answers."""
        for url in self.urls:
            with contextlib.suppress(httpx.HTTPError):
                if (await self.http.get(f"{url}{HEALTH_PATH}", timeout=5.0)).status_code == 200:
                    return True
        return False

    async def wait_ready(self, stop: asyncio.Event, interval: float = 1.0) -> bool:
        """Until a server answers (``True``) or ``stop`` is set (``False``)."""
        told = False
        while not stop.is_set():
            if await self.ready():
                return True
            if not told:
                logger.info("telegram (customers): waiting for Rasa to answer before taking updates")
                told = True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
        return False


def command_of(text: str) -> str | None:
    """``start`` for ``/start`` or ``/start@etuovi_bot payload``; ``None`` for text that is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()


def start_partner(text: str) -> str | None:
    """The partner a link ``t.me/<bot>?start=<partner id>`` names: Telegram sends it as ``/start <partner id>``."""
    words = text.split(maxsplit=1)
    return partner_id(words[1].strip()) if len(words) == 2 else None


class TelegramDoor:
    """What the individuals' bot does with each update; the Telegram side of one Rasa conversation per chat."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        texts: Texts | None = None,
        *,
        payload_memory: int = PAYLOAD_MEMORY,
        retry_first: float = RETRY_FIRST,
    ):
        self.settings = settings
        self.texts = texts or Texts.load()
        self.rasa = RasaServers(settings.rasa_urls, http, settings.bridge_token or "")
        # Long button payloads by their short key, least recently shown first.
        self.payloads: OrderedDict[str, str] = OrderedDict()
        self.payload_memory = payload_memory
        self.retry_first = retry_first
        # Chats told that the answer comes in a moment, until Rasa answers them.
        self.waiting: set[int] = set()

    async def handle(self, update: Update) -> None:
        """One update, answered; returns once Rasa has answered it (or it was given up)."""
        message = update.message
        if update.callback_query is not None:
            await self.button(update)
        elif message is None or update.effective_chat is None:
            return
        elif not message.text:
            await self.say(update, "door_text_only")
        else:
            await self.text(update, message.text)

    async def text(self, update: Update, text: str) -> None:
        command = command_of(text)
        if command == "start":
            partner = start_partner(text)
            await self.converse(update, GREET_PAYLOAD, metadata={DEEP_LINK_KEY: partner} if partner else None)
        elif command == "help":
            await self.say(update, "door_help")
        elif command == "privacy":
            language = language_of(update.effective_user)
            await self.say(update, "door_privacy", url=self.settings.privacy_notice_url(language))
        elif command == "delete":
            # The dialogue asks to confirm, says what goes, and erases; the same as writing "poista tietoni".
            await self.converse(update, ERASE_PAYLOAD)
        else:
            await self.converse(update, text)

    async def say(self, update: Update, key: str, **values: str) -> None:
        if update.effective_chat is not None:
            await update.effective_chat.send_message(self.texts.say(key, language_of(update.effective_user), **values))

    async def button(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        # Stops the button's spinner; a press delivered again after a restart is too old to answer, and that is fine.
        with contextlib.suppress(TelegramError):
            await query.answer()
        payload = self.payloads.get(query.data or "", query.data or "")
        if not payload:
            return

        async def drop_keyboard() -> None:
            # A button is pressed once: once Rasa has answered, its keyboard goes (already gone is fine).
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(reply_markup=None)

        await self.converse(update, payload, before_answers=drop_keyboard)

    async def converse(
        self,
        update: Update,
        text: str,
        *,
        before_answers: Callable[[], Awaitable[None]] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        language = language_of(update.effective_user)
        with contextlib.suppress(TelegramError):
            await chat.send_chat_action("typing")
        body = {
            "sender": str(chat.id),
            "message": text[:MAX_MESSAGE],
            "message_id": str(update.update_id),
            "metadata": {"telegram_language": language, **(metadata or {})},
        }
        answers = await self.answers(chat, body, language)
        if answers is None:
            return
        if before_answers is not None:
            await before_answers()
        for answer in answers:
            if answer.get("text"):
                # Plain text: whatever the bot or the customer wrote is never parsed as markup.
                await chat.send_message(str(answer["text"]), reply_markup=self.keyboard(answer.get("buttons") or []))

    async def answers(self, chat: Chat, body: dict[str, Any], language: str) -> list[dict[str, Any]] | None:
        """Rasa's answers, asked until a server gives them; ``None`` if Rasa refused the message for good.

        While no server answers at all, the door waits for as long as it takes (Telegram keeps the update).
        A message that cannot be answered while the servers are up (refused, or timing out in a turn of its
        own) is given up after a few tries, so that one conversation never holds back the others' updates."""
        delay, refusals = self.retry_first, 0
        while True:
            try:
                answers = await self.rasa.ask(body)
            except RasaUnavailable as error:
                if await self.rasa.ready():
                    refusals += 1
                    logger.error("telegram door: Rasa is up but did not answer a message (%s), attempt %d", error, refusals)
                elif chat.id not in self.waiting:
                    logger.warning("telegram door: no Rasa server answers (%s); asking again until one does", error)
                    await chat.send_message(self.texts.say("door_waiting", language))
                    self.waiting.add(chat.id)
            except RasaRefused as error:
                refusals += 1
                logger.error("telegram door: Rasa refused a message (%s), attempt %d", error, refusals)
            else:
                self.waiting.discard(chat.id)
                return answers
            if refusals >= MAX_REFUSALS:
                self.waiting.discard(chat.id)
                await chat.send_message(self.texts.say("door_unavailable", language))
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    def keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        rows = []
        for button in buttons:
            title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
            if not title or not payload:
                continue
            key = callback_key(payload)
            if key != payload:
                self._remember(key, payload)
            rows.append([InlineKeyboardButton(title[:64], callback_data=key)])
        return InlineKeyboardMarkup(rows) if rows else None

    def _remember(self, key: str, payload: str) -> None:
        """Keep a long payload for its button, forgetting the least recently shown beyond the memory's size."""
        self.payloads[key] = payload
        self.payloads.move_to_end(key)
        while len(self.payloads) > self.payload_memory:
            self.payloads.popitem(last=False)
