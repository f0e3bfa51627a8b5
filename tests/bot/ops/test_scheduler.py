"""The escalation and retention jobs as the running front door schedules them."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bot.app import FrontDoor, create_frontdoor
from bot.desk.access import DeskAccess
from bot.ops.scheduler import escalate, purge, start_scheduler, tidy
from bot.privacy.service import ConversationLog, PrivacyService
from bot.register.lifecycle import Lifecycle
from bot.settings import Settings
from tests.bot.register.test_lifecycle import INTAKE, Clock


def test_the_scheduled_job_escalates_an_overdue_case(settings: Settings) -> None:
    clock = Clock(datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))
    app = create_frontdoor(settings, clock=clock)
    reference = app.cases.create_case(INTAKE).reference
    clock.now += timedelta(days=3)
    scheduler = start_scheduler(app.lifecycle, every_seconds=0.2)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            shown = app.cases.show_case(reference)
            if shown and shown["status"] == "escalated":
                break
            time.sleep(0.1)
        time.sleep(0.5)  # a few more rounds: they must not escalate it again
    finally:
        scheduler.shutdown(wait=True)
    shown = app.cases.show_case(reference)
    assert shown is not None and shown["status"] == "escalated" and shown["mentor"] == "ao-pekka"
    assert [e["kind"] for e in shown["events"]].count("escalated") == 1
    app.engine.dispose()


def test_a_database_error_does_not_stop_the_job(settings: Settings, tmp_path: Path) -> None:
    app = create_frontdoor(settings)
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", future=True)
    lifecycle = Lifecycle(sessionmaker(broken, future=True), app.networks.current)
    assert escalate(lifecycle) == 0
    app.engine.dispose()


def test_the_retention_purge_runs_every_night_in_the_networks_time_zone(settings: Settings) -> None:
    app = create_frontdoor(settings)
    scheduler = start_scheduler(app.lifecycle, every_seconds=3600, privacy=app.privacy, zone="Europe/Helsinki")
    try:
        job = scheduler.get_job("purge")
        assert job is not None and job.args == (app.privacy,)
        after = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
        next_run = job.trigger.get_next_fire_time(None, after)
        assert (next_run.isoformat(), str(next_run.tzinfo)) == ("2026-11-26T03:30:00+02:00", "Europe/Helsinki")
    finally:
        scheduler.shutdown(wait=False)
    assert purge(app.privacy) == 0
    app.engine.dispose()


def test_a_database_error_does_not_stop_the_purge(settings: Settings, tmp_path: Path) -> None:
    app = create_frontdoor(settings)
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", future=True)
    privacy = PrivacyService(sessionmaker(broken, future=True), app.networks.current, app.clock, ConversationLog(broken))
    assert purge(privacy) == 0
    app.engine.dispose()


def _run_for_a_while(app: FrontDoor) -> None:
    scheduler = start_scheduler(app.lifecycle, every_seconds=0.1, privacy=app.privacy)
    try:
        time.sleep(1.0)
    finally:
        scheduler.shutdown(wait=True)


def test_routine_rounds_are_logged_only_at_debug(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_frontdoor(settings)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot.ops.scheduler")
    _run_for_a_while(app)
    rounds = [r for r in caplog.records if r.name == "bot.ops.scheduler"]
    assert len(rounds) >= 3, "the job ran every 0.1 s"
    assert {(r.levelno, r.getMessage()) for r in rounds} == {(logging.DEBUG, "escalation round: 0 overdue case(s) passed on")}
    # APScheduler's "Running job" and "executed successfully" of every round are not at INFO either.
    assert not [r for r in caplog.records if r.name.startswith("apscheduler.executors")]
    app.engine.dispose()


def test_the_schedulers_own_lines_show_when_debugging(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_frontdoor(settings)
    caplog.set_level(logging.DEBUG)
    _run_for_a_while(app)
    runs = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler.executors")]
    assert any(m.startswith('Running job "escalate') for m in runs)
    app.engine.dispose()


def test_a_round_that_escalates_or_fails_is_logged(settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))
    app = create_frontdoor(settings, clock=clock)
    app.cases.create_case(INTAKE)
    clock.now += timedelta(days=3)
    caplog.set_level(logging.INFO)
    assert escalate(app.lifecycle) == 1
    assert ("bot.ops.scheduler", logging.INFO, "escalation round: 1 overdue case(s) passed on") in caplog.record_tuples
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", future=True)
    assert escalate(Lifecycle(sessionmaker(broken, future=True), app.networks.current)) == 0
    assert [r.levelno for r in caplog.records if r.getMessage().startswith("escalation round failed")] == [logging.ERROR]
    app.engine.dispose()


def test_the_nightly_housekeeping_forgets_old_sign_in_links_and_ended_sessions_only(settings: Settings) -> None:
    clock = Clock(datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc))
    app = create_frontdoor(settings, clock=clock)
    access = DeskAccess(app.sessions, app.networks.current, clock)
    old_link = access.issue_link("ao-marja")
    ended = access.sign_in(access.issue_link("ao-marja")).session_id
    access.sign_out(ended)
    clock.now += timedelta(days=40)
    fresh = access.sign_in(access.issue_link("coordinator")).session_id
    unused = access.issue_link("ao-pekka")
    assert tidy(access.forget_old) == 3  # the old link, the used one, the ended session
    assert access.session(fresh) is not None and access.link_holder(unused) is not None
    assert access.link_holder(old_link) is None
    assert tidy(access.forget_old) == 0
