"""Waiting for something another thread or process does, with a clear message when it does not happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait(check: Callable[[], T], what: str, timeout: float = 60.0, interval: float = 0.05) -> T:
    """``check()``'s first truthy result; fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
