"""``frontdoor mentor invite``: linking a mentor's Telegram account to the mentors' bot."""

from __future__ import annotations

import argparse
import sys

from bot.app import create_frontdoor
from bot.ops.commands import Commands
from bot.register.mentors import InviteError
from bot.settings import Settings


def add_mentor(commands: Commands, common: argparse.ArgumentParser) -> None:
    mentor = commands.add_parser("mentor", help="mentors' Telegram accounts").add_subparsers(
        dest="mentor_command", required=True, metavar="ACTION"
    )
    invite = mentor.add_parser("invite", parents=[common], help="print a one-time link that connects a mentor's Telegram")
    invite.add_argument("mentor_id", metavar="MENTOR_ID", help="the mentor's id in the network file")
    invite.set_defaults(handler=_invite)


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    if not settings.mentor_telegram_token:
        print(
            "error: FRONTDOOR_MENTOR_TELEGRAM_TOKEN is not set: the mentors' bot is off, so there is nothing to link",
            file=sys.stderr,
        )
        return 2
    from bot.ops.worker import bot_username  # noqa: PLC0415 - only this command needs python-telegram-bot

    try:
        username = bot_username(settings.mentor_telegram_token, settings.telegram_api_url)
    except Exception as error:  # the Bot API is down or refuses the token
        print(f"error: the Bot API at {settings.telegram_api_url} did not answer getMe ({type(error).__name__})", file=sys.stderr)
        return 1
    try:
        code = frontdoor.mentors.invite(args.mentor_id)
    except InviteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"https://t.me/{username}?start={code}")
    print(
        f"valid for {settings.invite_days} days, once: send it to the mentor; opening it in Telegram links their account",
        file=sys.stderr,
    )
    return 0
