"""Keeping the front door's processes running: each part is started, watched and restarted.

``frontdoor run`` and ``make run-scaled`` start their parts (Rasa servers,
action servers, workers, the web part) as child processes through a
:class:`Supervisor`. A part that exits while it should be running is started
again after a backoff (1 s, 2 s, 4 s … at most ``max_backoff``), and the
restart is reported. A part that keeps failing (``max_failures`` exits within
``window`` seconds) is reported, and the supervisor gives up with a non-zero
status, so the service manager above it (systemd, Kubernetes) can take over.
Each part's process id is written to ``<log_dir>/<name>-<tag>.pid`` whenever it
starts, for operators and tests.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# How often the supervisor looks at its parts.
TICK_SECONDS = 0.5


@dataclass(frozen=True)
class PartSpec:
    """What a part is: its name, its command, and the URL that answers 200 once it serves (``None``:
    a part with no HTTP side serves as long as it runs)."""

    name: str
    command: Sequence[str]
    health_url: str | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """When to restart a part and when to give up on it."""

    max_failures: int = 5
    window: float = 300.0
    first_backoff: float = 1.0
    max_backoff: float = 30.0

    def backoff(self, failures: int) -> float:
        """The wait before the restart that follows ``failures`` recent exits (1 or more)."""
        return min(self.max_backoff, self.first_backoff * 2 ** max(0, failures - 1))


@dataclass
class Part:
    """A part as it runs now."""

    spec: PartSpec
    process: subprocess.Popen[bytes] | None = None
    answering: bool = False
    # When the part is to be started again (monotonic clock); None: it is running.
    restart_at: float | None = None
    failures: deque[float] = field(default_factory=deque)
    restarts: int = 0


class PartKeepsFailing(RuntimeError):
    """A part exited ``max_failures`` times within the policy's window."""


def say(line: str) -> None:
    print(line, flush=True)


def complain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Supervisor:
    """Starts parts, restarts those that exit, stops them all."""

    def __init__(
        self,
        specs: Sequence[PartSpec],
        *,
        log_dir: Path,
        tag: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        policy: RestartPolicy | None = None,
        answers: Callable[[str | None], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parts = [Part(spec) for spec in specs]
        self.log_dir = log_dir
        self.tag = tag
        self.env = env
        self.cwd = cwd
        self.policy = policy or RestartPolicy()
        self.answers = answers
        self.clock = clock

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}-{self.tag}.out"

    def _launch(self, part: Part) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(part.spec.name).open("ab") as log:
            part.process = subprocess.Popen(
                list(part.spec.command), cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        (self.log_dir / f"{part.spec.name}-{self.tag}.pid").write_text(str(part.process.pid), encoding="utf-8")
        part.answering = False
        part.restart_at = None

    def start(self) -> None:
        for part in self.parts:
            self._launch(part)

    def check(self) -> None:
        """One look at every part: note exits, restart those whose backoff is over, notice who answers again.
        Raises :class:`PartKeepsFailing` when a part has failed too often."""
        now = self.clock()
        for part in self.parts:
            if part.restart_at is not None:
                if now >= part.restart_at:
                    part.restarts += 1
                    self._launch(part)
                    say(f"{part.spec.name}: restarted (restart {part.restarts})")
                continue
            assert part.process is not None
            code = part.process.poll()
            if code is not None:
                self._exited(part, code, now)
            elif not part.answering and self.answers(part.spec.health_url):
                part.answering = True
                if part.restarts:
                    say(f"{part.spec.name}: answering again")

    def _exited(self, part: Part, code: int, now: float) -> None:
        part.failures.append(now)
        while part.failures and part.failures[0] < now - self.policy.window:
            part.failures.popleft()
        log = self.log_path(part.spec.name)
        if len(part.failures) >= self.policy.max_failures:
            raise PartKeepsFailing(
                f"{part.spec.name} keeps failing: it stopped {len(part.failures)} times within "
                f"{self.policy.window:.0f} s (last exit {code}); giving up so that the service manager can act. "
                f"See {log}."
            )
        delay = self.policy.backoff(len(part.failures))
        part.restart_at = now + delay
        part.answering = False
        complain(f"error: {part.spec.name} stopped (exit {code}); restarting it in {delay:g} s (see {log})")

    def all_answering(self) -> bool:
        return all(part.answering for part in self.parts)

    def pending(self) -> list[str]:
        return [part.spec.name for part in self.parts if not part.answering]

    def run(self, stopping: threading.Event, *, start_timeout: float) -> int:
        """Print ``ready`` once every part answers, keep them running until ``stopping`` is set; the exit status
        (0 when stopped, 1 when a part kept failing or the parts did not answer in ``start_timeout`` s)."""
        deadline = self.clock() + start_timeout
        ready = False
        while not stopping.is_set():
            try:
                self.check()
            except PartKeepsFailing as error:
                complain(f"error: {error}")
                return 1
            if not ready and self.all_answering():
                ready = True
                say("ready")
            if not ready and self.clock() > deadline:
                complain(f"error: {', '.join(self.pending())} did not answer in {start_timeout:.0f} s")
                return 1
            stopping.wait(TICK_SECONDS)
        return 0

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to every running part, SIGKILL to those still running after ``grace`` seconds."""
        running = [part.process for part in self.parts if part.process is not None and part.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
