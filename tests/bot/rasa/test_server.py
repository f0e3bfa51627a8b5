"""The Rasa server entry point: Rasa's action-response check done with a validator built once, kept connections."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core import events
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import server as rasa_server
from bot.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "frontdoor.tar.gz"


@pytest.fixture
def action() -> RemoteAction:
    rasa_server.install()
    return RemoteAction("action_submit_case", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_valid_action_answers_pass(action: RemoteAction) -> None:
    answer = {
        "events": [{"event": "slot", "name": "email", "value": "a@example.org"}, {"event": "active_loop", "name": None}],
        "responses": [{"text": "Kiitos!"}],
    }
    assert action._validate_action_result(answer) is True
    assert action._validate_action_result({}) is True


def test_a_wrong_answer_still_gets_rasas_own_error(action: RemoteAction) -> None:
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result({"events": [{"event": "slot", "name": 5}], "responses": "nope"})
    assert "Failed to validate Action server response from API" in raised.value.message


def test_install_is_idempotent_and_the_schema_is_checked_once() -> None:
    rasa_server.install()
    patched = RemoteAction._validate_action_result
    rasa_server.install()
    assert RemoteAction._validate_action_result is patched
    assert rasa_server.action_response_validator() is rasa_server.action_response_validator()


def test_checking_each_event_by_its_name_agrees_with_the_whole_schema() -> None:
    schema = RemoteAction.action_response_format_spec()
    answers = [
        {"events": [{"event": "slot", "name": "consent", "value": True, "timestamp": None}], "responses": []},
        {"events": [{"event": "active_loop", "name": "intake_form"}, {"event": "followup", "name": "action_listen"}]},
        {"events": [{"event": "bot", "text": "Hei", "data": {"buttons": [{"title": "Kyllä", "payload": "/affirm"}]}}]},
        {"events": [{"event": "nonsense"}]},
        {"events": "not a list"},
        {"responses": [1, 2]},
        {"events": [{"event": "slot", "value": 1}]},
        {"events": [{"name": "x"}]},
        {"events": [{"event": "entities", "entities": [{"entity": "sector"}]}]},
        {"events": [{"event": "user", "text": "hei", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}}]},
        {"events": [{"event": "bot", "text": "Hei", "timestamp": "yesterday"}]},
        {"events": [{"event": "slot", "name": "x", "value": 1}, 5]},
        [],
    ]
    for answer in answers:
        assert rasa_server.action_response_validator()(answer) == jsonschema.Draft202012Validator(schema).is_valid(answer), answer


def test_events_are_read_back_as_before() -> None:
    rasa_server.install()
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("slot") is SlotSet  # from the table now
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    stored = [SlotSet("email", "a@example.org").as_dict(), UserUttered("hei", {"name": "greet"}).as_dict()]
    assert [type(e) for e in events.deserialise_events(stored)] == [SlotSet, UserUttered]


class _Echo(BaseHTTPRequestHandler):
    """Answers each POST with its JSON body; remembers the client port of every request."""

    protocol_version = "HTTP/1.1"  # keep-alive
    ports: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_calls_to_an_endpoint_reuse_one_kept_connection() -> None:
    rasa_server.install()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.server_address[1]}/webhook")

    async def calls() -> list[object]:
        try:
            return [await endpoint.request(json={"call": i}) for i in range(3)]
        finally:
            await rasa_server.close_kept_sessions()

    try:
        answers = asyncio.run(calls())
    finally:
        server.shutdown()
        server.server_close()
    assert answers == [{"call": 0}, {"call": 1}, {"call": 2}]
    assert len(_Echo.ports) == 3 and len(set(_Echo.ports)) == 1


@pytest.fixture(scope="module")
def agent() -> Agent:
    """The trained model (``make test`` trains it first), loaded as the Rasa server loads it."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make setup` trains it")
    rasa_server.install()
    return Agent.load(str(MODEL))


MESSAGES = [
    "Etsin töitä, olen ollut työttömänä puoli vuotta",
    "Tarvitsemme kolme hitsaajaa Kouvolaan",
    "joo",
    "Testi Käyttäjä",
    "testi@example.org",
    "Haminassa",
    "/affirm",
    "what do you do with my data?",
]


def test_the_graph_runs_without_dask_as_with_it(agent: Agent) -> None:
    """Every message's parse, and the policies' next action after it, agree with dask's run of the graph."""
    processor = agent.processor
    assert processor is not None
    runner = processor.graph_runner
    dask_run = DaskGraphRunner.dask_run
    assert DaskGraphRunner.run is rasa_server.run_graph
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target
    predicted = set()
    for text in MESSAGES:
        tracker = DialogueStateTracker.from_events("graph-test", [ActionExecuted("action_listen")], agent.domain.slots)
        inputs = {PLACEHOLDER_MESSAGE: [UserMessage(text, sender_id="graph-test")], PLACEHOLDER_TRACKER: tracker}
        [parsed] = runner.run(inputs=inputs, targets=[nlu])[nlu]
        [expected] = dask_run(runner, inputs=inputs, targets=[nlu])[nlu]
        assert parsed.as_dict(only_output_properties=True) == expected.as_dict(only_output_properties=True)

        tracker.update(UserUttered(text, parsed.get("intent"), parsed.get("entities")), agent.domain)
        ours = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[core])[core]
        theirs = dask_run(runner, inputs={PLACEHOLDER_TRACKER: tracker}, targets=[core])[core]
        assert (ours.policy_name, ours.max_confidence_index) == (theirs.policy_name, theirs.max_confidence_index)
        predicted.add(agent.domain.action_names_or_texts[ours.max_confidence_index])
    assert {"action_register_need", "action_explain_privacy"} <= predicted


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(agent: Agent) -> None:
    processor = agent.processor
    assert processor is not None
    target = processor.model_metadata.nlu_target
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        processor.graph_runner.run(inputs={"clash": target}, targets=[target])


def test_the_heap_is_frozen_and_blas_has_one_thread_once_the_model_is_loaded() -> None:
    """In a process of its own, as the Rasa server: what loading the model made is left out of garbage collection,
    and the BLAS libraries loaded with it run one thread each (bot.rasa.numerics)."""
    code = (
        "import asyncio, gc, types\n"
        "import rasa.core.run as rasa_run\n"
        "from threadpoolctl import threadpool_info\n"
        "from bot.rasa import server as rasa_server\n"
        "rasa_server.install()\n"
        "app = types.SimpleNamespace(ctx=types.SimpleNamespace())\n"
        f"agent = asyncio.run(rasa_run.load_agent_on_start({str(MODEL)!r}, None, None, app, None))\n"
        "blas = sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'})\n"
        "print(agent.is_ready(), gc.get_freeze_count(), ','.join(map(str, blas)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    ready, frozen, blas_threads = result.stdout.split()[-3:]
    assert ready == "True"
    assert int(frozen) > 100_000  # the model's objects (about 550 000), not a handful
    assert blas_threads == "1"  # numpy's and scipy's OpenBLAS, one thread each
