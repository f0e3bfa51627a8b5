"""One BLAS thread in the server processes (bot.rasa.numerics), in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys


def test_every_loaded_blas_library_is_limited_to_one_thread_and_can_be_restored() -> None:
    code = (
        "import json, numpy, scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "from bot.rasa.numerics import one_blas_thread\n"
        "def blas(): return sorted(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas')\n"
        "before = blas()\n"
        "limiter = one_blas_thread('test')\n"
        "during = blas()\n"
        "limiter.restore_original_limits()\n"
        "print(json.dumps([before, during, blas()]))\n"
    )
    # Without the caller's OPENBLAS_NUM_THREADS and the like, which would set the starting count.
    environment = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, env=environment
    )
    before, during, after = json.loads(result.stdout.splitlines()[-1])
    assert len(before) >= 2  # numpy's and scipy's OpenBLAS
    assert during == [1] * len(before)
    assert after == before
