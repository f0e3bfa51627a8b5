"""The desk: the web workplace where mentors work their cases and the coordinator runs the network.

Served by the web part (``frontdoor web``, one of ``frontdoor run``'s parts)
under ``/desk/``, beside the widget's files and demo page. Sign-in is by
one-time email links (:mod:`bot.desk.access`); every change goes through the
same services as Telegram and the command line.
"""

from bot.desk.access import AccessError, DeskAccess, SignedIn
from bot.desk.app import build_desk, create_web_app
from bot.desk.people import Person, Role, person, person_by_email

__all__ = [
    "AccessError",
    "DeskAccess",
    "Person",
    "Role",
    "SignedIn",
    "build_desk",
    "create_web_app",
    "person",
    "person_by_email",
]
