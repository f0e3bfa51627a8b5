"""``make bench-desk``: the desk's busiest pages over 10 000 cases, timed on the server.

Fills a fresh SQLite register under var/bench/ (and, with ``--postgres URL``,
an empty PostgreSQL database too) with ``frontdoor demo-data``'s generator:
10 000 cases routed over the demo network's mentors with their events, plus
who holds or held each case (case_holders) and response deadlines, a third of
those waiting already past. Then it asks, in process through Starlette's
TestClient, for a mentor's "my cases" (``GET /desk/``, the first page and a
later one, as the mentor holding the most cases) and the coordinator's case
list (``GET /desk/all``, the first page, a deep page and with filters),
``--requests`` times each, and times each request inside the application (an
ASGI wrapper around it: the server's time, not the test client's). Prints
p50/p95/max and the SQL statements per request, writes
reports/bench-desk.json, and exits 1 when any p95 is over ``--limit-ms``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event, func, insert, literal, select, update
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.app import FrontDoor, create_frontdoor
from bot.desk import create_web_app
from bot.desk.rendering import Desk
from bot.desk.security import SESSION_COOKIE
from bot.insight.demodata import DemoData
from bot.register.models import AWAITING_STATUSES, Case, CaseEvent, CaseHolder
from bot.settings import PROJECT_ROOT, Settings

WARM_UP = 10


def say(line: str) -> None:
    """The benchmark's output: a command-line program prints."""
    print(line)


class ServerTimer:
    """Times each request inside the application, and counts the SQL statements it ran."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seconds: list[float] = []
        self.statements = 0
        self.per_request: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        before = self.statements
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds.append(time.perf_counter() - started)
            self.per_request.append(self.statements - before)

    def counted(self, *_args: Any) -> None:
        self.statements += 1


def fill(frontdoor: FrontDoor, cases: int) -> float:
    """The synthetic cases, their holders and deadlines; seconds it took."""
    started = time.perf_counter()
    DemoData(
        frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.municipalities, frontdoor.clock
    ).generate(cases)
    now = frontdoor.clock()
    with frontdoor.sessions.begin() as session:
        held = select(Case.id, Case.mentor, Case.created_at).where(Case.mentor.is_not(None))
        session.execute(insert(CaseHolder).from_select(["case_id", "mentor", "since"], held))
        forwarders = (  # who had a case before forwarding it holds it too
            select(CaseEvent.case_id, CaseEvent.actor, func.min(CaseEvent.at))
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.kind == "forwarded", CaseEvent.actor != Case.mentor)
            .group_by(CaseEvent.case_id, CaseEvent.actor)
        )
        session.execute(insert(CaseHolder).from_select(["case_id", "mentor", "since"], forwarders))
        awaiting = Case.status.in_(AWAITING_STATUSES)
        session.execute(update(Case).where(awaiting, Case.id % 3 == 0).values(respond_by=now - timedelta(hours=2)))
        session.execute(update(Case).where(awaiting, Case.id % 3 != 0).values(respond_by=now + timedelta(hours=20)))
        session.execute(update(Case).where(Case.status.not_in(AWAITING_STATUSES)).values(respond_by=literal(None)))
    return time.perf_counter() - started


def busiest_mentor(frontdoor: FrontDoor) -> tuple[str, int]:
    """The mentor (not the coordinator) who holds or held the most cases, and how many."""
    coordinator = frontdoor.network.coordinator.id
    with frontdoor.sessions() as session:
        query = (
            select(CaseHolder.mentor, func.count(CaseHolder.id))
            .where(CaseHolder.mentor != coordinator)
            .group_by(CaseHolder.mentor)
            .order_by(func.count(CaseHolder.id).desc())
            .limit(1)
        )
        mentor, count = session.execute(query).one()
    return str(mentor), int(count)


def signed_client(app: ASGIApp, desk: Desk, person_id: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    opened = desk.access.sign_in(desk.access.issue_link(person_id))
    client.cookies.set(SESSION_COOKIE, opened.session_id)
    return client


def measure(timer: ServerTimer, client: TestClient, path: str, requests: int) -> dict[str, Any]:
    """``requests`` GETs of ``path`` after a warm-up: server time in ms and SQL statements per request."""
    for _ in range(WARM_UP):
        assert client.get(path).status_code == 200, path
    timer.seconds.clear()
    timer.per_request.clear()
    for _ in range(requests):
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}")
    ms = sorted(s * 1000 for s in timer.seconds)
    return {
        "path": path,
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(statistics.quantiles(ms, n=100)[94], 2),
        "max_ms": round(ms[-1], 2),
        "sql_per_request": max(timer.per_request),
    }


def bench(frontdoor: FrontDoor, cases: int, requests: int) -> dict[str, Any]:
    """Fill the register, then time the scenarios."""
    filled = fill(frontdoor, cases)
    mentor, held = busiest_mentor(frontdoor)
    app = create_web_app(frontdoor)
    timer = ServerTimer(app)
    event.listen(frontdoor.engine, "before_cursor_execute", timer.counted)
    desk: Desk = app.state.desk
    as_mentor = signed_client(timer, desk, mentor)
    as_coordinator = signed_client(timer, desk, frontdoor.network.coordinator.id)
    later = max(1, held // 50 // 2)
    scenarios = {
        "mentor_inbox_first_page": (as_mentor, "/desk/"),
        "mentor_inbox_later_page": (as_mentor, f"/desk/?page={later}"),
        "all_cases_first_page": (as_coordinator, "/desk/all"),
        "all_cases_page_100": (as_coordinator, "/desk/all?page=100"),
        "all_cases_status_need": (as_coordinator, "/desk/all?status=accepted&need=staff_training"),
        "all_cases_overdue_partner_page_2": (as_coordinator, "/desk/all?overdue=yes&partner=kymi-ammattiopisto&page=2"),
        "all_cases_area_not_overdue": (as_coordinator, "/desk/all?area=kotka-hamina&overdue=no&page=5"),
    }
    results = {}
    for name, (client, path) in scenarios.items():
        results[name] = measure(timer, client, path, requests)
        figures = results[name]
        say(
            f"  {name:<34} p50 {figures['p50_ms']:>7.2f} ms  p95 {figures['p95_ms']:>7.2f} ms  "
            f"max {figures['max_ms']:>7.2f} ms  {figures['sql_per_request']} SQL  ({path})"
        )
    event.remove(frontdoor.engine, "before_cursor_execute", timer.counted)
    return {"fill_seconds": round(filled, 2), "mentor": mentor, "mentor_cases": held, "scenarios": results}


def sqlite_frontdoor() -> FrontDoor:
    folder = PROJECT_ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("desk.db*"):
        stale.unlink()
    return create_frontdoor(replace(Settings.from_env(), database_url=f"sqlite:///{folder / 'desk.db'}"))


def postgres_frontdoor(url: str) -> FrontDoor:
    frontdoor = create_frontdoor(replace(Settings.from_env(), database_url=url))
    with frontdoor.sessions() as session:
        if session.execute(select(func.count(Case.id))).scalar_one():
            raise SystemExit(f"{url.rsplit('@', maxsplit=1)[-1]}: the database has cases already; give an empty one")
    return frontdoor


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    return found.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="synthetic cases (default 10 000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--limit-ms", type=float, default=100.0, help="the p95 no page may exceed (default 100 ms)")
    parser.add_argument("--postgres", metavar="URL", help="also an empty PostgreSQL database, e.g. postgresql+psycopg2://…")
    args = parser.parse_args()
    started = time.perf_counter()
    databases = {"sqlite": sqlite_frontdoor}
    if args.postgres:
        databases["postgresql"] = lambda: postgres_frontdoor(args.postgres)
    measured: dict[str, Any] = {}
    for name, make in databases.items():
        say(f"{name}: {args.cases} cases, {args.requests} requests per page")
        frontdoor = make()
        try:
            measured[name] = bench(frontdoor, args.cases, args.requests)
        finally:
            frontdoor.engine.dispose()
    worst = max(s["p95_ms"] for db in measured.values() for s in db["scenarios"].values())
    figures = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}, Python {platform.python_version()}",
        "cases": args.cases,
        "requests_per_page": args.requests,
        "limit_p95_ms": args.limit_ms,
        "worst_p95_ms": worst,
        "ok": worst <= args.limit_ms,
        "seconds": round(time.perf_counter() - started, 1),
        "databases": measured,
    }
    out = PROJECT_ROOT / "reports" / "bench-desk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    say(f"{out.relative_to(PROJECT_ROOT)}: worst p95 {worst:.1f} ms (limit {args.limit_ms:g} ms) in {figures['seconds']} s")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
