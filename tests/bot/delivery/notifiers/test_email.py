"""Email notifications over a real SMTP server (aiosmtpd): connections kept for a burst, replaced when stale."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.delivery.notifiers import Notice
from bot.delivery.notifiers.email import KEEP_SECONDS, EmailNotifier, SmtpServer
from tests.standins.receivers import MailServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def notice(number: int) -> Notice:
    return Notice(
        key=f"case:{number}:assigned",
        kind="case_assigned",
        reference=f"FD-2026-{number:05d}",
        language="fi",
        subject=f"Uusi asia FD-2026-{number:05d}",
        text="Uusi asia odottaa.",
        html="<p>Uusi asia odottaa.</p>",
    )


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


def test_a_burst_of_emails_shares_one_connection(mail: MailServer) -> None:
    notifier = EmailNotifier(SmtpServer.from_url(mail.url).connect, "etuovi@example.org")
    for number in range(3):
        notifier._send(notice(number), "leena@example.org")
    notifier.close()
    assert [str(m["Subject"]) for m in mail.inbox.to("leena@example.org")] == [f"Uusi asia FD-2026-{n:05d}" for n in range(3)]
    assert len(set(mail.inbox.peers)) == 1


def test_a_connection_the_server_closed_is_replaced_and_nothing_is_lost() -> None:
    with MailServer(idle_timeout=0.3) as mail:
        notifier = EmailNotifier(SmtpServer.from_url(mail.url).connect, "etuovi@example.org")
        notifier._send(notice(1), "leena@example.org")
        time.sleep(1.0)  # the server closes the idle kept connection
        notifier._send(notice(2), "leena@example.org")
        notifier.close()
        assert len(mail.inbox.to("leena@example.org")) == 2
        assert len(set(mail.inbox.peers)) == 2


def test_a_connection_idle_too_long_is_not_reused(mail: MailServer) -> None:
    clock = Clock()
    notifier = EmailNotifier(SmtpServer.from_url(mail.url).connect, "etuovi@example.org", clock=clock)
    notifier._send(notice(1), "leena@example.org")
    clock.now += KEEP_SECONDS + 1
    notifier._send(notice(2), "leena@example.org")
    notifier.close()
    assert len(mail.inbox.to("leena@example.org")) == 2
    assert len(set(mail.inbox.peers)) == 2
