"""The outbox delivery worker against real receivers: a Bot API stand-in that fails and
floods, a real SMTP server, a webhook receiver that fails for good."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.delivery.admin import OutboxAdmin
from bot.register.models import OutboxMessage
from tests.bot.delivery.common import LEENA_TELEGRAM, MENTOR_TOKEN, delivery_settings, intake, running_worker
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait


def rows(app: FrontDoor) -> list[OutboxMessage]:
    with app.sessions() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def link_leena(app: FrontDoor) -> None:
    assert app.mentors.redeem(app.mentors.invite("leena"), LEENA_TELEGRAM, LEENA_TELEGRAM) is not None


def test_every_notification_arrives_exactly_once_through_errors_and_flood_control(
    tmp_path: Path, api: TelegramApi, mail: MailServer
) -> None:
    with WebhookReceiver(fail_first=3) as hook:
        app = create_frontdoor(delivery_settings(tmp_path, api.url, mail.url, hook.url))
        link_leena(app)
        references = [app.cases.create_case(intake(email=f"asiakas{i}@example.org")).reference for i in range(5)]
        # The Bot API fails three times, then floods (429, retry after 1 s) twice, then recovers.
        api.fail("sendMessage", times=3, status=500)
        api.fail("sendMessage", times=2, status=429, retry_after=1)
        with running_worker(app):
            wait(lambda: all(r.status == "delivered" for r in rows(app)), "every notification delivered")
        telegram = Counter(ref for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM) for ref in references if ref in m["text"])
        emails = Counter(ref for m in mail.inbox.to("leena@example.org") for ref in references if ref in str(m["Subject"]))
        hooks = Counter(d.headers["Idempotency-Key"] for d in hook.received[3:])
        app.engine.dispose()
    assert telegram == dict.fromkeys(references, 1)
    assert emails == dict.fromkeys(references, 1)
    assert len(hooks) == 5 and set(hooks.values()) == {1}
    sends = api.bots[MENTOR_TOKEN].calls.count("sendMessage")
    assert sends == 5 + 3 + 2  # each failure was retried, nothing more
    assert len(hook.received) == 5 + 3
    outbox = rows(app)
    assert len(outbox) == 15 and all(r.status == "delivered" and r.last_error is None for r in outbox)
    # A 429 does not use up an attempt; a 500 does.
    assert max(r.attempts for r in outbox if r.channel == "telegram") <= 2


def test_a_webhook_that_always_fails_is_dead_lettered_and_the_coordinator_alerted(
    tmp_path: Path, api: TelegramApi, mail: MailServer
) -> None:
    with WebhookReceiver(status=500) as hook:
        app = create_frontdoor(delivery_settings(tmp_path, api.url, mail.url, hook.url, outbox_max_attempts=3))
        reference = app.cases.create_case(intake()).reference
        with running_worker(app):
            alert = wait(lambda: mail.inbox.to("koordinaattori@example.org"), "the coordinator's alert")
        assert len(hook.received) == 3  # three attempts, then given up
        hook.status = 200
        dead = OutboxAdmin(app.sessions, app.networks.current, app.clock).listing("dead")
        assert [(d["reference"], d["channel"], d["attempts"], d["last_error"]) for d in dead] == [
            (reference, "webhook", 3, "webhook: HTTP 500")
        ]
        assert reference in str(alert[0]["Subject"]) and "webhook" in alert[0].get_content()
        shown = app.cases.show_case(reference)
        assert shown is not None
        failed = [e for e in shown["events"] if e["kind"] == "delivery_failed"]
        assert len(failed) == 1 and failed[0]["detail"]["channel"] == "webhook"
        # Fixed at the partner's end: the coordinator sends it again.
        assert OutboxAdmin(app.sessions, app.networks.current, app.clock).retry([dead[0]["id"]], via="desk") == 1
        retried = [e for e in app.cases.show_case(reference)["events"] if e["kind"] == "notification_retried"]  # type: ignore[index]
        assert [(e["actor"], e["detail"]) for e in retried] == [("coordinator", {"outbox": [dead[0]["id"]], "via": "desk"})]
        assert OutboxAdmin(app.sessions, app.networks.current, app.clock).retry([dead[0]["id"]]) == 0, "it is not dead now"
        with running_worker(app):
            wait(lambda: len(hook.received) == 4, "the retried webhook")
            # Everything but Telegram, which waits for Leena to link it.
            wait(lambda: all(r.status == "delivered" for r in rows(app) if r.channel != "telegram"), "the rest delivered")
        app.engine.dispose()
    assert len(mail.inbox.to("koordinaattori@example.org")) == 1


def test_a_channel_that_is_off_waits_without_using_retries(tmp_path: Path, api: TelegramApi) -> None:
    with WebhookReceiver() as hook:
        app = create_frontdoor(delivery_settings(tmp_path, api.url, None, hook.url))
        app.cases.create_case(intake())
        with running_worker(app):
            wait(lambda: hook.received, "the webhook")
            time.sleep(0.5)
        app.engine.dispose()
    by_channel = {r.channel: r for r in rows(app)}
    assert by_channel["webhook"].status == "delivered"
    assert by_channel["email"].status == "pending" and by_channel["email"].attempts == 0  # no SMTP configured
    # Leena has not linked Telegram yet: it waits without using attempts, and says why.
    assert by_channel["telegram"].status == "pending" and by_channel["telegram"].attempts == 0
    assert "frontdoor mentor invite leena" in (by_channel["telegram"].last_error or "")


def test_telegram_waiting_for_a_link_goes_out_once_the_mentor_links(tmp_path: Path, api: TelegramApi) -> None:
    with WebhookReceiver() as hook:
        app = create_frontdoor(delivery_settings(tmp_path, api.url, None, hook.url))
        reference = app.cases.create_case(intake()).reference
        with running_worker(app):
            wait(lambda: any(r.channel == "telegram" and r.last_error for r in rows(app)), "the wait")
            link_leena(app)  # releases the waiting notification at once
            api.wait_for(lambda: api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM), what="the notification")
        app.engine.dispose()
    assert [reference in m["text"] for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM)] == [True]
