"""The follow-up's buttons in the individuals' Telegram bot: the customer's answer, recorded once.

The follow-up message (:mod:`bot.delivery.notices`) carries buttons whose data is
``fu:<follow-up id>:<answer>``. A press of one is answered here and never goes on
to Rasa: the answer is recorded (only from the chat that was asked), the buttons
go, and the customer is thanked in the case's language. Every other update goes
on to the door (:func:`answering_followups` puts this in front of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError

from bot.delivery.notices import Texts
from bot.language import language_of
from bot.register.followups import Answer, FollowUps, parse_callback

logger = logging.getLogger(__name__)

Handler = Callable[[Update], Awaitable[None]]


class FollowUpButtons:
    """Records the answers the customers press."""

    def __init__(self, followups: FollowUps, texts: Texts | None = None):
        self.followups = followups
        self.texts = texts or Texts.load()

    async def take(self, update: Update) -> bool:
        """Whether ``update`` was a press of a follow-up button (and is answered now)."""
        query = update.callback_query
        pressed = parse_callback(query.data if query is not None else None)
        chat = update.effective_chat
        if query is None or pressed is None or chat is None:
            return False
        with contextlib.suppress(TelegramError):
            await query.answer()
        followup_id, answer = pressed
        answered = await asyncio.to_thread(self.followups.answer_in_chat, followup_id, chat.id, answer)
        if answered.result == "unknown":
            language = language_of(update.effective_user)
            await chat.send_message(self.texts.say("followup_unknown", language))
            return True
        with contextlib.suppress(TelegramError):  # already gone is fine
            await query.edit_message_reply_markup(reply_markup=None)
        await chat.send_message(self.texts.say(_reply(answered.result, answered.answer), answered.language))
        return True


def _reply(result: str, answer: Answer | None) -> str:
    if result != "recorded":
        return "followup_already"
    if answer == Answer.STOP:
        return "followup_stopped"
    return "followup_thanks_no" if answer == Answer.NO else "followup_thanks"


def answering_followups(buttons: FollowUpButtons, handle: Handler) -> Handler:
    """``handle`` (the door's), with the follow-up's button presses taken first."""

    async def handle_update(update: Update) -> None:
        if not await buttons.take(update):
            await handle(update)

    return handle_update
