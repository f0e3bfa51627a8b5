"""Notifications by email: SMTP from the standard library, configured by one URL.

``smtp://user:password@host:587`` uses STARTTLS (and refuses to send a
password to a server that does not offer it); ``smtps://…:465`` connects over
TLS. The message id is derived from the idempotency key, so a receiver can
recognise a notification sent twice after a crash.

A connection is kept open for the next notification for a few seconds: a
campaign's burst of cases then costs one connection (and one TLS handshake
and login) instead of one per email. A kept connection the server has closed
meanwhile is replaced once, transparently.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from bot.delivery.notifiers import DeliveryError, Notice
from bot.settings import SettingsError

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 30.0
# A connection idle longer than this is closed, not reused (servers drop idle clients after a while).
KEEP_SECONDS = 10.0


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Made once, and only when TLS is used (loading the CA store costs milliseconds per call)."""
    return ssl.create_default_context()


class SmtpUrlError(SettingsError):
    """FRONTDOOR_SMTP_URL cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send mail."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SmtpUrlError(
                "FRONTDOOR_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465"
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError:
            raise SmtpUrlError("FRONTDOOR_SMTP_URL has a port that is not a number, e.g. smtp://host:587") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def connect(self) -> smtplib.SMTP:
        """An open, authenticated connection."""
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=_tls_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=_tls_context())
                client.ehlo()
            elif self.username:
                client.close()
                raise DeliveryError("smtp: the server offers no STARTTLS; the password is not sent in clear (use smtps://)")
        if self.username:
            client.login(self.username, self.password or "")
        return client


def message_id(key: str) -> str:
    """A stable Message-ID for an idempotency key."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@frontdoor>"


class EmailNotifier:
    """Sends notices as plain-text email."""

    def __init__(self, connect: Callable[[], smtplib.SMTP], sender: str, *, clock: Callable[[], float] = time.monotonic):
        self._connect = connect
        self.sender = sender
        self.clock = clock
        self._kept: list[tuple[float, smtplib.SMTP]] = []  # idle connections, with when each became idle
        self._lock = threading.Lock()

    def compose(self, notice: Notice, address: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = notice.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id(notice.key)
        message["X-Frontdoor-Idempotency-Key"] = notice.key
        message["Content-Language"] = notice.language
        message.set_content(notice.text)
        return message

    def _checkout(self) -> tuple[smtplib.SMTP, bool]:
        """A kept connection (``True``) if one is fresh enough, else a new one."""
        stale = []
        found = None
        with self._lock:
            while self._kept and found is None:
                since, client = self._kept.pop()
                if self.clock() - since < KEEP_SECONDS:
                    found = client
                else:
                    stale.append(client)
        for client in stale:
            _quit(client)
        return (found, True) if found is not None else (self._connect(), False)

    def _checkin(self, client: smtplib.SMTP) -> None:
        with self._lock:
            self._kept.append((self.clock(), client))

    def close(self) -> None:
        """Close the kept connections (the worker is stopping)."""
        with self._lock:
            kept, self._kept = self._kept, []
        for _since, client in kept:
            _quit(client)

    def _send(self, notice: Notice, address: str) -> None:
        message = self.compose(notice, address)
        try:
            client, kept = self._checkout()
            try:
                try:
                    client.send_message(message)
                except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException) as error:
                    if not (kept and _closed_by_server(error)):
                        raise
                    _quit(client)  # the server closed the kept connection meanwhile: once more on a new one
                    client = self._connect()
                    client.send_message(message)
            except BaseException:
                _quit(client)
                raise
            self._checkin(client)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("smtp: the server refused the recipient address", permanent=True) from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"smtp: login refused ({error.smtp_code}); check FRONTDOOR_SMTP_URL") from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"smtp: {error.smtp_code}", permanent=500 <= error.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"smtp: {type(error).__name__}") from None

    async def send(self, notice: Notice, address: str) -> None:
        await asyncio.to_thread(self._send, notice, address)


def _quit(client: smtplib.SMTP) -> None:
    """End a session politely if the server still listens; close the socket either way."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.quit()
    client.close()


def _closed_by_server(error: smtplib.SMTPException) -> bool:
    """A server that closes an idle connection says 421 first (RFC 5321 4.2.2), or just goes."""
    return isinstance(error, smtplib.SMTPServerDisconnected) or getattr(error, "smtp_code", None) == 421
