"""``frontdoor worker``: the outbox delivery worker and the mentors' Telegram bot, in one process.

Built from the composition root: each channel whose settings are present gets
its notifier (email, webhooks always, Telegram for mentors and for
customers); a channel that is off is not attempted, so its notifications wait.
Telegram joins once its Bot API answers ``getMe``; until then the other
channels go on. SIGTERM or Ctrl-C stops it between deliveries; SIGKILL at any
point loses nothing (see :mod:`bot.delivery.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

import httpx
import requests
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.app import FrontDoor
from bot.delivery.notifiers import Notifier
from bot.delivery.notifiers.email import EmailNotifier, SmtpServer
from bot.delivery.notifiers.telegram import TelegramNotifier
from bot.delivery.notifiers.webhook import WebhookNotifier
from bot.delivery.outbox import OutboxWorker
from bot.delivery.policy import DeliveryPolicy
from bot.delivery.wakeup import Wakeup
from bot.desk.access import DeskAccess
from bot.doors.followup_buttons import FollowUpButtons, answering_followups
from bot.doors.mentor_bot import MentorBot
from bot.doors.telegram import TelegramDoor
from bot.doors.telegram_feed import UpdateRelay, WebhookServer, poll
from bot.register.followups import FollowUps

logger = logging.getLogger(__name__)

# How long to wait before asking an unreachable Bot API again at start-up.
TELEGRAM_RETRY_SECONDS = 15.0
# How long the bots may take to finish what they are doing when the worker stops.
STOP_GRACE = 5.0


def make_bot(token: str, api_url: str) -> Bot:
    """A Bot talking to ``<api_url>/bot<token>/<method>`` (Telegram's, or a self-hosted Bot API server)."""
    return Bot(
        token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=HTTPXRequest(connection_pool_size=16, connect_timeout=10, read_timeout=20),
        get_updates_request=HTTPXRequest(connect_timeout=10, read_timeout=40),
    )


def bot_username(token: str, api_url: str) -> str:
    """The bot's @username, asked from the Bot API (for invite links)."""

    async def ask() -> str:
        async with make_bot(token, api_url) as bot:
            return str(bot.username)

    return asyncio.run(ask())


async def _until_ready(what: str, attempt: Callable[[], Awaitable[object]], stop: asyncio.Event) -> bool:
    """Call ``attempt`` (e.g. ``getMe``) until the Bot API answers; ``False`` if stopped or the token is refused."""
    while not stop.is_set():
        try:
            await attempt()
            return True
        except InvalidToken:
            logger.error("%s: the Bot API refused the token; check it", what)
            return False
        except TelegramError as error:
            logger.warning(
                "%s: Bot API not reachable (%s); trying again in %.0f s", what, type(error).__name__, TELEGRAM_RETRY_SECONDS
            )
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=TELEGRAM_RETRY_SECONDS)
    return False


class TelegramSide:
    """The Telegram bots: each joins the worker's channels once its Bot API answers."""

    def __init__(self, frontdoor: FrontDoor, notifiers: dict[str, Notifier], stop: asyncio.Event):
        self.frontdoor = frontdoor
        self.notifiers = notifiers
        self.stop = stop
        self.application: Application | None = None  # type: ignore[type-arg]
        self.relay: UpdateRelay | None = None
        self.webhook: WebhookServer | None = None
        self.http: httpx.AsyncClient | None = None
        self.bots: list[Bot] = []

    async def mentors(self, token: str) -> None:
        """The mentors' bot: notifications out, commands and buttons in (long polling)."""
        settings = self.frontdoor.settings
        app = Application.builder().bot(make_bot(token, settings.telegram_api_url)).build()
        access = DeskAccess(
            self.frontdoor.sessions,
            self.frontdoor.networks.current,
            self.frontdoor.clock,
            link_minutes=settings.desk_link_minutes,
        )

        def desk_link(person_id: str) -> str:
            return f"{settings.public_url}/desk/link/{access.issue_link(person_id)}"

        bot = MentorBot(
            self.frontdoor.mentors,
            self.frontdoor.lifecycle,
            self.frontdoor.notices,
            desk_link,
            link_minutes=settings.desk_link_minutes,
        )
        bot.install(app)
        if not await _until_ready("telegram (mentors)", app.initialize, self.stop):
            return
        self.application = app
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10, allowed_updates=["message", "callback_query"])
        self.notifiers["telegram"] = TelegramNotifier(app.bot)
        logger.info("telegram (mentors): polling as @%s", app.bot.username)

    async def customers(self, token: str) -> None:
        """The individuals' bot: the Telegram door to the conversation, and news about their case.

        News go out as soon as the Bot API answers; updates are taken only once a Rasa server answers,
        and each is confirmed to Telegram only after it has been answered (:mod:`bot.doors.telegram_feed`)."""
        settings = self.frontdoor.settings
        bot = make_bot(token, settings.telegram_api_url)
        if not await _until_ready("telegram (customers)", bot.initialize, self.stop):
            return
        self.bots.append(bot)
        self.notifiers["telegram_customer"] = TelegramNotifier(bot)
        self.http = httpx.AsyncClient()
        door = TelegramDoor(settings, self.http)
        if not await door.rasa.wait_ready(self.stop):
            return
        # A customer's press of a follow-up button is answered here; everything else goes on to Rasa.
        followups = FollowUps(self.frontdoor.sessions, self.frontdoor.networks.current, self.frontdoor.clock)
        self.relay = UpdateRelay(answering_followups(FollowUpButtons(followups), door.handle))
        if settings.telegram_webhook_url:
            self.webhook = WebhookServer(bot, self.relay, settings.telegram_webhook_secret or "")
            await self.webhook.start(
                settings.telegram_webhook_listen, settings.telegram_webhook_port, settings.telegram_webhook_url
            )
            logger.info(
                "telegram (customers): webhook on %s:%s/telegram",
                settings.telegram_webhook_listen,
                settings.telegram_webhook_port,
            )
            await self.stop.wait()
        else:
            logger.info("telegram (customers): polling as @%s", bot.username)
            await poll(bot, self.relay, self.stop)

    async def sender(self, what: str, token: str, channel: str) -> None:
        """A bot that only sends (another worker reads its updates): notifications for ``channel``."""
        bot = make_bot(token, self.frontdoor.settings.telegram_api_url)
        if await _until_ready(what, bot.initialize, self.stop):
            self.bots.append(bot)
            self.notifiers[channel] = TelegramNotifier(bot)
            logger.info("%s: sending only (updates are read by another worker)", what)

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.close()
        if self.relay is not None:
            await self.relay.close()
        for bot in self.bots:
            await bot.shutdown()
        app = self.application
        if app is not None:
            if app.updater and app.updater.running:
                await app.updater.stop()
            await app.stop()
            await app.shutdown()
        if self.http is not None:
            await self.http.aclose()


def _outbox_worker(frontdoor: FrontDoor, notifiers: dict[str, Notifier]) -> OutboxWorker:
    """The outbox's delivery loop over ``notifiers`` (which the Telegram bots join as they come up)."""
    return OutboxWorker(
        frontdoor.sessions,
        frontdoor.networks.current,
        frontdoor.clock,
        notifiers=notifiers,
        writer=frontdoor.notices,
        policy=DeliveryPolicy.from_settings(frontdoor.settings),
        wakeup=Wakeup(frontdoor.engine),
    )


async def serve(frontdoor: FrontDoor, stop: asyncio.Event, *, bots: bool = True) -> int:
    """Deliver the outbox and answer mentors until ``stop`` is set; the exit status.

    Several workers may deliver one outbox, but only one may read a Telegram bot's updates
    (Telegram answers a second reader with 409 Conflict): the others run with ``bots=False``
    and only send through the bots. A bot that fails for good stops the worker with status 1,
    so that its supervisor starts it again rather than leaving a door closed.
    """
    settings = frontdoor.settings
    http = requests.Session()
    notifiers: dict[str, Notifier] = {"webhook": WebhookNotifier(http, settings.webhook_secret)}
    email: EmailNotifier | None = None
    if settings.smtp_url:
        sender = settings.smtp_from or frontdoor.network.contact_email
        email = notifiers["email"] = EmailNotifier(SmtpServer.from_url(settings.smtp_url).connect, sender)
    worker = _outbox_worker(frontdoor, notifiers)
    telegram = TelegramSide(frontdoor, notifiers, stop)
    tasks = []
    if settings.mentor_telegram_token:
        mentors = settings.mentor_telegram_token
        started = telegram.mentors(mentors) if bots else telegram.sender("telegram (mentors)", mentors, "telegram")
        tasks.append(asyncio.create_task(started))
    if settings.telegram_token:
        customers = settings.telegram_token
        started = (
            telegram.customers(customers) if bots else telegram.sender("telegram (customers)", customers, "telegram_customer")
        )
        tasks.append(asyncio.create_task(started))
    failed: list[str] = []

    def watch(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            failed.append(type(task.exception()).__name__)
            logger.error("a Telegram bot stopped (%s); the worker stops so that it is started again", failed[-1])
            stop.set()

    for task in tasks:
        task.add_done_callback(watch)
    try:
        await worker.run(stop)
    finally:
        # The door confirms to Telegram what it has answered before it goes (a moment at most).
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await telegram.close()
        if email is not None:
            await asyncio.to_thread(email.close)
        http.close()
        logger.info("outbox worker stopped")
    return 1 if failed else 0


def run_worker(frontdoor: FrontDoor, *, bots: bool = True) -> int:
    """Run :func:`serve` until SIGTERM or Ctrl-C."""
    frontdoor.settings.check()

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        return await serve(frontdoor, stop, bots=bots)

    return asyncio.run(main())
