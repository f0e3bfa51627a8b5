"""``frontdoor desk link`` and ``desk revoke``: a one-time sign-in link to the desk, and ending a person's sessions."""

from __future__ import annotations

import argparse
import sys

from bot.app import create_frontdoor
from bot.desk.access import AccessError, DeskAccess
from bot.desk.people import person
from bot.ops.commands import Commands
from bot.settings import Settings


def add_desk(commands: Commands, common: argparse.ArgumentParser) -> None:
    desk = commands.add_parser("desk", help="the desk: the mentors' and the coordinator's web workplace").add_subparsers(
        dest="desk_command", required=True, metavar="ACTION"
    )
    link = desk.add_parser("link", parents=[common], help="print a one-time sign-in link to the desk")
    link.add_argument("--as", dest="person", required=True, metavar="PERSON_ID", help="a mentor's or the coordinator's id")
    link.add_argument("--next", default=None, metavar="PATH", help="a desk path to land on, e.g. /desk/cases/FD-2026-00042")
    link.set_defaults(handler=_link)
    revoke = desk.add_parser("revoke", parents=[common], help="end every desk session of a person (a lost phone, a leaver)")
    revoke.add_argument("--as", dest="person", required=True, metavar="PERSON_ID", help="a mentor's or the coordinator's id")
    revoke.set_defaults(handler=_revoke)


def desk_link(settings: Settings, access: DeskAccess, person_id: str, next_path: str | None = None) -> str:
    """A sign-in URL for the person (raises :class:`AccessError` for someone not in the network file)."""
    return f"{settings.public_url}/desk/link/{access.issue_link(person_id, next_path)}"


def _link(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    access = DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock, link_minutes=settings.desk_link_minutes)
    try:
        url = desk_link(settings, access, args.person, args.next)
    except AccessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(url)
    print(f"valid for {settings.desk_link_minutes} minutes, once: open it and press 'Kirjaudu' / 'Sign in'", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    if person(frontdoor.network, args.person) is None:
        known = ", ".join([frontdoor.network.coordinator.id, *(m.id for m in frontdoor.network.mentors)])
        print(f"error: unknown person '{args.person}': give the id of a mentor or the coordinator ({known})", file=sys.stderr)
        return 2
    access = DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)
    ended = access.end_sessions_of(args.person)
    print(f"{ended} desk session(s) of {args.person} ended")
    return 0
