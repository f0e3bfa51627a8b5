"""Keeping the garbage collector's full passes short in the long-running server processes.

A full collection walks every object the process tracks. After Rasa loads the model that is about
550 000 objects (TensorFlow, spaCy, scikit-learn and Rasa's own), and one full pass took about
300 ms on the 2-core machine: a pause in which the process answers nobody, landing on whichever
turns are in flight (the tail of ``make bench``). What is loaded at start lives as long as the
process, so walking it again can never free anything; :func:`gc.freeze` moves it to a permanent
generation that the collector skips, and later passes walk only what the turns made.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_loaded(what: str) -> int:
    """Move everything ``what`` (a process) has loaded so far out of the collector's passes; how many objects."""
    gc.collect()  # garbage from loading goes first: frozen, it could never be freed
    gc.freeze()
    count = gc.get_freeze_count()
    logger.info("%s: %d objects loaded at start are left out of garbage collection", what, count)
    return count
