"""Updates from Telegram to the door, each confirmed to Telegram only once it has been handled.

Telegram keeps an update until the bot confirms it: with long polling by asking
``getUpdates`` with an offset past it, with a webhook by answering its request
with 2xx. The feed confirms an update only after the door has handled it (Rasa
answered and the answers were sent), so an update in flight when anything dies
comes again, and Rasa takes it once (:class:`bot.rasa.channels.TelegramBridgeInput`).

:class:`UpdateRelay` runs one lane per chat: a chat's updates in order, chats in
parallel, each update once however often Telegram sends it. :func:`poll` and
:class:`WebhookServer` feed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
# How many handled update ids are remembered to recognise a repeat (Telegram's own confirmation does the rest).
MEMORY = 10_000
# A lane that cannot send to Telegram tries again after this long, doubled up to the last.
SEND_RETRY_FIRST = 1.0
SEND_RETRY_MAX = 30.0
# An update that fails in an unexpected way this many times is given up (logged), not retried forever.
MAX_FAILURES = 3
# How long a webhook request waits for its update to be handled before asking Telegram to send it again.
WEBHOOK_HOLD = 50.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Handler = Callable[[Update], Awaitable[None]]


def _lane_of(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class UpdateRelay:
    """Hands updates to the door: in order within a chat, in parallel across chats, each once."""

    def __init__(self, handle: Handler, *, memory: int = MEMORY):
        self.handle = handle
        self.memory = memory
        self.pending: dict[int, asyncio.Future[None]] = {}
        self.handled: OrderedDict[int, None] = OrderedDict()
        self.lanes: dict[int, deque[Update]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        # Set whenever an update has been handled.
        self.progress = asyncio.Event()

    def take(self, update: Update) -> asyncio.Future[None]:
        """Queue ``update`` in its chat's lane unless it is queued or handled already; done once it is handled."""
        update_id = update.update_id
        if update_id in self.pending:
            return self.pending[update_id]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if update_id in self.handled:
            done.set_result(None)
            return done
        self.pending[update_id] = done
        lane = _lane_of(update)
        if lane in self.lanes:
            self.lanes[lane].append(update)
        else:
            self.lanes[lane] = deque([update])
            task = asyncio.create_task(self._run(lane))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return done

    def first_pending(self) -> int | None:
        """The oldest update not yet handled: Telegram may be told of everything before it."""
        return min(self.pending) if self.pending else None

    def is_new(self, update: Update) -> bool:
        return update.update_id not in self.pending and update.update_id not in self.handled

    async def _run(self, lane: int) -> None:
        queue = self.lanes[lane]
        try:
            while queue:
                update = queue[0]
                await self._handle(update)
                queue.popleft()
                self.handled[update.update_id] = None
                while len(self.handled) > self.memory:
                    self.handled.popitem(last=False)
                self.pending.pop(update.update_id).set_result(None)
                self.progress.set()
        finally:
            if not queue:
                self.lanes.pop(lane, None)

    async def _handle(self, update: Update) -> None:
        """Handle ``update`` until it is done: sending to Telegram is tried again while the Bot API cannot take it."""
        delay, failures = SEND_RETRY_FIRST, 0
        while True:
            try:
                await self.handle(update)
                return
            except (Forbidden, BadRequest) as error:
                # The customer blocked the bot or the chat is gone: nobody to answer.
                logger.warning("telegram door: update %d not answered (%s)", update.update_id, type(error).__name__)
                return
            except RetryAfter as error:
                wait = float(error.retry_after if isinstance(error.retry_after, (int, float)) else SEND_RETRY_MAX)
            except TelegramError as error:
                logger.warning("telegram door: the Bot API did not take an answer (%s); trying again", type(error).__name__)
                wait, delay = delay, min(delay * 2, SEND_RETRY_MAX)
            except Exception as error:  # one broken update must not stop its chat's lane
                failures += 1
                logger.error("telegram door: update %d failed (%s), attempt %d", update.update_id, type(error).__name__, failures)
                if failures >= MAX_FAILURES:
                    return
                wait, delay = delay, min(delay * 2, SEND_RETRY_MAX)
            await asyncio.sleep(wait)

    async def close(self) -> None:
        """Stop handling; what was not handled stays unconfirmed and comes again."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _first(job: Awaitable[tuple[Update, ...]], stop: asyncio.Event) -> tuple[Update, ...] | None:
    """``job``'s result, or ``None`` if ``stop`` is set first (the job is cancelled)."""
    fetch = asyncio.ensure_future(job)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if fetch.done():
        return fetch.result()
    fetch.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await fetch
    return None


async def poll(bot: Bot, relay: UpdateRelay, stop: asyncio.Event, *, long_poll: int = 10) -> None:
    """Long polling until ``stop``: each ``getUpdates`` confirms only the updates the door has handled."""
    retry = SEND_RETRY_FIRST
    while not stop.is_set():
        try:
            await bot.delete_webhook(drop_pending_updates=False)
            break
        except TelegramError as error:
            logger.warning("telegram (customers): deleteWebhook failed (%s); trying again", type(error).__name__)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry)
            retry = min(retry * 2, SEND_RETRY_MAX)
    offset: int | None = None
    retry = SEND_RETRY_FIRST
    while not stop.is_set():
        relay.progress.clear()
        try:
            # While updates are in flight Telegram gives them back at once: no long poll then.
            updates = await _first(
                bot.get_updates(offset=offset, timeout=0 if relay.pending else long_poll, allowed_updates=ALLOWED_UPDATES),
                stop,
            )
        except TelegramError as error:
            logger.warning("telegram (customers): getUpdates failed (%s); trying again", type(error).__name__)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry)
            retry = min(retry * 2, SEND_RETRY_MAX)
            continue
        if updates is None:
            break
        retry = SEND_RETRY_FIRST
        new = [update for update in updates if relay.is_new(update)]
        for update in updates:
            relay.take(update)
        offset = _next_offset(relay, updates, offset)
        if relay.pending and not new:
            # Only updates in flight came back: wait until one of them is handled (or a moment passes).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(relay.progress.wait(), timeout=1.0)
    await _confirm(bot, relay, offset)


def _next_offset(relay: UpdateRelay, updates: tuple[Update, ...], offset: int | None) -> int | None:
    first = relay.first_pending()
    if first is not None:
        return first
    if updates:
        return max(update.update_id for update in updates) + 1
    return offset


async def _confirm(bot: Bot, relay: UpdateRelay, offset: int | None) -> None:
    """At a stop: tell Telegram of the updates handled since the last ``getUpdates``."""
    first = relay.first_pending()
    highest = max(relay.handled, default=None)
    target = first if first is not None else (highest + 1 if highest is not None else None)
    if target is None or (offset is not None and target <= offset):
        return
    with contextlib.suppress(TelegramError):
        await bot.get_updates(offset=target, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)


class WebhookServer:
    """Webhook mode: Telegram's request for an update is answered 200 only once the door has handled it.

    A request without Telegram's secret token is refused (403). An update not handled within
    ``hold`` seconds (Rasa away) is answered 503, and Telegram sends it again later; the door keeps
    working on it meanwhile and takes the repeat as the same update.
    """

    def __init__(self, bot: Bot, relay: UpdateRelay, secret: str, *, hold: float = WEBHOOK_HOLD):
        self.bot = bot
        self.relay = relay
        self.secret = secret
        self.hold = hold
        self.runner: web.AppRunner | None = None

    async def receive(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return web.json_response({"error": "not Telegram's secret token"}, status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except (ValueError, TypeError, KeyError):
            return web.json_response({"error": "the body is not a Telegram update"}, status=400)
        if update is None:
            return web.json_response({"error": "the body is not a Telegram update"}, status=400)
        try:
            await asyncio.wait_for(asyncio.shield(self.relay.take(update)), timeout=self.hold)
        except asyncio.TimeoutError:
            return web.json_response({"error": "not answered yet; send it again"}, status=503)
        return web.json_response({"ok": True})

    async def start(self, listen: str, port: int, url: str) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/telegram", self.receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, listen, port).start()
        await self.bot.set_webhook(url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES)

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
