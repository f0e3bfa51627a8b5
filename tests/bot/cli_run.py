"""The ``frontdoor`` console script, run as operators run it: one helper for every test module that needs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

FRONTDOOR = str(Path(sys.executable).parent / "frontdoor")


def run(*args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``frontdoor`` with ``args`` in a new process; the exit code is the test's to check, not an exception."""
    return subprocess.run([FRONTDOOR, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env)
