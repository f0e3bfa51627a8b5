"""Several delivery workers share one outbox on a real PostgreSQL server (started by the test):
rows are claimed with FOR UPDATE SKIP LOCKED, so no notification is sent twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text

from bot.app import FrontDoor, create_frontdoor
from bot.delivery.notifiers import Notifier
from bot.delivery.notifiers.email import EmailNotifier, SmtpServer
from bot.delivery.notifiers.webhook import WebhookNotifier
from bot.delivery.outbox import OutboxWorker
from bot.delivery.policy import DeliveryPolicy
from bot.delivery.wakeup import Wakeup
from bot.register.models import OutboxMessage
from tests.bot.delivery.common import delivery_settings, intake, running
from tests.standins.postgres import PostgresServer
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.waiting import wait

CASES = 30


@pytest.fixture
def servers() -> Iterator[tuple[PostgresServer, MailServer, WebhookReceiver]]:
    pg = PostgresServer()  # entered below; `as` would give LocalPostgres.__enter__'s declared type
    with pg, MailServer() as mail, WebhookReceiver() as hook:
        yield pg, mail, hook


def worker(app: FrontDoor, name: str, mail: MailServer, http: requests.Session) -> OutboxWorker:
    notifiers: dict[str, Notifier] = {
        "webhook": WebhookNotifier(http, app.settings.webhook_secret),
        "email": EmailNotifier(SmtpServer.from_url(mail.url).connect, "etuovi@example.org"),
    }
    policy = replace(DeliveryPolicy.from_settings(app.settings), batch=4)
    return OutboxWorker(
        app.sessions, app.networks.current, app.clock, notifiers=notifiers, writer=app.notices, policy=policy, name=name
    )


def test_two_workers_share_the_outbox_and_send_each_notification_once(
    tmp_path: Path, servers: tuple[PostgresServer, MailServer, WebhookReceiver]
) -> None:
    pg, mail, hook = servers
    # A short lease: the rows claimed by hand below are taken over again after it.
    settings = delivery_settings(tmp_path, "http://127.0.0.1:9", mail.url, hook.url, database_url=pg.url, outbox_lease_seconds=2)
    app = create_frontdoor(replace(settings, mentor_telegram_token=None, telegram_token=None))
    references = [app.cases.create_case(intake(email=f"asiakas{i}@example.org")).reference for i in range(CASES)]
    http = requests.Session()
    first, second = worker(app, "worker-1", mail, http), worker(app, "worker-2", mail, http)

    # Rows another worker holds are skipped at once, not waited for.
    with app.sessions.begin() as session:
        held = session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id).limit(3).with_for_update()).scalars().all()
        claimed: list[int] = []
        thread = threading.Thread(target=lambda: claimed.extend(c.id for c in second.claim()))
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "claim() waited for rows another transaction holds"
    assert claimed and not set(claimed) & set(held)

    try:
        with running(first.run, second.run):

            def undelivered() -> list[int]:
                with app.sessions() as session:
                    query = select(OutboxMessage.id).where(
                        OutboxMessage.channel != "telegram", OutboxMessage.status != "delivered"
                    )
                    return list(session.execute(query).scalars())

            wait(lambda: not undelivered(), "every email and webhook delivered", timeout=120)
    finally:
        http.close()
        app.engine.dispose()
    hooks = Counter(d.headers["Idempotency-Key"] for d in hook.received)
    emails = Counter(ref for m in mail.inbox.to("leena@example.org") for ref in references if ref in str(m["Subject"]))
    assert len(hooks) == CASES and set(hooks.values()) == {1}
    assert emails == dict.fromkeys(references, 1)


def test_an_idle_worker_is_woken_by_a_new_notification_and_listens_again_after_losing_its_connection(
    tmp_path: Path, servers: tuple[PostgresServer, MailServer, WebhookReceiver]
) -> None:
    pg, mail, _hook = servers
    settings = delivery_settings(tmp_path, "http://127.0.0.1:9", mail.url, "http://127.0.0.1:9", database_url=pg.url)
    app = create_frontdoor(replace(settings, mentor_telegram_token=None, telegram_token=None))
    http = requests.Session()
    notifiers: dict[str, Notifier] = {"email": EmailNotifier(SmtpServer.from_url(mail.url).connect, "etuovi@example.org")}
    # An hour between polls: within the test only the wake-up can start a delivery.
    policy = replace(DeliveryPolicy.from_settings(app.settings), poll_seconds=3600)
    wakeup = Wakeup(app.engine, relisten_seconds=0.2)
    idle = OutboxWorker(
        app.sessions, app.networks.current, app.clock, notifiers=notifiers, writer=app.notices, policy=policy, wakeup=wakeup
    )

    def emailed(reference: str) -> bool:
        return any(reference in str(m["Subject"]) for m in mail.inbox.to("leena@example.org"))

    try:
        with running(idle.run):
            wait(lambda: wakeup.listening, "the worker listens for new notifications", timeout=30)
            first = app.cases.create_case(intake(email="herätys@example.org")).reference
            wait(lambda: emailed(first), "the mentor's email of a case made while the worker was idle", timeout=60)

            # The server drops the listening connection (a restart, say): the worker notices and listens again.
            with app.engine.connect() as connection:
                dropped = (
                    connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"))
                    .scalars()
                    .all()
                )
            assert dropped == [True]
            wait(lambda: wakeup.listens == 2 and wakeup.listening, "the worker listens again", timeout=30)
            second = app.cases.create_case(intake(email="uudestaan@example.org")).reference
            wait(lambda: emailed(second), "the mentor's email of a case made after the connection was lost", timeout=60)
    finally:
        http.close()
        app.engine.dispose()
    assert not wakeup.listening
