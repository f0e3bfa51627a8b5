"""One thread for the BLAS libraries (OpenBLAS under numpy and scipy) in the server processes.

OpenBLAS starts a thread per core and splits even a tiny product over them: the intent
classifier's meaning regression (one message's 384 numbers against 27 intents) waited for a
second thread to be scheduled. On the 2-core machine, with every core busy serving other turns,
that wait cost about 0.7 ms a message, and the front door served 75 turns/s instead of 88 under
``make bench``'s capacity load (docs/speed.md). Each server answers one message at a time and
several servers share the cores, so one BLAS thread each is the faster shape. The sentence
encoder's OpenMP threads are its own setting (``threads`` in ``config.yml``) and stay as set.
"""

from __future__ import annotations

import logging

from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)


def one_blas_thread(what: str) -> threadpool_limits:
    """Limit every BLAS library loaded so far to one thread; the limiter (``restore_original_limits()`` undoes it)."""
    limiter = threadpool_limits(limits=1, user_api="blas")
    logger.info("%s: BLAS libraries limited to one thread", what)
    return limiter
