"""Mentor (and customer) notifications through a Telegram bot, within Telegram's limits.

Telegram allows a bot about 30 messages a second overall and one a second in
one chat; both are kept here with ``aiolimiter``. When Telegram still answers
429, its ``retry_after`` goes back to the worker, which reschedules the
notification instead of blocking the others.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.delivery.notifiers import DeliveryError, Notice

logger = logging.getLogger(__name__)


def keyboard(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons from (title, callback data) rows; ``None`` for no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(title, callback_data=data) for title, data in row] for row in rows])


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this PTB version hands back."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramNotifier:
    """Sends notices as HTML messages with inline buttons."""

    def __init__(self, bot: Bot, *, per_second: float = 30, chat_interval: float = 1.0):
        self.bot = bot
        self._overall = AsyncLimiter(per_second, 1.0)
        self._chat_interval = chat_interval
        self._chats: dict[str, AsyncLimiter] = {}

    def _chat_limiter(self, chat: str) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            limiter = self._chats[chat] = AsyncLimiter(1, self._chat_interval)
        return limiter

    async def send(self, notice: Notice, address: str) -> None:
        try:
            async with self._chat_limiter(address), self._overall:
                await self.bot.send_message(
                    chat_id=address,
                    text=notice.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(notice.buttons),
                    disable_web_page_preview=True,
                )
        except RetryAfter as error:
            raise DeliveryError("telegram: flood control (429)", retry_after=retry_seconds(error)) from None
        except (Forbidden, InvalidToken) as error:
            # The mentor blocked the bot or the token is wrong: retrying cannot help.
            raise DeliveryError(f"telegram: {error.message}", permanent=True) from None
        except BadRequest as error:
            raise DeliveryError(f"telegram: {error.message}", permanent=True) from None
        except TelegramError as error:
            raise DeliveryError(f"telegram: {error.message}") from None
