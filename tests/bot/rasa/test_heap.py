"""Freezing what a server process loaded at start (bot.rasa.heap), in a process of its own."""

from __future__ import annotations

import subprocess
import sys


def test_what_was_loaded_is_left_out_and_later_garbage_is_still_collected() -> None:
    code = (
        "import gc\n"
        "from bot.rasa.heap import freeze_loaded\n"
        "loaded = [[i] for i in range(200_000)]\n"
        "frozen = freeze_loaded('test')\n"
        "cycle = []; cycle.append(cycle); del cycle\n"  # garbage made after the freeze
        "print(frozen, gc.collect())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    frozen, collected = map(int, result.stdout.split())
    assert frozen >= 200_000
    assert collected >= 1
