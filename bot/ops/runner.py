"""``frontdoor run``: starts every part of the front door and stops them together.

Rasa, the action server, the outbox worker and the web part (privacy notice,
demo page, escalation, nightly purge) run as child processes (as they would on
separate machines), kept running by :mod:`bot.ops.supervisor`: a part that dies is
started again, one that keeps dying stops the runner with a non-zero status.
The runner prints where each part listens, which optional parts are off and
why, and ``ready`` once every part answers.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

import requests
import yaml

from bot.app import FrontDoor, create_frontdoor
from bot.desk.access import DeskAccess
from bot.ops.localservices import LocalPostgres, LocalRedis, ServiceError
from bot.ops.scheduler import start_scheduler
from bot.ops.supervisor import PartSpec, Supervisor
from bot.ops.webserver import WebServer, WebServerError
from bot.register.followups import FollowUps
from bot.settings import ACTION_TOKEN_HEADER, PROJECT_ROOT, Settings, redis_lock_store

logger = logging.getLogger(__name__)

SOCKET_CHANNEL = "bot.rasa.channels.FrontDoorSocketIOInput"
# Where `make run-scaled` starts its own PostgreSQL and Redis (beside any system-wide ones).
SCALED_POSTGRES_PORT = 5433
SCALED_REDIS_PORT = 6380
DEFAULT_MODEL = PROJECT_ROOT / "models" / "frontdoor.tar.gz"
START_TIMEOUT = 600.0


def optional_parts(settings: Settings) -> list[str]:
    """One line per optional part: on, or off and why."""
    lines = []
    if settings.telegram_token:
        mode = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "long polling"
        lines.append(f"telegram (individuals): on ({mode}), Bot API {settings.telegram_api_url}")
    else:
        lines.append("telegram (individuals): off (FRONTDOOR_TELEGRAM_TOKEN not set)")
    if settings.mentor_telegram_token:
        lines.append(
            f"telegram (mentors): on, Bot API {settings.telegram_api_url}; link a mentor with 'frontdoor mentor invite ID'"
        )
    else:
        lines.append("telegram (mentors): off (FRONTDOOR_MENTOR_TELEGRAM_TOKEN not set): notifications wait in the outbox")
    if settings.smtp_url:
        lines.append("email: on")
    else:
        lines.append("email: off (FRONTDOOR_SMTP_URL not set): notifications wait in the outbox")
    partners = sorted(key for key, _secret in settings.webhook_secrets)
    if partners:
        lines.append(f"webhooks: on, signed for {', '.join(partners)}; other partners' webhooks wait for their secret")
    else:
        lines.append("webhooks: waiting (no FRONTDOOR_WEBHOOK_SECRET_<PARTNER> set): webhook notifications wait in the outbox")
    if not settings.rasa_token:
        lines.append("rasa HTTP API: off (FRONTDOOR_RASA_TOKEN not set); the chat channels are on")
    return lines


def write_endpoints(settings: Settings, folder: Path, port: int | None = None, action_url: str | None = None) -> Path:
    """Rasa's endpoints: its action server (with the token), the masking SQL tracker store, and the
    Redis lock store when several Rasa processes share the conversations."""
    folder.mkdir(parents=True, exist_ok=True)
    # Selective domain: the domain goes only to the form's validation action, not to every call.
    action: dict[str, object] = {
        "url": action_url or f"http://127.0.0.1:{settings.action_port}/webhook",
        "enable_selective_domain": True,
    }
    if settings.action_token:
        action["headers"] = {ACTION_TOKEN_HEADER: settings.action_token}
    endpoints: dict[str, object] = {
        "action_endpoint": action,
        "tracker_store": {"type": "bot.rasa.tracker_store.MaskingTrackerStore", "url": settings.conversations_url},
    }
    if settings.redis_url:
        endpoints["lock_store"] = redis_lock_store(settings.redis_url)
    path = folder / f"endpoints-{port or settings.rasa_port}.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def rasa_command(
    settings: Settings, model: Path, folder: Path, *, port: int, action_url: str, interface: str = "127.0.0.1"
) -> list[str]:
    """``rasa run`` for one Rasa server of the front door (through :mod:`bot.rasa.server`), its
    credentials and endpoints files written."""
    command = [
        sys.executable,
        "-m",
        "bot.rasa.server",
        "run",
        "--model",
        str(model),
        "--port",
        str(port),
        "--interface",
        interface,
        "--credentials",
        str(write_credentials(settings, folder, port)),
        "--endpoints",
        str(write_endpoints(settings, folder, port, action_url)),
        "--cors",
        *settings.allowed_origins,
        "--log-file",
        str(folder / f"rasa-{port}.log"),
    ]
    if settings.rasa_token:
        command += ["--enable-api", "--auth-token", settings.rasa_token]
    return command


def write_credentials(settings: Settings, folder: Path, port: int | None = None) -> Path:
    """Rasa's channels: the project's credentials.yml, plus the Telegram bridge when its door is on."""
    folder.mkdir(parents=True, exist_ok=True)
    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    if settings.telegram_token and settings.bridge_token:
        credentials["bot.rasa.channels.TelegramBridgeInput"] = {"token": settings.bridge_token}
    socket = credentials.get(SOCKET_CHANNEL)
    if isinstance(socket, dict):
        socket["cors_allowed_origins"] = list(settings.allowed_origins)
    path = folder / f"credentials-{port or settings.rasa_port}.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(credentials), encoding="utf-8")
    return path


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "FRONTDOOR_DATABASE_URL": settings.database_url,
            "FRONTDOOR_NETWORK": str(settings.network_path),
            "FRONTDOOR_ACTION_PORT": str(settings.action_port),
            "FRONTDOOR_RASA_PORT": str(settings.rasa_port),
            "FRONTDOOR_WEB_PORT": str(settings.web_port),
            "FRONTDOOR_BRIDGE_TOKEN": settings.bridge_token or "",
            "FRONTDOOR_ACTION_TOKEN": settings.action_token or "",
            "FRONTDOOR_REDIS_URL": settings.redis_url or "",
            "FRONTDOOR_RASA_REPLICAS": str(settings.rasa_replicas),
            "FRONTDOOR_OUTBOX_WORKERS": str(settings.outbox_workers),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        }
    )
    return env


def part_specs(settings: Settings, model: Path, log_dir: Path) -> list[PartSpec]:
    """Each Rasa server with its own action server (ports counted up from the configured ones), the
    workers, and the web part (privacy notice, demo page, escalation, nightly purge)."""
    specs: list[PartSpec] = []
    for i in range(settings.rasa_replicas):
        suffix = f"-{i + 1}" if i else ""
        rasa_port, action_port = settings.rasa_port + i, settings.action_port + i
        action_url = f"http://127.0.0.1:{action_port}/webhook"
        specs.append(
            PartSpec(f"actions{suffix}", [sys.executable, "-m", "bot.ops.cli", "actions", "--port", str(action_port)],
                     f"http://127.0.0.1:{action_port}/health")
        )  # fmt: skip
        specs.append(
            PartSpec(f"rasa{suffix}", rasa_command(settings, model, log_dir, port=rasa_port, action_url=action_url),
                     f"http://127.0.0.1:{rasa_port}/")
        )  # fmt: skip
    for i in range(settings.outbox_workers):
        # One worker reads the Telegram bots' updates; the others only deliver.
        worker = [sys.executable, "-m", "bot.ops.cli", "worker", *(["--no-bots"] if i else [])]
        specs.append(PartSpec(f"worker{f'-{i + 1}' if i else ''}", worker))
    specs.append(PartSpec("web", [sys.executable, "-m", "bot.ops.cli", "web"], f"http://127.0.0.1:{settings.web_port}/"))
    return specs


def run_scaled(settings: Settings, model: Path | None = None, data: Path | None = None) -> int:
    """``make run-scaled``: the production shape on one machine. PostgreSQL and Redis from Debian's
    packages (data under ``data``, by default ``var/scaled/``), two Rasa servers with their action
    servers, two workers."""
    folder = (data or PROJECT_ROOT / "var" / "scaled").resolve()
    try:
        with (
            LocalPostgres(folder / "postgres", SCALED_POSTGRES_PORT) as pg,
            LocalRedis(folder / "redis", SCALED_REDIS_PORT) as rd,
        ):
            print(f"postgresql: {pg.url} (data in {pg.data})", flush=True)
            print(f"redis:      {rd.url} (Rasa's lock store)", flush=True)
            scaled = replace(
                settings,
                database_url=pg.url,
                redis_url=rd.url,
                rasa_replicas=max(2, settings.rasa_replicas),
                outbox_workers=max(2, settings.outbox_workers),
            )
            return run_all(scaled, model)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


@contextmanager
def _until_signalled() -> Iterator[threading.Event]:
    """The event that Ctrl-C or SIGTERM sets, for the ``with`` block."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    yield stopping


def run_web(settings: Settings) -> int:
    """``frontdoor web``: the web server (the desk, the widget's files, the demo page), escalation, the follow-up
    round, the nightly purge and desk housekeeping; one per deployment (``frontdoor run`` starts it as one of its parts).
    Exits 1 when the server cannot start or stops serving, for the supervisor to start it again."""
    settings.check()
    frontdoor = create_frontdoor(settings)
    with _until_signalled() as stopping:
        web = WebServer(frontdoor, settings.web_host, settings.web_port)
        try:
            web.start()
        except WebServerError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            return 1
        scheduler = start_scheduler(
            frontdoor.lifecycle,
            settings.escalation_seconds,
            frontdoor.privacy,
            frontdoor.network.service.timezone,
            housekeeping=lambda: web.desk.access.forget_old() + web.desk.availability.forget_ended(),
            followups=FollowUps(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock),
        )
        try:
            print(
                f"web:      http://localhost:{settings.web_port}/  desk: http://localhost:{settings.web_port}/desk/  "
                f"(escalation every {settings.escalation_seconds} s, purge nightly)",
                flush=True,
            )
            print("ready", flush=True)
            while web.alive and not stopping.wait(1):
                pass
        finally:
            scheduler.shutdown(wait=False)
            web.stop()
            frontdoor.engine.dispose()
    return 0 if stopping.is_set() else 1


def exec_rasa(settings: Settings, *, port: int | None, interface: str, action_url: str | None, model: Path | None) -> int:
    """Become one Rasa server of the front door (``frontdoor rasa``): for a replica on its own machine,
    under systemd or a container runtime that supervises it."""
    model = model or DEFAULT_MODEL
    if not model.exists():
        print(f"error: no trained model at {model}: run 'make setup' (it trains one)", file=sys.stderr)
        return 2
    settings.check()
    port = port or settings.rasa_port
    action_url = action_url or f"http://127.0.0.1:{settings.action_port}/webhook"
    command = rasa_command(settings, model, PROJECT_ROOT / "var" / "run", port=port, action_url=action_url, interface=interface)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.execvp(command[0], command)
    return 0  # not reached: the process is Rasa now


def http_answers(url: str | None) -> bool:
    """Whether ``url`` answers 200 within 2 s; ``None`` (a part with no HTTP side) always does."""
    if url is None:
        return True
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def desk_line(settings: Settings, frontdoor: FrontDoor) -> str:
    """Where the desk is; with email off (no sign-in links by email), a one-time link for the coordinator."""
    if settings.smtp_url:
        return f"desk:     {settings.public_url}/desk/  (mentors and the coordinator sign in with their email address)"
    access = DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock, link_minutes=settings.desk_link_minutes)
    url = f"{settings.public_url}/desk/link/{access.issue_link(frontdoor.network.coordinator.id)}"
    return f"desk:     {url}  (sign-in link for the coordinator, valid {settings.desk_link_minutes} minutes: email is off)"


def _print_parts(settings: Settings, frontdoor: FrontDoor) -> None:
    """Where each part listens, and which optional parts are off and why."""
    replicas = range(settings.rasa_replicas)
    rasa = ", ".join(f"http://localhost:{settings.rasa_port + i}" for i in replicas)
    print(f"rasa:     {rasa}  (REST: /webhooks/rest/webhook, socket.io: /socket.io)", flush=True)
    print(f"actions:  {', '.join(f'http://localhost:{settings.action_port + i}/webhook' for i in replicas)}", flush=True)
    if settings.redis_url:
        print("locks:    Rasa's lock store in Redis (FRONTDOOR_REDIS_URL)", flush=True)
    workers = f"{settings.outbox_workers} workers: " if settings.outbox_workers > 1 else ""
    print(
        f"worker:   {workers}outbox delivery every {settings.outbox_poll_seconds:g} s "
        f"(log: var/run/worker-{settings.rasa_port}.out)",
        flush=True,
    )
    print(
        f"web:      http://localhost:{settings.web_port}/  (demo partner page with the chat widget; privacy notice: "
        f"{settings.privacy_notice_url('fi')})",
        flush=True,
    )
    print(desk_line(settings, frontdoor), flush=True)
    print(f"database: {settings.database_url.split('@')[-1]}", flush=True)
    print(f"network:  {settings.network_path}", flush=True)
    catalogue = frontdoor.paths.catalogue()
    if len(catalogue):
        synced = catalogue.synced_at or "never ('frontdoor catalogue sync' adds Opintopolku's offerings)"
        print(f"catalogue: {len(catalogue)} offerings for competence paths; synced {synced}", flush=True)
    else:
        print(f"catalogue: off (no {settings.curated_catalogue}): no competence paths are drafted", flush=True)
    service = frontdoor.network.service
    print(
        f"escalation: every {settings.escalation_seconds} s, cases not accepted within {service.response_hours:g} working hours "
        f"({service.day_starts:%H:%M}-{service.day_ends:%H:%M} {service.timezone}, Finnish public holidays off)",
        flush=True,
    )
    for line in optional_parts(settings):
        print(line, flush=True)


def run_all(settings: Settings, model: Path | None = None) -> int:
    """Start everything, print where it listens, and wait for Ctrl-C or SIGTERM."""
    model = model or DEFAULT_MODEL
    if not model.exists():
        print(f"error: no trained model at {model}: run 'make setup' (it trains one)", file=sys.stderr)
        return 2
    # Fail here, with a clear message, on broken settings, network file or database.
    settings.check()
    if settings.telegram_token and not settings.bridge_token:
        settings = replace(settings, bridge_token=secrets.token_urlsafe(32))
    if not settings.action_token:
        settings = replace(settings, action_token=secrets.token_urlsafe(32))
    frontdoor = create_frontdoor(settings)
    log_dir = PROJECT_ROOT / "var" / "run"
    supervisor = Supervisor(
        part_specs(settings, model, log_dir),
        log_dir=log_dir,
        tag=str(settings.rasa_port),
        env=_child_env(settings),
        cwd=PROJECT_ROOT,
        answers=http_answers,
    )
    with _until_signalled() as stopping:
        try:
            supervisor.start()
            _print_parts(settings, frontdoor)
            return supervisor.run(stopping, start_timeout=START_TIMEOUT)
        finally:
            supervisor.stop()
            frontdoor.engine.dispose()
            print("stopped", flush=True)
