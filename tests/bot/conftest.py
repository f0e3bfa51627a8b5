"""The stand-ins the delivery tests talk to: a Bot API with both bots, a mail server, a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot.delivery.common import CUSTOMER_TOKEN, MENTOR_TOKEN
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.standins.telegram_api import TelegramApi


@pytest.fixture
def api() -> Iterator[TelegramApi]:
    with TelegramApi() as server:
        server.add_bot(MENTOR_TOKEN, "etuovi_mentor_bot")
        server.add_bot(CUSTOMER_TOKEN, "etuovi_bot")
        yield server


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
