"""The ``frontdoor`` commands, one module per group: each adds its subparsers and holds their handlers.

An ``add_*`` function adds one top-level command to the parser (``common`` is the parent that gives every
leaf ``--database-url`` and ``--network``) and binds each leaf to its handler with ``set_defaults(handler=...)``.
A handler takes the parsed arguments and the settings and returns the exit status. ``bot.ops.cli`` lists the
commands in one table and calls the handler. Heavy modules (Rasa, the worker, the runner, konfo's HTTP client)
are imported inside the handler that needs them, so that ``frontdoor cases …`` starts fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from bot.settings import Settings

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The top-level subparsers that each ``add_*`` function adds its command to."""

Handler: TypeAlias = "Callable[[argparse.Namespace, Settings], int]"
"""What a command does: parsed arguments and settings in, exit status out."""
