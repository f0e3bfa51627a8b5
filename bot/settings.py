"""Configuration of the front door, read once from the environment.

Every entry point calls :meth:`Settings.from_env` and passes the frozen result
on; nothing else in the project reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NETWORK = PROJECT_ROOT / "networks" / "kymenlaakso.yml"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'frontdoor.db'}"
NEEDS_FILE = Path(__file__).resolve().parent / "data" / "needs.yml"


class SettingsError(ValueError):
    """A setting has a value the front door cannot use."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None


@dataclass(frozen=True)
class Settings:
    """What the front door needs to know about where it runs."""

    database_url: str = DEFAULT_DATABASE_URL
    network_path: Path = DEFAULT_NETWORK
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    rasa_token: str | None = None
    public_url: str = "http://localhost:8080"
    privacy_notice_version: str = "2026-11-24"
    telegram_token: str | None = None
    mentor_telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    smtp_url: str | None = None
    log_level: str = "INFO"
    # How often the running front door looks for cases not accepted in time.
    escalation_seconds: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``FRONTDOOR_*`` variables (``os.environ`` by default)."""
        env = os.environ if env is None else env
        web_port = _int(env, "FRONTDOOR_WEB_PORT", 8080)
        return cls(
            database_url=env.get("FRONTDOOR_DATABASE_URL") or DEFAULT_DATABASE_URL,
            network_path=Path(env.get("FRONTDOOR_NETWORK") or DEFAULT_NETWORK),
            rasa_port=_int(env, "FRONTDOOR_RASA_PORT", 5005),
            action_port=_int(env, "FRONTDOOR_ACTION_PORT", 5055),
            web_port=web_port,
            rasa_token=env.get("FRONTDOOR_RASA_TOKEN") or None,
            public_url=(env.get("FRONTDOOR_PUBLIC_URL") or f"http://localhost:{web_port}").rstrip("/"),
            telegram_token=env.get("FRONTDOOR_TELEGRAM_TOKEN") or None,
            mentor_telegram_token=env.get("FRONTDOOR_MENTOR_TELEGRAM_TOKEN") or None,
            telegram_api_url=(env.get("FRONTDOOR_TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
            smtp_url=env.get("FRONTDOOR_SMTP_URL") or None,
            log_level=(env.get("FRONTDOOR_LOG_LEVEL") or "INFO").upper(),
            escalation_seconds=_int(env, "FRONTDOOR_ESCALATION_SECONDS", 60),
        )

    def with_overrides(self, *, database_url: str | None = None, network_path: Path | None = None) -> Settings:
        """Settings with command-line overrides applied (``None`` keeps the value)."""
        return replace(
            self,
            database_url=database_url or self.database_url,
            network_path=network_path or self.network_path,
        )

    def privacy_notice_url(self, language: str) -> str:
        """Where the privacy notice in ``language`` is served."""
        return f"{self.public_url}/privacy/{language}.html"
