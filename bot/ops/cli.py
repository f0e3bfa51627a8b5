"""The ``frontdoor`` command: the case register, the network file and running it all.

Each command lives in ``bot.ops.commands``, one module per group; ``COMMANDS`` lists them in the order of
``frontdoor --help``, and each leaf parser names its handler with ``set_defaults(handler=...)``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.network.loading import NetworkError
from bot.ops.commands import (
    Commands,
    Handler,
    cases,
    catalogue,
    database,
    desk,
    insight,
    mentor,
    network,
    outbox,
    privacy,
    processes,
)
from bot.paths.catalogue import CatalogueError
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

# Every top-level command and the function that adds its parser, in the order `frontdoor --help` lists them.
COMMANDS: dict[str, Callable[[Commands, argparse.ArgumentParser], None]] = {
    "cases": cases.add_cases,
    "route": network.add_route,
    "network": network.add_network,
    "escalate": cases.add_escalate,
    "check-network": network.add_check_network,
    "db": database.add_db,
    "run": processes.add_run,
    "run-scaled": processes.add_run_scaled,
    "report": insight.add_report,
    "demo-data": insight.add_demo_data,
    "worker": processes.add_worker,
    "mentor": mentor.add_mentor,
    "desk": desk.add_desk,
    "outbox": outbox.add_outbox,
    "catalogue": catalogue.add_catalogue,
    "erase": privacy.add_erase,
    "export": privacy.add_export,
    "purge": privacy.add_purge,
    "web": processes.add_web,
    "rasa": processes.add_rasa,
    "actions": processes.add_actions,
}


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL of the case database (default: FRONTDOOR_DATABASE_URL or var/)")
    common.add_argument("--network", type=Path, help="network file (default: FRONTDOOR_NETWORK or the demo network)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="frontdoor", description="The front door of the regional competence network.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS.values():
        add(commands, common)
    return parser


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Carry out one parsed command; returns the exit status."""
    handler: Handler = args.handler
    return handler(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frontdoor`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env().with_overrides(
            database_url=getattr(args, "database_url", None), network_path=getattr(args, "network", None)
        )
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        # httpx logs every request URL, and a Bot API URL carries the bot's token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
        return run_command(args, settings)
    except (NetworkError, SettingsError, CatalogueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"error: the case database cannot be used ({type(exc).__name__}: {exc.args[0] if exc.args else ''})", file=sys.stderr
        )
        print("       check FRONTDOOR_DATABASE_URL / --database-url", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
