"""The Telegram door for individuals: a bridge between a Telegram chat and a Rasa conversation.

Each Telegram chat is one Rasa conversation (the sender id is the chat id), so
the case made there has channel ``telegram`` and the customer's news about it
comes back to the same chat. Messages go to Rasa's ``telegram_bridge`` channel
(token-checked); the bot's answers come back as plain text (never parsed as
HTML) with its buttons as an inline keyboard. Works with long polling (no
public address needed) or, with ``FRONTDOOR_TELEGRAM_WEBHOOK_URL``, as a
webhook whose requests must carry Telegram's secret token.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections import OrderedDict
from typing import Any

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.guard import ERASE_PAYLOAD
from bot.network import language_of
from bot.notices import Texts
from bot.rasa_channels import TOKEN_HEADER
from bot.settings import Settings

logger = logging.getLogger(__name__)

MAX_MESSAGE = 2000
# Telegram's limit for callback data; longer payloads are looked up by a short key.
CALLBACK_LIMIT = 64
RASA_TIMEOUT = 60.0
# How many long payloads the door remembers, newest kept: the map must not grow for as long as the
# process runs. Keys are hashes of the payloads, so each distinct payload takes one entry however often
# it is shown; a button older than this many others is answered as if its key were typed.
PAYLOAD_MEMORY = 4096


def callback_key(payload: str) -> str:
    """The payload itself when it fits Telegram's 64 bytes, else a short key for it."""
    if len(payload.encode("utf-8")) <= CALLBACK_LIMIT:
        return payload
    return "k:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class RasaUnavailable(Exception):
    """Rasa did not answer; the customer is told to try again."""


class TelegramDoor:
    """Handlers of the individuals' bot."""

    def __init__(
        self, settings: Settings, http: httpx.AsyncClient, texts: Texts | None = None, *, payload_memory: int = PAYLOAD_MEMORY
    ):
        self.settings = settings
        self.http = http
        self.texts = texts or Texts.load()
        self.url = f"{settings.rasa_base_url}/webhooks/telegram_bridge/webhook"
        # Long button payloads by their short key, least recently shown first.
        self.payloads: OrderedDict[str, str] = OrderedDict()
        self.payload_memory = payload_memory

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CommandHandler("help", self.help))
        application.add_handler(CommandHandler("privacy", self.privacy))
        application.add_handler(CommandHandler("delete", self.delete))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.text))
        application.add_handler(MessageHandler(~filters.TEXT, self.not_text))
        application.add_error_handler(self.error)

    async def ask_rasa(self, chat_id: int, text: str, language: str) -> list[dict[str, Any]]:
        """One user turn; the bot's answers."""
        body = {"sender": str(chat_id), "message": text[:MAX_MESSAGE], "metadata": {"telegram_language": language}}
        try:
            reply = await self.http.post(
                self.url, json=body, headers={TOKEN_HEADER: self.settings.bridge_token or ""}, timeout=RASA_TIMEOUT
            )
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from None
        if reply.status_code != 200:
            raise RasaUnavailable(f"HTTP {reply.status_code}")
        answers = reply.json()
        return [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []

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

    async def converse(self, update: Update, text: str) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        language = language_of(update.effective_user)
        await chat.send_chat_action("typing")
        try:
            answers = await self.ask_rasa(chat.id, text, language)
        except RasaUnavailable as error:
            logger.warning("telegram door: Rasa did not answer (%s)", error)
            await chat.send_message(self.texts.say("door_unavailable", language))
            return
        for answer in answers:
            if answer.get("text"):
                # Plain text: whatever the bot or the customer wrote is never parsed as markup.
                await chat.send_message(str(answer["text"]), reply_markup=self.keyboard(answer.get("buttons") or []))

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.converse(update, "/greet")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await update.effective_chat.send_message(self.texts.say("door_help", language_of(update.effective_user)))

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        language = language_of(update.effective_user)
        if update.effective_chat:
            url = self.settings.privacy_notice_url(language)
            await update.effective_chat.send_message(self.texts.say("door_privacy", language, url=url))

    async def delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The dialogue asks to confirm, says what goes, and erases; the same as writing "poista tietoni".
        await self.converse(update, ERASE_PAYLOAD)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message and message.text:
            await self.converse(update, message.text)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.effective_message:
            await update.effective_chat.send_message(self.texts.say("door_text_only", language_of(update.effective_user)))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        payload = self.payloads.get(query.data or "", query.data or "")
        # A button is pressed once: its keyboard goes away (already gone is fine).
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
        if payload:
            await self.converse(update, payload)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram door: %s", type(context.error).__name__ if context.error else "unknown error")
