"""``make bench``: how fast the front door answers whole conversations, beside Rasa's stock bot.

Starts the front door (``frontdoor run`` on free ports, a fresh SQLite register, mentors' email
to a local SMTP server; ``--scaled``: the ``make run-scaled`` shape, with an empty PostgreSQL
register of its own) and the stock ``rasa init``
bot (made and trained once under var/bench/stock), then drives each with the same two loads
through Rasa's REST channel:

- realistic: 50 users who each wait a few seconds between messages (exponential, mean 5 s);
- capacity: 20 users with no think time.

Front-door users go through the whole intake (need, consent, name, email, phone, municipality,
confirmation: 7 turns, one case each); stock users through the mood bot's dialogue (5 turns).
Reported: turn latency p50/p95/p99, turns per second, case-to-mentor-notification latency
p50/p95 (from the register: created → email delivered), and the peak memory (VmHWM) of each
process, and the sentence encoder's cost alone (one message's encoding, its share of a turn, the
memory it adds to a process). Figures go to reports/bench-conversations.json and a chart beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sqlalchemy import create_engine, text

from bot.ops.localservices import free_port
from bot.ops.runner import http_answers

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOCK = PROJECT / "var" / "bench" / "stock"
REPORTS = PROJECT / "reports"
OURS = ("Etsin töitä, olen ollut työttömänä puoli vuotta", "joo", "Testi Käyttäjä", "{email}", "ohita", "Haminassa", "/affirm")
THEIRS = ("hello", "I am sad", "yes", "great", "bye")


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (the front door counts its replicas' ports up)."""
    while True:
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory (Linux VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def descendants(pid: int) -> dict[int, str]:
    """Every process started under ``pid``, with its command line."""
    found: dict[int, str] = {}
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
            stack.append(child)
    return found


def part_name(command: str) -> str:
    if "rasa run" in command or "rasa.server run" in command:
        return f"rasa:{command.split('--port ')[1].split(maxsplit=1)[0]}"
    if " actions" in command:
        return f"actions:{command.split('--port ')[1].split(maxsplit=1)[0]}" if "--port" in command else "actions"
    if " worker" in command:
        return "worker" + (" (no bots)" if "--no-bots" in command else "")
    if command.endswith(" web"):
        return "web"
    return command[:60]


def mail_sink(port: int) -> subprocess.Popen[bytes]:
    """An SMTP server that accepts the mentors' emails and drops them (aiosmtpd's Sink), in a process
    of its own: inside the load generator it would share the client's interpreter and slow its
    measurements (the notification latency is read from the register)."""
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the bench's SMTP sink did not start")


@dataclass
class Load:
    name: str
    users: int
    think_seconds: float
    duration: float


@dataclass
class Result:
    errors: int = 0
    conversations: int = 0
    elapsed: float = 0.0
    # Latencies per turn of the script (turn 1 = the first message), to see which turns make the tail.
    by_turn: dict[int, list[float]] = field(default_factory=dict)

    def record(self, turn: int, seconds: float) -> None:
        self.by_turn.setdefault(turn, []).append(seconds)

    @property
    def latencies(self) -> list[float]:
        return [seconds for values in self.by_turn.values() for seconds in values]

    def figures(self) -> dict[str, Any]:
        ms = [v * 1000 for v in self.latencies]
        return {
            "turns": len(ms),
            "errors": self.errors,
            "conversations_finished": self.conversations,
            "turns_per_second": round(len(ms) / self.elapsed, 2) if self.elapsed else None,
            "latency_ms": {f"p{q}": round(v, 1) for q in (50, 95, 99) if (v := percentile(ms, q)) is not None},
            "latency_ms_by_turn": {
                str(turn): {f"p{q}": round(v * 1000, 1) for q in (50, 95) if (v := percentile(values, q)) is not None}
                for turn, values in sorted(self.by_turn.items())
            },
        }


async def drive(urls: Sequence[str], script: Sequence[str], load: Load, tag: str) -> Result:
    """``load.users`` users, each doing whole conversations one after another until the time is up.
    Several ``urls`` (Rasa replicas) share the users as a load balancer would: user i talks to urls[i % n]."""
    result = Result()
    stop_at = time.monotonic() + load.duration
    # aiohttp, not httpx: on this 2-core machine the load generator shares the CPU with the bots,
    # and aiohttp's client costs less than half as much CPU per turn (2.3 ms vs 5.4 ms, measured).
    connector = aiohttp.TCPConnector(limit=load.users)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as client:

        async def user(number: int) -> None:
            rng = random.Random(number)
            conversation = 0
            while time.monotonic() < stop_at:
                conversation += 1
                sender = f"{tag}-{number}-{conversation}"
                for turn, message in enumerate(script, start=1):
                    if load.think_seconds:
                        await asyncio.sleep(rng.expovariate(1 / load.think_seconds))
                    body = {"sender": sender, "message": message.format(email=f"{sender}@example.org")}
                    started = time.perf_counter()
                    try:
                        async with client.post(urls[number % len(urls)], json=body) as reply:
                            await reply.read()
                            ok = reply.status == 200
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        ok = False
                    if ok:
                        result.record(turn, time.perf_counter() - started)
                    else:
                        result.errors += 1
                        break
                else:
                    result.conversations += 1

        started = time.monotonic()
        await asyncio.gather(*(user(i) for i in range(load.users)))
        result.elapsed = time.monotonic() - started
    return result


def wait_until_ready(process: subprocess.Popen[str], what: str, lines: list[str], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise SystemExit(f"{what} stopped while starting:\n" + "".join(lines[-30:]))
            continue
        lines.append(line)
        if line.strip() == "ready":
            return
    raise SystemExit(f"{what} did not start in {timeout:.0f} s")


def wait_for_http(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_answers(url):
            return
        time.sleep(1)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def stock_bot(port: int) -> subprocess.Popen[bytes]:
    """Rasa's own starter bot (``rasa init``), made and trained once, served on ``port``."""
    if not list((STOCK / "models").glob("*.tar.gz")):
        shutil.rmtree(STOCK, ignore_errors=True)
        STOCK.mkdir(parents=True)
        print("bench: making and training the stock `rasa init` bot (once)", flush=True)
        subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK)], cwd=STOCK, check=True)
    log = (STOCK / "run.log").open("wb")
    command = [str(BIN / "rasa"), "run", "--port", str(port), "--interface", "127.0.0.1", "--credentials", "credentials.yml"]
    return subprocess.Popen(command, cwd=STOCK, stdout=log, stderr=subprocess.STDOUT)


def count_cases(database_url: str, since: datetime) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM cases WHERE created_at >= :since"), {"since": since}).scalar()
    engine.dispose()
    return int(count or 0)


def notification_latencies(database_url: str, since: datetime) -> list[float]:
    """Seconds from each case's creation (after ``since``) to its mentor's email being delivered."""
    engine = create_engine(database_url)
    query = text(
        "SELECT c.created_at, o.delivered_at FROM cases c JOIN outbox o ON o.case_id = c.id "
        "WHERE o.kind = 'case_assigned' AND o.channel = 'email' AND o.delivered_at IS NOT NULL AND c.created_at >= :since"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"since": since}).all()
    engine.dispose()

    def moment(value: Any) -> datetime:
        found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return found if found.tzinfo else found.replace(tzinfo=timezone.utc)

    return [(moment(delivered) - moment(created)).total_seconds() for created, delivered in rows]


ENCODER_COST = """
import json, sys, time
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:")) / 1024
from bot.nlu.encoder import E5Encoder, shared_encoder
import numpy
before = rss()
engine = shared_encoder(1)._engine
encoder = E5Encoder(engine, remembered=0)  # nothing remembered: every message costs a full encoding
times = []
for _ in range(20):
    for text in json.loads(sys.argv[1]):
        started = time.perf_counter()
        encoder.queries([text])
        times.append((time.perf_counter() - started) * 1000)
added = rss() - before  # after use: the weights are mapped in as they are first read
times.sort()
print(json.dumps({"memory_added_mb": round(added, 1), "ms_p50": round(times[len(times) // 2], 2),
                  "ms_p95": round(times[int(len(times) * 0.95)], 2), "messages": len(times)}))
"""


def encoder_cost(script: Sequence[str]) -> dict[str, Any]:
    """The sentence encoder alone, in a fresh process on one thread: the memory loading it adds, and
    the time of one message's encoding with nothing remembered (in a server, repeated texts cost nothing)."""
    texts = [t.format(email="bench.user@example.org") for t in script if not t.startswith("/")]
    result = subprocess.run(
        [sys.executable, "-c", ENCODER_COST, json.dumps(texts)], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def chart(figures: dict[str, Any], path: Path) -> None:
    loads = list(figures["loads"])
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.35
    for offset, bot in ((-width / 2, "frontdoor"), (width / 2, "stock")):
        if bot not in figures["loads"][loads[0]]:
            continue
        p95 = [figures["loads"][name][bot]["latency_ms"].get("p95", 0) for name in loads]
        tps = [figures["loads"][name][bot]["turns_per_second"] or 0 for name in loads]
        positions = [i + offset for i in range(len(loads))]
        latency.bar(positions, p95, width, label=bot)
        throughput.bar(positions, tps, width, label=bot)
    for axis, title in ((latency, "turn latency p95 (ms)"), (throughput, "turns per second")):
        axis.set_xticks(range(len(loads)), loads)
        axis.set_title(title)
        axis.legend()
    fig.suptitle(f"make bench, {figures['measured_at']} ({figures['machine']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scaled", action="store_true", help="the make run-scaled shape (PostgreSQL, Redis, 2 Rasa, 2 workers)")
    parser.add_argument("--replicas", type=int, default=0, help="Rasa servers of the front door (default 1, --scaled 2)")
    parser.add_argument("--duration", type=float, default=120, help="seconds per load and bot (default 120)")
    parser.add_argument("--realistic-users", type=int, default=50)
    parser.add_argument("--capacity-users", type=int, default=20)
    parser.add_argument("--think", type=float, default=5.0, help="mean think time of the realistic load (s)")
    parser.add_argument("--load", action="append", choices=("realistic", "capacity"), help="only this load (repeatable)")
    parser.add_argument("--no-stock", action="store_true", help="leave the stock bot out (a quicker look at the front door)")
    args = parser.parse_args()
    loads = tuple(
        load
        for load in (
            Load("realistic", args.realistic_users, args.think, args.duration),
            Load("capacity", args.capacity_users, 0.0, args.duration),
        )
        if not args.load or load.name in args.load
    )
    bots = ("frontdoor",) if args.no_stock else ("frontdoor", "stock")
    folder = Path(tempfile.mkdtemp(prefix="frontdoor-bench-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user and keeps its data in here (--scaled)
    mail_port = free_port()
    mail = mail_sink(mail_port)
    replicas = args.replicas or (2 if args.scaled else 1)
    rasa_port, action_port, stock_port = free_ports(replicas), free_ports(replicas), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    database_url = f"sqlite:///{folder / 'cases.db'}"
    env.update(
        {
            "FRONTDOOR_DATABASE_URL": database_url,
            "FRONTDOOR_RASA_PORT": str(rasa_port),
            "FRONTDOOR_ACTION_PORT": str(action_port),
            "FRONTDOOR_RASA_REPLICAS": str(replicas),
            "FRONTDOOR_WEB_PORT": str(free_port()),
            "FRONTDOOR_SMTP_URL": f"smtp://127.0.0.1:{mail_port}",
            "RASA_TELEMETRY_ENABLED": "false",
        }
    )
    # --scaled: a register of its own in the run's folder, so that every run starts from an empty one
    # (make run-scaled keeps var/scaled; the cases of earlier runs, all still open, made routing slower run by run).
    command = [str(BIN / "frontdoor"), *(("run-scaled", "--data", str(folder / "scaled")) if args.scaled else ("run",))]
    ours = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    theirs: subprocess.Popen[bytes] | None = None
    output: list[str] = []
    figures: dict[str, Any] = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "shape": f"make run-scaled (PostgreSQL, Redis, {replicas} Rasa + {replicas} action servers, 2 workers)"
        if args.scaled
        else f"make run ({replicas} Rasa + action server, SQLite)",
        "loads": {},
    }
    began = datetime.now(timezone.utc)
    try:
        print("bench: starting the front door", flush=True)
        wait_until_ready(ours, "the front door", output)
        if args.scaled:
            for line in output:
                if line.startswith("postgresql:"):
                    database_url = line.split()[1]
        if "stock" in bots:
            theirs = stock_bot(stock_port)
            wait_for_http(f"http://127.0.0.1:{stock_port}/")
        urls = {
            "frontdoor": [f"http://127.0.0.1:{rasa_port + i}/webhooks/rest/webhook" for i in range(replicas)],
            "stock": [f"http://127.0.0.1:{stock_port}/webhooks/rest/webhook"],
        }
        # Warm-up, not measured: one conversation per Rasa server (models, Voikko and lingua load on first use).
        warmed = {
            bot: asyncio.run(drive(urls[bot], script, Load("warm-up", len(urls[bot]), 0.0, 0.1), f"{bot}-warm-up")).conversations
            for bot, script in (("frontdoor", OURS), ("stock", THEIRS))
            if bot in bots
        }
        for load in loads:
            figures["loads"][load.name] = {"users": load.users, "think_seconds": load.think_seconds, "duration_s": load.duration}
            for bot, script in (("frontdoor", OURS), ("stock", THEIRS)):
                if bot not in bots:
                    continue
                print(f"bench: {load.name} load on {bot}: {load.users} users, {load.duration:.0f} s", flush=True)
                result = asyncio.run(drive(urls[bot], script, load, f"{bot}-{load.name}"))
                figures["loads"][load.name][bot] = result.figures()
                print("       " + json.dumps(figures["loads"][load.name][bot]), flush=True)
            ours_tps = figures["loads"][load.name]["frontdoor"]["turns_per_second"] or 0
            stock_tps = figures["loads"][load.name].get("stock", {}).get("turns_per_second") or 0
            figures["loads"][load.name]["throughput_ratio"] = round(ours_tps / stock_tps, 2) if stock_tps else None
        time.sleep(5)  # the last notifications go out
        delays = notification_latencies(database_url.replace("postgresql://", "postgresql+psycopg2://"), began)
        figures["notification_latency_s"] = {
            "cases": len(delays),
            **{f"p{q}": round(v, 3) for q in (50, 95) if (v := percentile(delays, q)) is not None},
        }
        # Every finished front-door conversation must have made its case: a turn that only looked fast
        # (e.g. a tracker store failing over to memory) would otherwise pass as speed.
        finished = warmed["frontdoor"] + sum(figures["loads"][name]["frontdoor"]["conversations_finished"] for name in figures["loads"])
        figures["cases_created"] = count_cases(database_url.replace("postgresql://", "postgresql+psycopg2://"), began)
        figures["conversations_finished"] = finished
        memory = {
            part_name(cmd): peak_memory_mb(pid) for pid, cmd in descendants(ours.pid).items() if "python" in cmd or "rasa" in cmd
        }
        if theirs is not None:
            memory["stock rasa"] = peak_memory_mb(theirs.pid)
        figures["peak_memory_mb"] = memory
        figures["encoder"] = encoder_cost(OURS)
        realistic = figures["loads"].get("realistic", {}).get("frontdoor", {})
        for q in ("p50", "p95"):
            turn = realistic.get("latency_ms", {}).get(q)
            if turn:
                figures["encoder"][f"share_of_turn_{q}"] = round(figures["encoder"]["ms_p50"] / float(turn), 3)
    finally:
        for process in (ours, theirs):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (ours, theirs):
            if process is not None:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
        mail.terminate()
        mail.wait(timeout=30)
    REPORTS.mkdir(exist_ok=True)
    name = "bench-conversations-scaled" if args.scaled else "bench-conversations"
    if args.no_stock or args.load:
        name += "-partial"  # a quick look does not replace the full report
    (REPORTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    chart(figures, REPORTS / f"{name}.png")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"bench: reports/{name}.json and reports/{name}.png", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    if figures.get("cases_created") != figures.get("conversations_finished"):
        print(
            f"bench: INVALID: {figures.get('conversations_finished')} conversations finished but "
            f"{figures.get('cases_created')} cases were made; see var/run/*.out",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
