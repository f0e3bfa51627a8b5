"""Waking an idle outbox worker the moment a notification is queued: PostgreSQL's LISTEN/NOTIFY, polling underneath."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import selectors
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.engine import Engine

from bot.register.repositories import OUTBOX_CHANNEL

if TYPE_CHECKING:
    from sqlalchemy.pool.base import _ConnectionFairy

logger = logging.getLogger(__name__)

# How long a worker whose listening connection was lost polls before it tries to listen again.
RELISTEN_SECONDS = 30.0
# How often the listening thread looks whether the worker is stopping.
WATCH_SECONDS = 1.0


class Wakeup:
    """Wakes an idle worker the moment a notification is queued, instead of at its next poll.

    On PostgreSQL a thread of the worker LISTENs on a connection of its own,
    and the transaction that queues a notification NOTIFYs at commit. Polling
    stays underneath: it finds retries that come due, and it is all there is
    on SQLite or while the listening connection is lost (the thread connects
    again every ``relisten_seconds``). A thread, not the event loop's
    ``add_reader``: libpq closes a lost connection's socket itself, and a
    watched descriptor that is closed and reused under the loop is not noticed
    by every loop implementation.
    """

    def __init__(self, engine: Engine | None = None, *, relisten_seconds: float = RELISTEN_SECONDS):
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.relisten_seconds = relisten_seconds
        self.event = asyncio.Event()
        self.listening = False
        self.listens = 0  # times listening began (again after a lost connection)
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def clear(self) -> None:
        """Forget earlier wake-ups: called just before the worker looks for due rows."""
        self.event.clear()

    async def wait(self, stop: asyncio.Event, timeout: float) -> None:
        """Return when woken, when ``stop`` is set, or after ``timeout`` seconds (the poll)."""
        if self.engine is not None and self._thread is None:
            loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._listen, args=(loop,), name="outbox-listen", daemon=True)
            self._thread.start()
        waiters = [asyncio.ensure_future(self.event.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def close(self) -> None:
        """Stop listening."""
        self._closing.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, WATCH_SECONDS + 5)

    def _connect(self) -> Any:
        assert self.engine is not None
        # The pool's proxy (the stubs type raw_connection() as the bare DBAPI connection it wraps).
        pooled = cast("_ConnectionFairy", self.engine.raw_connection())
        pooled.detach()  # ours for good: the pool neither reuses nor resets it
        # psycopg2's: its autocommit and cursor() as a context are not in the stubs' DBAPI type.
        connection: Any = pooled.connection
        connection.rollback()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return connection

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """The listening thread: connect, LISTEN, wake the worker on each notification; after a loss, again."""

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the worker has stopped
                loop.call_soon_threadsafe(self.event.set)

        while not self._closing.is_set():
            try:
                connection = self._connect()
            except Exception as error:  # the database is down or refuses: polling goes on
                logger.warning("outbox: cannot listen for new notifications (%s); polling", type(error).__name__)
                self._closing.wait(self.relisten_seconds)
                continue
            self.listening = True
            self.listens += 1
            logger.info("outbox: listening for new notifications")
            wake()  # whatever was queued while not listening is looked for at once
            try:
                self._relay(connection, wake)
            except Exception as error:  # the server closed the connection (restart, terminated backend)
                logger.warning("outbox: the listening connection was lost (%s); polling until it is back", type(error).__name__)
            finally:
                self.listening = False
                with contextlib.suppress(Exception):
                    connection.close()
            self._closing.wait(self.relisten_seconds)

    def _relay(self, connection: Any, wake: Callable[[], None]) -> None:
        """Wake the worker on each notification that arrives on ``connection``, until closing (or an error)."""
        with selectors.DefaultSelector() as watch:
            watch.register(connection, selectors.EVENT_READ)
            while not self._closing.is_set():
                if not watch.select(WATCH_SECONDS):
                    continue
                connection.poll()
                if connection.notifies:
                    connection.notifies.clear()
                    wake()
