"""``frontdoor worker`` as its own process: killed with SIGKILL in the middle of a batch and
started again, it loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.register.models import OutboxMessage
from bot.settings import PROJECT_ROOT
from tests.bot.delivery.common import CUSTOMER_TOKEN, LEENA_TELEGRAM, MENTOR_TOKEN, delivery_settings, env_of, intake
from tests.standins.receivers import MailServer, WebhookReceiver
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

CASES = 8


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "frontdoor"), "worker"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out
        )


def statuses(app: FrontDoor, channel: str) -> Counter[str]:
    with app.sessions() as session:
        return Counter(session.execute(select(OutboxMessage.status).where(OutboxMessage.channel == channel)).scalars())


def wait_logged(check: Callable[[], object], what: str, log: Path) -> None:
    """Wait, and show the worker's log when it does not happen."""
    try:
        wait(check, what, timeout=90.0, interval=0.02)
    except AssertionError as error:
        raise AssertionError(f"{error}; worker log:\n{log.read_text()[-3000:]}") from None


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with TelegramApi() as api, MailServer() as mail, WebhookReceiver() as hook:
        api.add_bot(MENTOR_TOKEN, "etuovi_mentor_bot")
        api.add_bot(CUSTOMER_TOKEN, "etuovi_bot")
        settings = delivery_settings(tmp_path, api.url, mail.url, hook.url, outbox_lease_seconds=3)
        app = create_frontdoor(settings)
        assert app.mentors.redeem(app.mentors.invite("leena"), LEENA_TELEGRAM, LEENA_TELEGRAM) is not None
        references = [app.cases.create_case(intake(email=f"asiakas{i}@example.org")).reference for i in range(CASES)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")} | env_of(settings)

        worker = start_worker(env, log)
        # Telegram allows one message a second in a chat: the batch of eight takes eight seconds.
        wait_logged(lambda: statuses(app, "telegram")["delivered"] >= 3, "three Telegram deliveries", log)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        in_flight = statuses(app, "telegram")
        assert in_flight["sending"] >= 1, in_flight  # killed with claimed rows in its hands
        assert in_flight["delivered"] < CASES

        again = start_worker(env, log)
        try:
            wait_logged(lambda: statuses(app, "telegram")["delivered"] == CASES, "the rest after the restart", log)
            wait_logged(
                lambda: statuses(app, "email")["delivered"] == CASES and statuses(app, "webhook")["delivered"] == CASES,
                "email and webhooks",
                log,
            )
        finally:
            again.send_signal(signal.SIGTERM)
            assert again.wait(timeout=30) == 0
        telegram = Counter(ref for m in api.sent_to(MENTOR_TOKEN, LEENA_TELEGRAM) for ref in references if ref in m["text"])
        emails = Counter(ref for m in mail.inbox.to("leena@example.org") for ref in references if ref in str(m["Subject"]))
        hooks = Counter(d.headers["Idempotency-Key"] for d in hook.received)
        app.engine.dispose()
    assert telegram == dict.fromkeys(references, 1)
    assert emails == dict.fromkeys(references, 1)
    assert len(hooks) == CASES and set(hooks.values()) == {1}
    # The personal data of the cases never reached the worker's log.
    text = log.read_text()
    assert "maija" not in text.lower() and "asiakas0@example.org" not in text and "Meikäläinen" not in text
    # Nor did the bot token (httpx logs request URLs, which carry it).
    assert MENTOR_TOKEN not in text and CUSTOMER_TOKEN not in text
