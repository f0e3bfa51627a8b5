"""``frontdoor erase``, ``export`` and ``purge``: a person's data on request, and the retention purge."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.app import create_frontdoor
from bot.contact import check_email
from bot.ops.commands import Commands
from bot.privacy.service import Erasure
from bot.register.models import Via
from bot.settings import Settings


def add_erase(commands: Commands, common: argparse.ArgumentParser) -> None:
    erase = commands.add_parser(
        "erase", parents=[common], help="erase a person's data: anonymise their cases, tell the mentors, forget conversations"
    )
    erase.add_argument("--email", required=True, type=_email, help="the person's email address")
    erase.set_defaults(handler=_erase)


def add_export(commands: Commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser("export", parents=[common], help="print everything kept about a person as JSON")
    export.add_argument("--email", required=True, type=_email, help="the person's email address")
    export.add_argument("--out", type=Path, help="write to this file instead of the screen")
    export.set_defaults(handler=_export)


def add_purge(commands: Commands, common: argparse.ArgumentParser) -> None:
    purge = commands.add_parser(
        "purge", parents=[common], help="anonymise cases closed longer ago than the retention period, forget old conversations"
    )
    purge.set_defaults(handler=_purge)


def _email(value: str) -> str:
    checked = check_email(value)
    if checked.problem or not checked.value:
        raise argparse.ArgumentTypeError(f"'{value[:80]}' is not an email address like name@example.fi")
    return str(checked.value)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    data = json.dumps(create_frontdoor(settings).privacy.export(args.email), ensure_ascii=False, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.touch(mode=0o600)
        args.out.write_text(data + "\n", encoding="utf-8")
        print(f"{args.out}  (personal data: hand it over securely and delete your copy)")
    else:
        print(data)
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    erasure = create_frontdoor(settings).privacy.erase(email=args.email, actor="coordinator", via=Via.CLI)
    references = ", ".join(erasure.references) or "none"
    print(f"erased: {len(erasure.references)} case(s) ({references}); their mentors are told")
    _print_removed(erasure)
    return 0


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    erasure = frontdoor.privacy.purge()
    print(f"purged: {len(erasure.references)} closed case(s) older than {frontdoor.network.service.retention_days} days")
    _print_removed(erasure)
    return 0


def _print_removed(erasure: Erasure) -> None:
    print(
        f"{erasure.notifications_removed} customer notification(s) removed, {erasure.conversations} stored conversation event(s) deleted"
    )
