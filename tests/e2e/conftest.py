"""The whole front door, started once per test session with ``frontdoor run``
on free ports, a fresh SQLite database and the demo network; its mentors'
Telegram bot talks to a local Bot API stand-in and its email goes to a local
SMTP server (aiosmtpd). A second stack over the Oulu network starts only for
the tests that ask for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from playwright.sync_api import Browser, sync_playwright

from bot.ops.localservices import free_port
from bot.settings import DEFAULT_NETWORK, PROJECT_ROOT
from tests.standins.receivers import MailServer
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

START_TIMEOUT = 900
MENTOR_TOKEN = "333:e2e-mentor-token"
MENTOR_BOT = "etuovi_mentor_bot"
CUSTOMER_TOKEN = "444:e2e-customer-token"
RASA_TOKEN = "e2e-rasa-api-token"
BRIDGE_TOKEN = "e2e-bridge-token"
CHROMIUM = "/usr/bin/chromium"
# Chromium on a machine with a closed network: no background traffic, no sandbox as root.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
# Sent to the individuals' bot before the stack starts: the door must wait for Rasa, then answer it once.
EARLY_CHAT = 799
EARLY_TEXT = "/start"


@dataclass
class Stack:
    """A running front door and how to talk to it."""

    rasa_url: str
    web_url: str
    database_url: str
    env: dict[str, str]
    telegram: TelegramApi
    mail: MailServer
    output: list[str] = field(default_factory=list)

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One user message over the REST channel; the bot's answers."""
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
        response.raise_for_status()
        return list(response.json())

    def frontdoor(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``frontdoor`` console script against this stack's database."""
        command = [str(Path(sys.executable).parent / "frontdoor"), *args, "--database-url", self.database_url]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120, check=False)

    def cases(self) -> list[dict[str, Any]]:
        result = self.frontdoor("cases", "list", "--json")
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout))

    def pid(self, part: str) -> int:
        """The process id of one part of the runner (``rasa``, ``actions``, ``worker``, ``web``)."""
        pid_file = PROJECT_ROOT / "var" / "run" / f"{part}-{self.env['FRONTDOOR_RASA_PORT']}.pid"
        return int(pid_file.read_text(encoding="utf-8"))

    def kill(self, part: str) -> int:
        """SIGKILL one part, as a crash would; the line count of the runner's output before it (for
        :meth:`wait_answering`)."""
        mark = len(self.output)
        os.kill(self.pid(part), signal.SIGKILL)
        return mark

    def wait_answering(self, part: str, since: int = 0, timeout: float = 600) -> None:
        """Until the runner says ``part`` was restarted and answers again (a line after ``since``)."""
        wait(
            lambda: any(line.startswith(f"{part}: answering again") for line in self.output[since:]),
            f"the runner to restart {part}",
            timeout=timeout,
            interval=0.5,
        )

    def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        """The stored conversation of ``sender`` through Rasa's HTTP API."""
        reply = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": RASA_TOKEN}, timeout=60)
        reply.raise_for_status()
        return list(reply.json()["events"])


class Conversation:
    """A customer talking to the bot: keeps the sender id and the last answer."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.last: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        self.last = self.stack.say(self.sender, text)
        return "\n".join(m.get("text", "") for m in self.last)

    def buttons(self) -> dict[str, str]:
        return {b["title"]: b["payload"] for m in self.last for b in m.get("buttons", [])}

    def click(self, title: str) -> str:
        buttons = self.buttons()
        assert title in buttons, f"no button {title!r} in {list(buttons)}"
        return self.say(buttons[title])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, driven by Playwright, for a module's browser tests."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[TelegramApi]:
    with TelegramApi() as api:
        api.add_bot(MENTOR_TOKEN, MENTOR_BOT)
        api.add_bot(CUSTOMER_TOKEN, "etuovi_bot")
        yield api


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


def stack_env(folder: Path, telegram_api: TelegramApi, mail_server: MailServer, **extra: str) -> dict[str, str]:
    """The environment of a test stack: free ports, its own database, the stand-ins; ``extra`` on top."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FRONTDOOR_")}
    env.update(
        {
            "FRONTDOOR_DATABASE_URL": f"sqlite:///{folder / 'cases.db'}",
            "FRONTDOOR_RASA_PORT": str(free_port()),
            "FRONTDOOR_ACTION_PORT": str(free_port()),
            "FRONTDOOR_WEB_PORT": str(free_port()),
            "FRONTDOOR_MENTOR_TELEGRAM_TOKEN": MENTOR_TOKEN,
            "FRONTDOOR_TELEGRAM_TOKEN": CUSTOMER_TOKEN,
            "FRONTDOOR_RASA_TOKEN": RASA_TOKEN,
            "FRONTDOOR_BRIDGE_TOKEN": BRIDGE_TOKEN,
            "FRONTDOOR_TELEGRAM_API_URL": telegram_api.url,
            "FRONTDOOR_SMTP_URL": mail_server.url,
            "FRONTDOOR_OUTBOX_POLL_SECONDS": "0.2",
            # Paths come from the shipped demo catalogue only, never from a synced file on this machine.
            "FRONTDOOR_CATALOGUE_DIR": str(folder / "catalogue"),
            "RASA_TELEMETRY_ENABLED": "false",
        }
    )
    env.update(extra)
    return env


# The partner whose page the demo page is (web/index.html: data-partner="kaakko-amk").
DEMO_PAGE_PARTNER = "kaakko-amk"


def demo_network_with_site(folder: Path, origin: str) -> Path:
    """The demo network, with the stack's own web origin (as 127.0.0.1) as one of the demo page's partner's sites:
    the widget on the stack's demo page is then on the partner's own site, and the same page at localhost is not."""
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    for partner in raw["partners"]:
        if partner["id"] == DEMO_PAGE_PARTNER:
            partner["sites"] = [*partner.get("sites", []), origin]
    path = folder / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def running_stack(env: dict[str, str], telegram_api: TelegramApi, mail_server: MailServer) -> Iterator[Stack]:
    """``frontdoor run`` with ``env`` until the block ends; fails the test session if it never gets ready."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "frontdoor"), "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = Stack(
        f"http://127.0.0.1:{env['FRONTDOOR_RASA_PORT']}",
        f"http://127.0.0.1:{env['FRONTDOOR_WEB_PORT']}",
        env["FRONTDOOR_DATABASE_URL"],
        env,
        telegram_api,
        mail_server,
    )
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line.rstrip("\n"))
            if line.strip() == "ready":
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
        ready.wait(1)
    if not ready.is_set():
        process.kill()
        pytest.fail("frontdoor run did not become ready:\n" + "\n".join(stack.output[-40:]))
    try:
        yield stack
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: TelegramApi, mail_server: MailServer) -> Iterator[Stack]:
    # A customer who wrote before the front door started: the door must not take it before Rasa answers.
    telegram_api.type(CUSTOMER_TOKEN, EARLY_CHAT, EARLY_TEXT)
    folder = tmp_path_factory.mktemp("stack")
    env = stack_env(folder, telegram_api, mail_server)
    env["FRONTDOOR_NETWORK"] = str(demo_network_with_site(folder, f"http://127.0.0.1:{env['FRONTDOOR_WEB_PORT']}"))
    env["FRONTDOOR_CATALOGUE"] = str(DEFAULT_NETWORK.with_name(f"{DEFAULT_NETWORK.stem}.catalogue.yml"))
    with running_stack(env, telegram_api, mail_server) as running:
        yield running


@pytest.fixture(scope="session")
def oulu_stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: TelegramApi, mail_server: MailServer) -> Iterator[Stack]:
    """The front door over the Oulu network (networks/oulu.yml), with no Telegram bots."""
    env = stack_env(
        tmp_path_factory.mktemp("oulu"),
        telegram_api,
        mail_server,
        FRONTDOOR_NETWORK=str(PROJECT_ROOT / "networks" / "oulu.yml"),
    )
    del env["FRONTDOOR_TELEGRAM_TOKEN"], env["FRONTDOOR_MENTOR_TELEGRAM_TOKEN"]
    with running_stack(env, telegram_api, mail_server) as running:
        yield running


@pytest.fixture
def conversation(stack: Stack) -> Conversation:
    return Conversation(stack)
