"""Notifications by email: SMTP from the standard library, configured by one URL.

``smtp://user:password@host:587`` uses STARTTLS (and refuses to send a
password to a server that does not offer it); ``smtps://…:465`` connects over
TLS. The message id is derived from the idempotency key, so a receiver can
recognise a notification sent twice after a crash.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from bot.notifiers import DeliveryError, Notice
from bot.settings import SettingsError

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 30.0


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
        context = ssl.create_default_context()
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
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

    def __init__(self, connect: Callable[[], smtplib.SMTP], sender: str):
        self._connect = connect
        self.sender = sender

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

    def _send(self, notice: Notice, address: str) -> None:
        message = self.compose(notice, address)
        try:
            client = self._connect()
            try:
                client.send_message(message)
            finally:
                try:
                    client.quit()
                except smtplib.SMTPException:
                    client.close()
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
