"""The mentors' Telegram bot: link an account, list and show cases, act on them with buttons.

Buttons carry ``verb:REFERENCE`` (and a partner for forwarding) and drive the
same :class:`~bot.register.lifecycle.Lifecycle` as the command line, so the same rules
hold: only the case's holder or the coordinator may act, and a change the
status does not allow is refused with the reason. A Telegram account that is
not linked to a mentor gets a polite refusal and never any case data.

``/desk`` gives a linked mentor a one-time sign-in link to the desk, the web
workplace (it works once and only for a few minutes, like the links the desk
emails).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.delivery.notices import CLOSE_AS, FORWARD_TO, SHOW, NoticeWriter, mentor_language
from bot.delivery.notifiers.telegram import keyboard
from bot.language import language_of
from bot.network.model import Mentor
from bot.register.lifecycle import CaseNotFound, Lifecycle, Outcome, TransitionError
from bot.register.mentors import MentorDirectory
from bot.register.models import Case, Verb, Via

logger = logging.getLogger(__name__)

# The door the mentors' acts come through, as the case's events record it.
VIA = Via.TELEGRAM


class MentorBot:
    """Handlers of the mentors' bot."""

    def __init__(
        self,
        directory: MentorDirectory,
        lifecycle: Lifecycle,
        writer: NoticeWriter,
        desk_link: Callable[[str], str] | None = None,
        *,
        link_minutes: int = 15,
    ):
        """``desk_link(mentor_id)`` makes a one-time sign-in URL to the desk (without it, ``/desk`` gives the
        desk's address, where the mentor asks for a link by email)."""
        self.directory = directory
        self.lifecycle = lifecycle
        self.writer = writer
        self.texts = writer.texts
        self.desk_link = desk_link
        self.link_minutes = link_minutes

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CommandHandler("cases", self.cases))
        application.add_handler(CommandHandler("case", self.case))
        application.add_handler(CommandHandler("desk", self.desk))
        application.add_handler(CommandHandler("help", self.help))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(filters.ALL, self.help))
        application.add_error_handler(self.error)

    async def _mentor(self, update: Update) -> Mentor | None:
        user = update.effective_user
        return await asyncio.to_thread(self.directory.mentor_for, user.id) if user else None

    async def _reply(self, update: Update, text: str) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML, disable_web_page_preview=True)

    async def _refuse(self, update: Update) -> None:
        await self._reply(update, html.escape(self.texts.say("bot_not_registered", language_of(update.effective_user))))

    # -- commands -------------------------------------------------------------
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        if context.args:
            mentor = await asyncio.to_thread(self.directory.redeem, context.args[0], user.id, chat.id)
            language = mentor_language(mentor) if mentor else language_of(user)
            if mentor is None:
                await self._reply(update, html.escape(self.texts.say("bot_invite_invalid", language)))
                return
            await self._reply(update, html.escape(self.texts.say("bot_linked", language, name=mentor.name, mentor=mentor.id)))
            return
        await self.help(update, context)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        mentor = await self._mentor(update)
        if mentor is None:
            await self._refuse(update)
            return
        await self._reply(update, html.escape(self.texts.say("bot_help", mentor_language(mentor))))

    async def cases(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        mentor = await self._mentor(update)
        if mentor is None:
            await self._refuse(update)
            return
        language = mentor_language(mentor)
        cases = await asyncio.to_thread(self.directory.open_cases, mentor.id)
        if not cases:
            await self._reply(update, html.escape(self.texts.say("bot_no_cases", language)))
            return
        lines = [f"<b>{html.escape(self.texts.say('bot_open_cases', language, count=len(cases)))}</b>"]
        lines += [self._line(case, language) for case in cases[:50]]
        await self._reply(update, "\n".join(lines))

    def _line(self, case: Case, language: str) -> str:
        need = self.writer.taxonomy.needs.get(case.need)
        status = self.texts.word("statuses", case.status, language)
        where = f" · {case.municipality}" if case.municipality else ""
        name = need.name(language) if need else case.need
        return html.escape(f"{case.reference} · {name}{where} · {status}")

    async def desk(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/desk``: a one-time sign-in link to the desk, for a linked mentor only."""
        mentor = await self._mentor(update)
        if mentor is None:
            await self._refuse(update)
            return
        language = mentor_language(mentor)
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:  # anyone in a group could use the link first
            await self._reply(update, html.escape(self.texts.say("bot_desk_private_only", language)))
            return
        if self.desk_link is None:
            text = self.texts.say("bot_desk_address", language, url=f"{self.writer.public_url}/desk/")
        else:
            url = await asyncio.to_thread(self.desk_link, mentor.id)
            text = self.texts.say("bot_desk_link", language, url=url, minutes=self.link_minutes)
        await self._reply(update, html.escape(text))

    async def case(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        mentor = await self._mentor(update)
        if mentor is None:
            await self._refuse(update)
            return
        language = mentor_language(mentor)
        if not context.args:
            await self._reply(update, html.escape(self.texts.say("bot_case_usage", language)))
            return
        reference = context.args[0][:40]
        case = await asyncio.to_thread(self.directory.case_for, mentor.id, reference)
        if case is None:
            await self._reply(update, html.escape(self.texts.say("bot_case_unknown", language, reference=reference.upper())))
            return
        card = self.writer.mentor_card(case, self.directory.network, language)
        if update.effective_message:
            await update.effective_message.reply_text(card.html, parse_mode=ParseMode.HTML, reply_markup=keyboard(card.buttons))

    # -- buttons --------------------------------------------------------------
    def _action(self, verb: str, mentor: Mentor, reference: str, choice: str | None) -> Callable[[], Outcome]:
        """The lifecycle's step for a button; ``choice`` is the partner forwarded to or the outcome closed with."""
        lifecycle = self.lifecycle
        actions: dict[str, Callable[[], Outcome]] = {
            Verb.ACCEPT: lambda: lifecycle.accept(reference, mentor.id, via=VIA),
            Verb.DECLINE: lambda: lifecycle.decline(reference, mentor.id, via=VIA),
            Verb.CONTACTED: lambda: lifecycle.contacted(reference, mentor.id, via=VIA),
            CLOSE_AS: lambda: lifecycle.close(reference, mentor.id, outcome=choice or "", via=VIA),
            FORWARD_TO: lambda: lifecycle.forward(reference, mentor.id, choice or "", via=VIA),
        }
        return actions[verb]

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        mentor = await self._mentor(update)
        if mentor is None:
            await query.answer(self.texts.say("bot_not_registered", language_of(update.effective_user)), show_alert=True)
            return
        language = mentor_language(mentor)
        verb, _, rest = (query.data or "").partition(":")
        reference, _, partner = rest.partition(":")
        case = await asyncio.to_thread(self.directory.case_for, mentor.id, reference)
        if case is None:
            await query.answer(self.texts.say("bot_case_unknown", language, reference=reference), show_alert=True)
            return
        network = self.directory.network
        if verb in (Verb.FORWARD, Verb.CLOSE, SHOW):
            card = self.writer.mentor_card(case, network, language)
            if verb in (Verb.FORWARD, Verb.CLOSE):  # a second keyboard: the partner, or what came of it
                forward = verb == Verb.FORWARD
                ask = self.texts.say("bot_forward_to" if forward else "bot_close_as", language, reference=case.reference)
                choices = (
                    self.writer.forward_buttons(case, network, language)
                    if forward
                    else self.writer.outcome_buttons(case, language)
                )
                await query.answer()
                await self._edit(update, f"{card.html}\n\n<b>{html.escape(ask)}</b>", choices)
                return
            await query.answer()
            await self._edit(update, card.html, card.buttons)
            return
        if verb not in (Verb.ACCEPT, Verb.DECLINE, Verb.CONTACTED, CLOSE_AS, FORWARD_TO):
            await query.answer()
            return
        try:
            outcome = await asyncio.to_thread(self._action(verb, mentor, case.reference or reference, partner or None))
        except (TransitionError, CaseNotFound) as error:
            await query.answer(self.texts.say("bot_refused", language, reason=str(error))[:200], show_alert=True)
            return
        await query.answer(self.texts.say("bot_done", language, status=self.texts.word("statuses", outcome.status, language)))
        after = await asyncio.to_thread(self.directory.case_for, mentor.id, outcome.reference)
        if after is None:
            gone = self.texts.say("bot_handled_by_other", language, reference=outcome.reference)
            await self._edit(update, html.escape(gone), ())
            return
        card = self.writer.mentor_card(after, network, language)
        await self._edit(update, card.html, card.buttons)

    async def _edit(self, update: Update, text: str, rows: tuple[tuple[tuple[str, str], ...], ...]) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard(rows))
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The update may hold personal data: log only what went wrong.
        logger.error("mentor bot: %s", type(context.error).__name__ if context.error else "unknown error")
