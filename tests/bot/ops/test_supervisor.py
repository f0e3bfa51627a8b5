"""How ``frontdoor run`` keeps its parts running: real child processes, killed as a crash would kill them."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from bot.ops.supervisor import PartSpec, RestartPolicy, Supervisor
from tests.waiting import wait

SLEEPER = PartSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])
CRASHER = PartSpec("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
QUICK = RestartPolicy(max_failures=3, window=60.0, first_backoff=0.05, max_backoff=0.2)


def supervisor(tmp_path: Path, *specs: PartSpec) -> Supervisor:
    return Supervisor(specs, log_dir=tmp_path, tag="test", policy=QUICK, answers=lambda url: url is None)


def pid_of(tmp_path: Path, name: str) -> int:
    return int((tmp_path / f"{name}-test.pid").read_text(encoding="utf-8"))


def test_the_backoff_doubles_up_to_its_limit() -> None:
    policy = RestartPolicy(first_backoff=1.0, max_backoff=30.0)
    assert [policy.backoff(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_part_that_dies_is_started_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = supervisor(tmp_path, SLEEPER)
    stopping = threading.Event()
    status: list[int] = []
    parts.start()
    runner = threading.Thread(target=lambda: status.append(parts.run(stopping, start_timeout=60)))
    runner.start()
    try:
        first = pid_of(tmp_path, "sleeper")
        wait(parts.all_answering, "the part to run")
        os.kill(first, signal.SIGKILL)
        wait(lambda: pid_of(tmp_path, "sleeper") != first, "the part to be started again", timeout=30)
        wait(parts.all_answering, "the restarted part to run", timeout=30)
    finally:
        stopping.set()
        runner.join(timeout=30)
        parts.stop()
    assert status == [0]
    out, err = capsys.readouterr()
    assert "ready" in out.splitlines()
    assert f"error: sleeper stopped (exit {-signal.SIGKILL}); restarting it in 0.05 s" in err
    assert "sleeper: restarted (restart 1)" in out and "sleeper: answering again" in out
    # Stopped with the supervisor: nothing left running.
    with pytest.raises(ProcessLookupError):
        os.kill(pid_of(tmp_path, "sleeper"), 0)


def test_a_part_that_keeps_dying_stops_the_runner_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = supervisor(tmp_path, SLEEPER, CRASHER)
    parts.start()
    try:
        assert parts.run(threading.Event(), start_timeout=60) == 1
    finally:
        parts.stop()
    err = capsys.readouterr().err
    assert err.count("error: crasher stopped (exit 3); restarting it") == 2
    assert "error: crasher keeps failing: it stopped 3 times within 60 s (last exit 3)" in err
    assert str(tmp_path / "crasher-test.out") in err
    assert "sleeper" not in err


def test_a_part_that_never_answers_is_named_when_the_start_times_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silent = PartSpec("silent", SLEEPER.command, "http://127.0.0.1:9/")
    parts = supervisor(tmp_path, silent)
    parts.start()
    try:
        assert parts.run(threading.Event(), start_timeout=0.5) == 1
    finally:
        parts.stop()
    assert "error: silent did not answer in 0 s" in capsys.readouterr().err
