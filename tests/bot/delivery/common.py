"""What the delivery tests share: a small network whose channels point at the stand-ins,
settings for it, a worker running in a thread, and a case to notify about."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.app import FrontDoor
from bot.ops.worker import serve
from bot.register.cases import Intake
from bot.settings import Settings, secret_key
from tests.bot.register.test_cases import INTAKE

MENTOR_TOKEN = "111:mentor-token"
CUSTOMER_TOKEN = "222:customer-token"
SECRET = "partner-secret-1"
LEENA_TELEGRAM = 501
STRANGER_TELEGRAM = 999
# The case: a staff-training need, only Leena's partner serves it; HTML in the customer's words.
CASE = replace(
    INTAKE,
    need="staff_training",
    need_text="Tarvitsemme <img src=x onerror=alert(1)> trukkikoulutusta",
    phone=None,
    conversation_id="conv-delivery",
)


def network_file(folder: Path, webhook_url: str) -> Path:
    """Two partners; Leena (email, Telegram, webhook) is the only mentor for staff training; both take cooperation (Leena's partner first)."""
    raw: dict[str, Any] = {
        "network": {"id": "test-net", "name": "Testiverkosto", "contact_email": "etuovi@example.org"},
        "service": {"response_hours": 8, "working_hours": "08:00-16:00", "timezone": "Europe/Helsinki"},
        "coordinator": {
            "id": "coordinator",
            "name": "Satu Koordinaattori",
            "partner": "amk",
            "languages": ["fi", "en", "sv"],
            "capacity": 1000,
            "channels": [{"email": "koordinaattori@example.org"}],
        },
        "areas": [{"id": "kouvola", "name": "Kouvolan seutu", "municipalities": ["Kouvola", "Iitti"]}],
        "partners": [
            {
                "id": "amk",
                "name": "Kaakon AMK (testi)",
                "kind": "education_provider",
                "needs": ["staff_training", "cooperation", "instructor_training", "competence_path"],
                "languages": ["fi", "en", "sv"],
            },
            {
                "id": "tyollisyys",
                "name": "Työllisyyspalvelut (testi)",
                "kind": "employment_services",
                "needs": ["recruitment", "job_search", "apprenticeship", "cooperation"],
                "languages": ["fi", "en", "sv"],
            },
        ],
        "mentors": [
            {
                "id": "leena",
                "name": "Leena Osaaja",
                "partner": "amk",
                "languages": ["fi", "en"],
                "capacity": 100,
                "channels": [{"email": "leena@example.org"}, {"telegram": None}, {"webhook": webhook_url}],
            },
            {
                "id": "anna",
                "name": "Anna Työllinen",
                "partner": "tyollisyys",
                "languages": ["fi", "en", "sv"],
                "capacity": 100,
                "channels": [{"email": "anna@example.org"}, {"telegram": None}],
            },
        ],
    }
    path = folder / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def catalogue_file(folder: Path) -> Path:
    """Two offerings of the two partners that answer staff training: a path can be drafted for the delivery case."""
    raw = {
        "offerings": [
            {
                "id": "amk-trukki",
                "partner": "amk",
                "kind": "short_course",
                "level": "course",
                "title": {"fi": "Trukkikoulutus henkilöstölle", "en": "Forklift training for staff"},
                "link": {"fi": "https://amk.example.org/trukki", "en": "https://amk.example.org/en/forklift"},
                "needs": ["staff_training"],
                "start": "2027-03-09",
            },
            {
                "id": "tyollisyys-koulutus",
                "partner": "tyollisyys",
                "kind": "employment_service",
                "level": "service",
                "title": {"fi": "Yhteishankintakoulutus", "en": "Joint purchase training"},
                "link": {"fi": "https://tyollisyys.example.org/yhteishankinta"},
                "needs": ["staff_training"],
                "format": "online",
            },
        ]
    }
    path = folder / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def delivery_settings(folder: Path, api_url: str, smtp_url: str | None, webhook_url: str, **changes: Any) -> Settings:
    """Settings of a front door whose every channel points at a stand-in; quick retries."""
    base = Settings(
        database_url=f"sqlite:///{folder / 'cases.db'}",
        network_path=network_file(folder, webhook_url),
        mentor_telegram_token=MENTOR_TOKEN,
        telegram_token=CUSTOMER_TOKEN,
        telegram_api_url=api_url,
        smtp_url=smtp_url,
        webhook_secrets=((secret_key("amk"), SECRET),),
        outbox_backoff_seconds=0.2,
        outbox_backoff_max_seconds=1.0,
        outbox_poll_seconds=0.1,
        outbox_max_attempts=4,
    )
    return replace(base, **changes)


def env_of(settings: Settings) -> dict[str, str]:
    """The same settings as environment variables, for a worker in its own process."""
    env = {
        "FRONTDOOR_DATABASE_URL": settings.database_url,
        "FRONTDOOR_NETWORK": str(settings.network_path),
        "FRONTDOOR_MENTOR_TELEGRAM_TOKEN": settings.mentor_telegram_token or "",
        "FRONTDOOR_TELEGRAM_TOKEN": settings.telegram_token or "",
        "FRONTDOOR_TELEGRAM_API_URL": settings.telegram_api_url,
        "FRONTDOOR_OUTBOX_BACKOFF_SECONDS": str(settings.outbox_backoff_seconds),
        "FRONTDOOR_OUTBOX_BACKOFF_MAX_SECONDS": str(settings.outbox_backoff_max_seconds),
        "FRONTDOOR_OUTBOX_POLL_SECONDS": str(settings.outbox_poll_seconds),
        "FRONTDOOR_OUTBOX_MAX_ATTEMPTS": str(settings.outbox_max_attempts),
        "FRONTDOOR_OUTBOX_LEASE_SECONDS": str(settings.outbox_lease_seconds),
        "FRONTDOOR_OUTBOX_BATCH": str(settings.outbox_batch),
    }
    if settings.smtp_url:
        env["FRONTDOOR_SMTP_URL"] = settings.smtp_url
    for key, secret in settings.webhook_secrets:
        env[f"FRONTDOOR_WEBHOOK_SECRET_{key}"] = secret
    return env


@contextmanager
def running(*tasks: Callable[[asyncio.Event], Coroutine[Any, Any, object]]) -> Iterator[None]:
    """Coroutines (each given the stop event) on a loop in a thread of this process, stopped at the end."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    errors: list[BaseException] = []

    async def together() -> None:
        await asyncio.gather(*(task(stop) for task in tasks))

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(together())
        except BaseException as error:  # surfaced in the test below
            errors.append(error)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
    assert not thread.is_alive() and not errors, errors


def running_worker(frontdoor: FrontDoor) -> AbstractContextManager[None]:
    """``frontdoor worker``'s :func:`serve` in a thread of this process, stopped at the end."""
    return running(lambda stop: serve(frontdoor, stop))


def intake(**changes: Any) -> Intake:
    return replace(CASE, **changes)
