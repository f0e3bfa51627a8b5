"""``frontdoor outbox list|retry``: notifications waiting, delivered or given up."""

from __future__ import annotations

import argparse
import json
import sys

from bot.app import create_frontdoor
from bot.delivery.admin import OutboxAdmin
from bot.ops.commands import Commands
from bot.register.models import OUTBOX_STATUSES, Via
from bot.settings import Settings


def add_outbox(commands: Commands, common: argparse.ArgumentParser) -> None:
    outbox = commands.add_parser("outbox", help="notifications waiting, delivered or given up").add_subparsers(
        dest="outbox_command", required=True, metavar="ACTION"
    )
    outbox_list = outbox.add_parser("list", parents=[common], help="list notifications")
    outbox_list.add_argument("--status", choices=OUTBOX_STATUSES, help="only this status (dead: given up)")
    outbox_list.add_argument("--json", action="store_true", help="print a JSON array")
    outbox_list.set_defaults(handler=_list)
    retry = outbox.add_parser("retry", parents=[common], help="send given-up (dead) notifications again")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID", help="outbox ids (see 'frontdoor outbox list --status dead')")
    retry.add_argument("--dead", action="store_true", help="every dead notification")
    retry.set_defaults(handler=_retry)


def _admin(settings: Settings) -> OutboxAdmin:
    frontdoor = create_frontdoor(settings)
    return OutboxAdmin(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    rows = _admin(settings).listing(args.status)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print("no notifications")
    else:
        for row in rows:
            error = f"  ({row['last_error']})" if row["last_error"] else ""
            print(
                f"{row['id']:>6}  {row['status']:<9} {row['reference']:<14} {row['kind']:<16} "
                f"{row['recipient']:<14} {row['channel']:<17} attempts {row['attempts']}{error}"
            )
    return 0


def _retry(args: argparse.Namespace, settings: Settings) -> int:
    admin = _admin(settings)
    if not args.ids and not args.dead:
        print("error: name the outbox ids to retry, or --dead for all given-up ones", file=sys.stderr)
        return 2
    count = admin.retry(args.ids, every_dead=args.dead, via=Via.CLI)
    print(f"{count} notification(s) queued again")
    return 0
