"""The front door's Rasa server process: Rasa's own command line, with Rasa 3.6's hot spots removed first.

``frontdoor run`` and ``frontdoor rasa`` start ``python -m bot.rasa_server run …`` instead of
``rasa run …``; everything else (arguments, channels, endpoints) is Rasa's.

Rasa 3.6 checks every custom action's answer with ``jsonschema.validate``, which first checks
Rasa's constant response schema against the JSON Schema meta-schema, on every call. Under load
that check was 70 % of the Rasa process's CPU time (``make bench``, py-spy). Here the schema is
checked once, and each event is checked against the one event schema its name selects (not all 25
of them): the same answers pass, and a wrong one still gets Rasa's own error (Rasa's method runs
again to report it). And reading a conversation back, Rasa looks up
each stored event's class by walking every subclass of ``Event``; here the answer is kept.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

from jsonschema.validators import validator_for
from rasa.__main__ import main as rasa_main
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

logger = logging.getLogger(__name__)

_INSTALLED = "_frontdoor_validator_installed"


@functools.cache
def action_response_validator() -> Callable[[Any], bool]:
    """Whether an action server's answer fits Rasa's response schema, the schema checked once.

    Each event in an answer must fit exactly one of about 25 event schemas (``oneOf``), told apart
    by the constant ``event`` name; jsonschema tries all of them for every event (milliseconds per
    answer). The event's name picks the one schema it can fit, which gives the same verdict. Should
    Rasa's schema ever lose that shape, the whole schema is used as it is.
    """
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    whole = cls(schema)
    try:
        event_schema = schema["properties"]["events"]["items"]
        alternatives = event_schema["oneOf"]
        by_name = {alt["properties"]["event"]["const"]: cls(alt) for alt in alternatives}
        distinct = len(by_name) == len(alternatives) and "event" in event_schema["required"]
    except (KeyError, TypeError):
        distinct = False
    if not distinct:
        return lambda result: bool(whole.is_valid(result))
    answer = cls({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})
    event_base = cls({key: value for key, value in event_schema.items() if key != "oneOf"})

    def valid(result: Any) -> bool:
        if not answer.is_valid(result):
            return False
        for event in result.get("events") or []:
            if not event_base.is_valid(event):
                return False
            alternative = by_name.get(event["event"])
            if alternative is None or not alternative.is_valid(event):
                return False
        return True

    return valid


def install() -> None:
    """Install the fixes below (idempotent)."""
    install_validator()
    install_event_lookup()


def install_validator() -> None:
    """Validate custom actions' answers with the validator built once (idempotent)."""
    if getattr(RemoteAction, _INSTALLED, False):
        return
    rasa_validate: Callable[[RemoteAction, dict[str, Any]], bool] = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if action_response_validator()(result):
            return True
        return rasa_validate(self, result)  # raises Rasa's ValidationError, with its message

    RemoteAction._validate_action_result = validate_action_result
    setattr(RemoteAction, _INSTALLED, True)


def install_event_lookup() -> None:
    """Find an event's class by its type name in a table, not by walking every Event subclass per event
    (Rasa 3.6 walks them for each stored event it reads back: 7 % of a turn). Idempotent."""
    if getattr(Event, _INSTALLED, False):
        return
    rasa_resolve = Event.resolve_by_type
    classes: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = classes.get(type_name)
        if found is None:
            found = rasa_resolve(type_name, default)
            if found is not None and found.type_name == type_name:
                classes[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)
    setattr(Event, _INSTALLED, True)


def main(argv: list[str] | None = None) -> None:
    """Rasa's command line (``argv``: its arguments, e.g. ``["run", "--port", "5005"]``)."""
    install()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
