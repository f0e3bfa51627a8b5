"""Scale-out as on several machines: real PostgreSQL (cases and conversations) and Redis (Rasa's
lock store), two Rasa servers each with its own action server, two outbox workers, each started
on its own with the front door's commands. Conversations hop between the Rasa servers turn by
turn; then one Rasa server is killed in the middle of the load and the other carries on, for the
Telegram door's customers too."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.ops.localservices import free_port
from bot.ops.runner import http_answers
from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import CUSTOMER_TOKEN
from tests.e2e.telegram_user import TelegramUser
from tests.standins.postgres import PostgresServer
from tests.standins.receivers import MailServer
from tests.standins.redis import RedisServer
from tests.standins.telegram_api import TelegramApi
from tests.waiting import wait

FRONTDOOR = str(Path(sys.executable).parent / "frontdoor")
CONVERSATIONS = 200
DURING_KILL = 40
# Whole conversations: need → consent → name → email → phone skipped → municipality → confirm.
TURNS = ("Etsin töitä, olen ollut työttömänä puoli vuotta", "joo", "Testi Henkilö", "{email}", "ohita", "Haminassa", "/affirm")


@dataclass
class Cluster:
    rasa: list[str]
    database_url: str
    mail: MailServer
    telegram: TelegramApi
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    down: set[int] = field(default_factory=set)

    def say(self, replica: int, sender: str, message: str) -> list[dict[str, object]]:
        """One turn on the chosen Rasa server, or on the other one while it is down or failing."""
        deadline = time.monotonic() + 240
        while True:
            target = replica if replica not in self.down else 1 - replica
            try:
                reply = requests.post(
                    f"{self.rasa[target]}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120
                )
                if reply.status_code == 200:
                    return list(reply.json())
            except requests.RequestException:
                pass
            # Like a load balancer: the other server next time.
            replica = 1 - target
            if time.monotonic() > deadline:
                raise AssertionError(f"no Rasa server answered {sender} for 240 s")
            time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("scaled")
    with PostgresServer() as pg, RedisServer() as redis_server, MailServer() as mail, TelegramApi() as telegram:
        telegram.add_bot(CUSTOMER_TOKEN, "etuovi_bot")
        rasa_ports, action_ports = [free_port(), free_port()], [free_port(), free_port()]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
        env.update(
            {
                "FRONTDOOR_DATABASE_URL": pg.url,
                "FRONTDOOR_REDIS_URL": redis_server.url,
                "FRONTDOOR_ACTION_TOKEN": "scaled-action-token",
                "FRONTDOOR_SMTP_URL": mail.url,
                "FRONTDOOR_OUTBOX_POLL_SECONDS": "0.2",
                "RASA_TELEMETRY_ENABLED": "false",
                # The individuals' Telegram door: the second Rasa server first, the other when it is down.
                "FRONTDOOR_TELEGRAM_TOKEN": CUSTOMER_TOKEN,
                "FRONTDOOR_TELEGRAM_API_URL": telegram.url,
                "FRONTDOOR_BRIDGE_TOKEN": "scaled-bridge-token",
                "FRONTDOOR_RASA_URLS": f"http://127.0.0.1:{rasa_ports[1]},http://127.0.0.1:{rasa_ports[0]}",
            }
        )
        subprocess.run([FRONTDOOR, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
        commands = {
            "actions-a": ["actions", "--port", str(action_ports[0])],
            "actions-b": ["actions", "--port", str(action_ports[1])],
            "rasa-a": ["rasa", "--port", str(rasa_ports[0]), "--action-url", f"http://127.0.0.1:{action_ports[0]}/webhook"],
            "rasa-b": ["rasa", "--port", str(rasa_ports[1]), "--action-url", f"http://127.0.0.1:{action_ports[1]}/webhook"],
            "worker-1": ["worker"],
            "worker-2": ["worker", "--no-bots"],
        }
        cluster = Cluster([f"http://127.0.0.1:{port}" for port in rasa_ports], pg.url, mail, telegram)
        try:
            for name, args in commands.items():
                with (logs / f"{name}.out").open("wb") as log:
                    cluster.processes[name] = subprocess.Popen(
                        [FRONTDOOR, *args], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    )
            for url in [*(f"{u}/" for u in cluster.rasa), *(f"http://127.0.0.1:{port}/health" for port in action_ports)]:
                wait(partial(http_answers, url), f"{url} to answer", timeout=900, interval=1)
            yield cluster
        finally:
            for process in cluster.processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in cluster.processes.values():
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()


def converse(cluster: Cluster, number: int, start: int, done: threading.Semaphore | None = None) -> str:
    """One whole conversation, each turn on the other Rasa server than the last; the case reference."""
    sender, email = f"scaled-{number}", f"asiakas-{number}@example.org"
    answers: list[dict[str, object]] = []
    for turn, message in enumerate(TURNS):
        answers = cluster.say((start + turn) % 2, sender, message.format(email=email))
        if done is not None:
            done.release()
    closing = " ".join(str(m.get("text", "")) for m in answers)
    assert "FD-" in closing, (sender, closing)
    return closing.split("FD-", 1)[1][:10]


def cases_by_email(cluster: Cluster) -> Counter[str]:
    engine = create_engine(cluster.database_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT email FROM cases")).all()
    engine.dispose()
    return Counter(str(email) for (email,) in rows)


def events_per_case(cluster: Cluster, kind: str) -> Counter[int]:
    engine = create_engine(cluster.database_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT case_id FROM case_events WHERE kind = :k"), {"k": kind}).all()
    engine.dispose()
    return Counter(int(case_id) for (case_id,) in rows)


def test_two_hundred_conversations_over_two_rasa_servers_make_two_hundred_cases_each_notified_once(
    cluster: Cluster,
) -> None:
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        references = list(pool.map(lambda n: converse(cluster, n, n % 2), range(CONVERSATIONS)))
    assert len(set(references)) == CONVERSATIONS
    by_email = cases_by_email(cluster)
    assert len(by_email) == CONVERSATIONS and set(by_email.values()) == {1}
    assert set(events_per_case(cluster, "assigned").values()) == {1}
    # Two workers share the outbox: every mentor's email arrives, and only once.
    wait(lambda: len(cluster.mail.inbox.messages) >= CONVERSATIONS, "every mentor's email", timeout=300)
    time.sleep(2)  # a doubled delivery would arrive by now
    subjects = [str(m["Subject"]) for m in cluster.mail.inbox.messages]
    per_case = Counter(f"FD-{reference}" for reference in references for s in subjects if f"FD-{reference}" in s)
    assert len(subjects) == CONVERSATIONS and set(per_case.values()) == {1}, Counter(per_case.values())


def test_a_killed_rasa_server_loses_no_conversation_the_other_can_continue(cluster: Cluster) -> None:
    before = len(cases_by_email(cluster))
    turns_done = threading.Semaphore(0)
    first = CONVERSATIONS

    def killer() -> None:
        # Half-way through the load: SIGKILL, no goodbye.
        for _ in range(DURING_KILL * len(TURNS) // 2):
            turns_done.acquire()
        cluster.processes["rasa-b"].send_signal(signal.SIGKILL)
        cluster.down.add(1)

    thread = threading.Thread(target=killer)
    thread.start()
    with ThreadPoolExecutor(max_workers=DURING_KILL) as pool:
        numbers = range(first, first + DURING_KILL)
        references = list(pool.map(lambda n: converse(cluster, n, random.Random(n).randrange(2), turns_done), numbers))
    thread.join()
    assert cluster.processes["rasa-b"].wait(timeout=30) == -signal.SIGKILL
    assert len(set(references)) == DURING_KILL
    by_email = cases_by_email(cluster)
    assert len(by_email) == before + DURING_KILL and set(by_email.values()) == {1}
    assert set(events_per_case(cluster, "assigned").values()) == {1}


def test_the_telegram_doors_customers_are_answered_by_the_other_rasa_server(cluster: Cluster) -> None:
    # The door asks rasa-b first; it is killed (if the test before has not done so) and rasa-a answers.
    user = TelegramUser(cluster, 830)
    if cluster.processes["rasa-b"].poll() is None:
        user.say("/start", "Kerro omin sanoin")
        cluster.processes["rasa-b"].send_signal(signal.SIGKILL)
        cluster.processes["rasa-b"].wait(timeout=30)
        cluster.down.add(1)
    done = user.make_case(
        need="Etsin töitä, olen ollut työttömänä puoli vuotta",
        name="Eino Skaala",
        email="eino.skaala@example.org",
        phone="ohita",
        place="Haminassa",
        municipality="Hamina",
    )
    assert "FD-" in done["text"]
    assert not [m for m in user.messages() if "Vastaan hetken kuluttua" in m["text"] or "ei juuri nyt vastaa" in m["text"]]
    assert cases_by_email(cluster)["eino.skaala@example.org"] == 1
