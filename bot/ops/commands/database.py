"""``frontdoor db upgrade``: the case database's schema."""

from __future__ import annotations

import argparse

from bot.ops.commands import Commands
from bot.register.database import make_engine, upgrade
from bot.settings import Settings


def add_db(commands: Commands, common: argparse.ArgumentParser) -> None:
    database = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    migrate = database.add_parser("upgrade", parents=[common], help="migrate the database to the newest schema")
    migrate.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(make_engine(settings.database_url))
    print("database schema is up to date")
    return 0
