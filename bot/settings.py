"""Configuration of the front door, read once from the environment.

Every entry point calls :meth:`Settings.from_env` and passes the frozen result
on; nothing else in the project reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NETWORK = PROJECT_ROOT / "networks" / "kymenlaakso.yml"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'frontdoor.db'}"
# The word files every package reads: needs, municipalities, sector words, the texts.
DATA_DIR = Path(__file__).resolve().parent / "data"
NEEDS_FILE = DATA_DIR / "needs.yml"


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a browser sends as its Origin."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class SettingsError(ValueError):
    """A setting has a value the front door cannot use."""


def redis_lock_store(url: str) -> dict[str, object]:
    """Rasa's ``lock_store`` endpoint for a ``redis://[:password@]host[:port][/db]`` URL."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("redis", "rediss") or not rest:
        raise SettingsError(f"FRONTDOOR_REDIS_URL={url!r} is not a Redis URL; set it like redis://localhost:6379/1")
    credentials, _, location = rest.rpartition("@")
    address, _, db = location.partition("/")
    host, _, port = address.partition(":")
    if not host or (port and not port.isdigit()) or (db and not db.isdigit()):
        raise SettingsError(f"FRONTDOOR_REDIS_URL={url!r} is not a Redis URL; set it like redis://localhost:6379/1")
    store: dict[str, object] = {"type": "redis", "url": host, "port": int(port or 6379), "db": int(db or 1)}
    store["key_prefix"] = "frontdoor"
    if credentials:
        user, _, password = credentials.partition(":")
        store["password"] = password or user
        if password and user:
            store["username"] = user
    if scheme == "rediss":
        store["use_ssl"] = True
    return store


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number; set it to e.g. {default:g}") from None
    if value < 0:
        raise SettingsError(f"{name}={raw!r} is negative; set it to e.g. {default:g}")
    return value


WEBHOOK_SECRET_PREFIX = "FRONTDOOR_WEBHOOK_SECRET_"
# Rasa sends FRONTDOOR_ACTION_TOKEN in this header with every action call; the action server checks it.
ACTION_TOKEN_HEADER = "X-Frontdoor-Action-Token"
# The header by which the Telegram bridge shows Rasa's telegram_bridge channel the shared token.
BRIDGE_TOKEN_HEADER = "X-Frontdoor-Bridge-Token"


def secret_key(partner_id: str) -> str:
    """The environment name part of a partner's webhook secret: ``kymi-yrityskehitys`` → ``KYMI_YRITYSKEHITYS``."""
    return "".join(c if c.isalnum() else "_" for c in partner_id).upper()


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
    """What the front door needs to know about where it runs (secrets stay out of its repr)."""

    database_url: str = DEFAULT_DATABASE_URL
    network_path: Path = DEFAULT_NETWORK
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    # Where the web server listens (0.0.0.0 behind a proxy on its own machine).
    web_host: str = "127.0.0.1"
    rasa_token: str | None = field(default=None, repr=False)
    public_url: str = "http://localhost:8080"
    # Where browsers reach Rasa (the widget's socket.io); unset: the page's host with Rasa's port.
    rasa_public_url: str | None = None
    privacy_notice_version: str = "2026-12-05"
    telegram_token: str | None = field(default=None, repr=False)
    mentor_telegram_token: str | None = field(default=None, repr=False)
    # Shared by Rasa's Telegram bridge channel and the bridge; `frontdoor run` makes one if unset.
    bridge_token: str | None = field(default=None, repr=False)
    # Where the bridge reaches Rasa; unset: this machine's Rasa port.
    rasa_url: str | None = None
    # Every Rasa server the Telegram door may use (FRONTDOOR_RASA_URLS, comma-separated); unset: see rasa_urls.
    rasa_servers: tuple[str, ...] = ()
    # Telegram webhook mode for individuals (unset: long polling): public HTTPS URL, secret, local port.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_api_url: str = "https://api.telegram.org"
    smtp_url: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    # How often the running front door looks for cases not accepted in time.
    escalation_seconds: int = 60
    # Sender of notification emails; empty: the network's contact address.
    smtp_from: str | None = None
    # Per-partner webhook secrets (FRONTDOOR_WEBHOOK_SECRET_<PARTNER>), as (partner id key, secret).
    webhook_secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # The outbox delivery worker: batch size, retries, backoff and how long a claim holds.
    outbox_batch: int = 20
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 10.0
    outbox_backoff_max_seconds: float = 3600.0
    outbox_lease_seconds: int = 300
    outbox_poll_seconds: float = 0.25
    # How long a mentor's Telegram invite code stays valid.
    invite_days: int = 7
    # Rasa's conversations (its SQL tracker store); unset: beside the case database (see conversations_url).
    tracker_database_url: str | None = field(default=None, repr=False)
    # Rasa sends it to the action server, which refuses calls without it; `frontdoor run` makes one if unset.
    action_token: str | None = field(default=None, repr=False)
    # Web origins whose pages may open the widget (CORS for Rasa's REST and socket.io); unset: the demo page's.
    widget_origins: tuple[str, ...] = ()
    # Scale-out: Rasa's lock store in Redis (needed by several Rasa processes), how many Rasa
    # servers (each with its own action server) and outbox workers `frontdoor run` starts.
    redis_url: str | None = field(default=None, repr=False)
    rasa_replicas: int = 1
    outbox_workers: int = 1
    # The offerings catalogue: the curated file (unset: beside the network file, networks/<name>.catalogue.yml),
    # the folder of synced catalogues, and Opintopolku's konfo API that `frontdoor catalogue sync` reads.
    catalogue_path: Path | None = None
    catalogue_dir: Path = PROJECT_ROOT / "var" / "catalogue"
    konfo_url: str = "https://opintopolku.fi"
    konfo_timeout_seconds: float = 20.0
    # OpenMP threads of the sentence encoder (multilingual-e5-small) that ranks offerings by meaning, per process.
    encoder_threads: int = 1
    # The desk: how long a sign-in link holds, a session's idle timeout and longest life.
    desk_link_minutes: int = 15
    desk_idle_minutes: int = 120
    desk_session_hours: int = 12
    # Proxies (addresses, comma-separated, or *) whose X-Forwarded-For/-Proto the web part believes.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def curated_catalogue(self) -> Path:
        """The curated catalogue file in use."""
        return self.catalogue_path or self.network_path.with_name(f"{self.network_path.stem}.catalogue.yml")

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
            web_host=env.get("FRONTDOOR_WEB_HOST") or "127.0.0.1",
            rasa_token=env.get("FRONTDOOR_RASA_TOKEN") or None,
            public_url=(env.get("FRONTDOOR_PUBLIC_URL") or f"http://localhost:{web_port}").rstrip("/"),
            rasa_public_url=(env.get("FRONTDOOR_RASA_PUBLIC_URL") or "").rstrip("/") or None,
            telegram_token=env.get("FRONTDOOR_TELEGRAM_TOKEN") or None,
            mentor_telegram_token=env.get("FRONTDOOR_MENTOR_TELEGRAM_TOKEN") or None,
            telegram_api_url=(env.get("FRONTDOOR_TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
            bridge_token=env.get("FRONTDOOR_BRIDGE_TOKEN") or None,
            rasa_url=(env.get("FRONTDOOR_RASA_URL") or "").rstrip("/") or None,
            rasa_servers=tuple(u.strip().rstrip("/") for u in (env.get("FRONTDOOR_RASA_URLS") or "").split(",") if u.strip()),
            telegram_webhook_url=env.get("FRONTDOOR_TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("FRONTDOOR_TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_webhook_listen=env.get("FRONTDOOR_TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
            telegram_webhook_port=_int(env, "FRONTDOOR_TELEGRAM_WEBHOOK_PORT", 8443),
            smtp_url=env.get("FRONTDOOR_SMTP_URL") or None,
            log_level=(env.get("FRONTDOOR_LOG_LEVEL") or "INFO").upper(),
            escalation_seconds=_int(env, "FRONTDOOR_ESCALATION_SECONDS", 60),
            smtp_from=env.get("FRONTDOOR_SMTP_FROM") or None,
            webhook_secrets=tuple(
                sorted(
                    (name[len(WEBHOOK_SECRET_PREFIX) :], value)
                    for name, value in env.items()
                    if name.startswith(WEBHOOK_SECRET_PREFIX) and value
                )
            ),
            outbox_batch=max(1, _int(env, "FRONTDOOR_OUTBOX_BATCH", 20)),
            outbox_max_attempts=max(1, _int(env, "FRONTDOOR_OUTBOX_MAX_ATTEMPTS", 8)),
            outbox_backoff_seconds=_float(env, "FRONTDOOR_OUTBOX_BACKOFF_SECONDS", 10.0),
            outbox_backoff_max_seconds=_float(env, "FRONTDOOR_OUTBOX_BACKOFF_MAX_SECONDS", 3600.0),
            outbox_lease_seconds=max(1, _int(env, "FRONTDOOR_OUTBOX_LEASE_SECONDS", 300)),
            outbox_poll_seconds=_float(env, "FRONTDOOR_OUTBOX_POLL_SECONDS", 0.25),
            invite_days=max(1, _int(env, "FRONTDOOR_INVITE_DAYS", 7)),
            tracker_database_url=env.get("FRONTDOOR_TRACKER_DATABASE_URL") or None,
            action_token=env.get("FRONTDOOR_ACTION_TOKEN") or None,
            widget_origins=tuple(
                origin.strip().rstrip("/") for origin in (env.get("FRONTDOOR_WIDGET_ORIGINS") or "").split(",") if origin.strip()
            ),
            redis_url=env.get("FRONTDOOR_REDIS_URL") or None,
            rasa_replicas=max(1, _int(env, "FRONTDOOR_RASA_REPLICAS", 1)),
            outbox_workers=max(1, _int(env, "FRONTDOOR_OUTBOX_WORKERS", 1)),
            catalogue_path=Path(env["FRONTDOOR_CATALOGUE"]) if env.get("FRONTDOOR_CATALOGUE") else None,
            catalogue_dir=Path(env.get("FRONTDOOR_CATALOGUE_DIR") or PROJECT_ROOT / "var" / "catalogue"),
            konfo_url=(env.get("FRONTDOOR_KONFO_URL") or "https://opintopolku.fi").rstrip("/"),
            konfo_timeout_seconds=_float(env, "FRONTDOOR_KONFO_TIMEOUT_SECONDS", 20.0),
            encoder_threads=max(1, _int(env, "FRONTDOOR_ENCODER_THREADS", 1)),
            desk_link_minutes=max(1, _int(env, "FRONTDOOR_DESK_LINK_MINUTES", 15)),
            desk_idle_minutes=max(1, _int(env, "FRONTDOOR_DESK_IDLE_MINUTES", 120)),
            desk_session_hours=max(1, _int(env, "FRONTDOOR_DESK_SESSION_HOURS", 12)),
            trusted_proxies=tuple(p.strip() for p in (env.get("FRONTDOOR_TRUSTED_PROXIES") or "").split(",") if p.strip()),
        )

    def with_overrides(self, *, database_url: str | None = None, network_path: Path | None = None) -> Settings:
        """Settings with command-line overrides applied (``None`` keeps the value)."""
        return replace(
            self,
            database_url=database_url or self.database_url,
            network_path=network_path or self.network_path,
        )

    @property
    def conversations_url(self) -> str:
        """Where Rasa stores conversations: the setting, or beside a SQLite case database, or the same PostgreSQL database."""
        if self.tracker_database_url:
            return self.tracker_database_url
        if self.database_url.startswith("sqlite:///") and self.database_url.endswith(".db"):
            return self.database_url[: -len(".db")] + "-conversations.db"
        return self.database_url

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """Origins allowed to talk to Rasa from a browser: the setting, or the demo page's own."""
        if self.widget_origins:
            return self.widget_origins
        return tuple(
            dict.fromkeys((_origin(self.public_url), f"http://localhost:{self.web_port}", f"http://127.0.0.1:{self.web_port}"))
        )

    @property
    def rasa_base_url(self) -> str:
        """Where this machine's processes reach Rasa."""
        return self.rasa_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Every Rasa server the Telegram door may use, preferred first: ``FRONTDOOR_RASA_URLS``, else
        ``FRONTDOOR_RASA_URL``, else this machine's replicas (ports counted up from the Rasa port)."""
        if self.rasa_servers:
            return self.rasa_servers
        if self.rasa_url:
            return (self.rasa_url,)
        return tuple(f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_replicas))

    def check(self) -> None:
        """Settings that only make sense together; the message says what to set."""
        shared = self.database_url.startswith("postgresql")
        if (self.rasa_replicas > 1 or self.outbox_workers > 1) and not shared:
            raise SettingsError(
                "FRONTDOOR_RASA_REPLICAS / FRONTDOOR_OUTBOX_WORKERS above 1 need a database they can share: "
                "set FRONTDOOR_DATABASE_URL=postgresql://… (SQLite serves one process of each)"
            )
        if self.rasa_replicas > 1 and not self.redis_url:
            raise SettingsError(
                "FRONTDOOR_RASA_REPLICAS above 1 needs Rasa's lock store in Redis: set FRONTDOOR_REDIS_URL=redis://host:6379/1"
            )
        if self.redis_url:
            redis_lock_store(self.redis_url)
        for origin in self.widget_origins:
            if origin != "*" and (not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]):
                raise SettingsError(
                    f"FRONTDOOR_WIDGET_ORIGINS: {origin!r} is not a web origin; give scheme and host only, "
                    "e.g. https://www.example.fi,https://example.fi"
                )
        if self.telegram_webhook_url:
            if not self.telegram_webhook_url.startswith("https://"):
                raise SettingsError("FRONTDOOR_TELEGRAM_WEBHOOK_URL must be an https:// address (Telegram calls only HTTPS)")
            secret = self.telegram_webhook_secret or ""
            if not (1 <= len(secret) <= 256) or not all(c.isalnum() or c in "_-" for c in secret):
                raise SettingsError(
                    "FRONTDOOR_TELEGRAM_WEBHOOK_SECRET must be set with webhook mode: 1-256 characters A-Z, a-z, 0-9, _ and -"
                )

    def webhook_secret(self, partner_id: str) -> str | None:
        """The partner's webhook signing secret, or ``None`` when it is not set."""
        return dict(self.webhook_secrets).get(secret_key(partner_id))

    def privacy_notice_url(self, language: str) -> str:
        """Where the privacy notice in ``language`` is served."""
        return f"{self.public_url}/privacy/{language}.html"
