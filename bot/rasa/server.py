"""The front door's Rasa server process: Rasa's own command line, with Rasa 3.6's hot spots removed first.

``frontdoor run`` and ``frontdoor rasa`` start ``python -m bot.rasa.server run …`` instead of
``rasa run …``; everything else (arguments, channels, endpoints) is Rasa's.

Rasa 3.6 checks every custom action's answer with ``jsonschema.validate``, which first checks
Rasa's constant response schema against the JSON Schema meta-schema, on every call. Under load
that check was 70 % of the Rasa process's CPU time (``make bench``, py-spy). Here the schema is
checked once, and each event is checked against the one event schema its name selects (not all 25
of them): the same answers pass, and a wrong one still gets Rasa's own error (Rasa's method runs
again to report it). Reading a conversation back, Rasa looks up
each stored event's class by walking every subclass of ``Event``; here the answer is kept. And
Rasa opens a new HTTP session, so a new TCP connection, for every call to the action server (one to
three per turn); here connections are kept and reused (the issue's "action-server connection
pooling"). Rasa runs its model's graph (the NLU pipeline for each message, the policies for each
prediction: two to four runs a turn) through dask's scheduler, which cost a tenth of the Rasa
process's time; here each needed node runs once, after what it needs, in the same process. Once
the model is loaded, the heap is frozen (:mod:`bot.rasa.heap`): a full garbage collection pass over it
took 300 ms.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiohttp
import rasa.core.run as rasa_run
import ujson
from jsonschema.validators import validator_for
from rasa.__main__ import main as rasa_main
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.rasa.heap import freeze_loaded
from bot.rasa.numerics import one_blas_thread

_INSTALLED = "_frontdoor_validator_installed"
# A kept connection idle this long is closed by Rasa's side: before the action server (Sanic,
# keep-alive 5 s) closes it, so a request never goes out on a connection the server just dropped.
KEEPALIVE_SECONDS = 2.0


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
    try:
        event_schema = schema["properties"]["events"]["items"]
        alternatives = event_schema["oneOf"]
        by_name = {alt["properties"]["event"]["const"]: cls(alt) for alt in alternatives}
        distinct = len(by_name) == len(alternatives) and "event" in event_schema["required"]
    except (KeyError, TypeError):
        distinct = False
    if not distinct:
        whole = cls(schema)
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
    install_kept_sessions()
    install_graph_runner()
    install_heap_freeze()


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


_KEPT: dict[tuple[int, str | None, str, str], aiohttp.ClientSession] = {}


async def close_kept_sessions() -> None:
    """Close the kept sessions of the running event loop (at shutdown)."""
    loop = id(asyncio.get_running_loop())
    for key in [key for key in _KEPT if key[0] == loop]:
        await _KEPT.pop(key).close()


class _Kept:
    """What Rasa's ``async with endpoint.session() as session`` gets: the kept session, left open on exit."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None


def install_kept_sessions() -> None:
    """One kept ``aiohttp`` session per endpoint (and event loop) instead of a new one per request. Idempotent."""
    if getattr(EndpointConfig, _INSTALLED, False):
        return
    sessions = _KEPT

    def session(self: EndpointConfig) -> _Kept:
        loop = asyncio.get_running_loop()
        key = (id(loop), self.url, repr(sorted(self.headers.items())), repr(sorted(self.basic_auth.items())))
        kept = sessions.get(key)
        if kept is None or kept.closed:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            kept = aiohttp.ClientSession(
                json_serialize=ujson.dumps,  # the tracker sent with each call: a twentieth of a turn with json.dumps
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
            sessions[key] = kept
        return _Kept(kept)

    EndpointConfig.session = session
    setattr(EndpointConfig, _INSTALLED, True)


def run_graph(runner: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """What ``DaskGraphRunner.run`` returns, without dask: each node the targets need runs once,
    after the nodes it needs. Rasa's nodes are called with ``(name, output)`` pairs and return one;
    inputs are such pairs too, as Rasa puts them into the dask graph."""
    wanted = targets if targets else runner._graph_schema.target_names
    schema = runner._graph_schema.minimal_graph_schema(wanted)
    given = inputs or {}
    clash = sorted(name for name, value in given.items() if isinstance(value, str) and value in schema.nodes)
    if clash:
        raise GraphRunError(f"Input value '{given[clash[0]]}' clashes with a node name.")
    done: dict[str, Any] = {name: (name, value) for name, value in given.items()}

    def output(name: str) -> Any:
        if name not in done:
            node = schema.nodes[name]
            done[name] = runner._instantiated_nodes[name](*(output(need) for need in node.needs.values()))
        return done[name]

    try:
        return dict(output(target) for target in wanted)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


def install_graph_runner() -> None:
    """Run Rasa's graphs with :func:`run_graph` instead of dask's scheduler (idempotent)."""
    if getattr(DaskGraphRunner, _INSTALLED, False):
        return
    DaskGraphRunner.dask_run = DaskGraphRunner.run  # Rasa's own, kept for comparison
    DaskGraphRunner.run = run_graph
    setattr(DaskGraphRunner, _INSTALLED, True)


def install_heap_freeze() -> None:
    """Freeze the heap (:mod:`bot.rasa.heap`) and limit BLAS to one thread (:mod:`bot.rasa.numerics`) once Rasa has
    loaded the model, before it serves (idempotent)."""
    if getattr(rasa_run, _INSTALLED, False):
        return
    load_agent: Callable[..., Awaitable[Agent]] = rasa_run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Agent:
        agent = await load_agent(*args, **kwargs)
        freeze_loaded("Rasa server")
        one_blas_thread("Rasa server")
        return agent

    rasa_run.load_agent_on_start = load_agent_on_start
    setattr(rasa_run, _INSTALLED, True)


def main(argv: list[str] | None = None) -> None:
    """Rasa's command line (``argv``: its arguments, e.g. ``["run", "--port", "5005"]``)."""
    install()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
