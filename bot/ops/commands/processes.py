"""``frontdoor run``, ``run-scaled``, ``worker``, ``web``, ``rasa`` and ``actions``: starting the front door or one of its parts.

The runner, the worker and Rasa are imported only inside the handler that starts them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.app import create_frontdoor
from bot.ops.commands import Commands
from bot.settings import Settings

MODEL_HELP = "trained model (default: models/frontdoor.tar.gz)"


def add_run(commands: Commands, common: argparse.ArgumentParser) -> None:
    run = commands.add_parser("run", parents=[common], help="start the whole front door (Rasa, actions, web)")
    run.add_argument("--model", type=Path, default=None, help=MODEL_HELP)
    run.set_defaults(handler=_run)


def add_run_scaled(commands: Commands, common: argparse.ArgumentParser) -> None:
    scaled = commands.add_parser(
        "run-scaled", parents=[common], help="start it as in production on one machine: PostgreSQL, Redis, 2 Rasa, 2 workers"
    )
    scaled.add_argument("--model", type=Path, default=None, help=MODEL_HELP)
    scaled.add_argument(
        "--data", type=Path, default=None, help="folder of PostgreSQL's and Redis's data (default: var/scaled; kept between runs)"
    )
    scaled.set_defaults(handler=_run_scaled)


def add_worker(commands: Commands, common: argparse.ArgumentParser) -> None:
    worker = commands.add_parser("worker", parents=[common], help="start only the outbox delivery worker and the Telegram bots")
    worker.add_argument(
        "--no-bots", action="store_true", help="deliver only: another worker reads the Telegram bots' updates (one may)"
    )
    worker.set_defaults(handler=_worker)


def add_web(commands: Commands, common: argparse.ArgumentParser) -> None:
    web = commands.add_parser(
        "web", parents=[common], help="start only the web server, escalation and the nightly purge (one per deployment)"
    )
    web.set_defaults(handler=_web)


def add_rasa(commands: Commands, common: argparse.ArgumentParser) -> None:
    rasa = commands.add_parser(
        "rasa", parents=[common], help="start one Rasa server as `frontdoor run` would (a replica on its own machine)"
    )
    rasa.add_argument("--port", type=int, default=None, help="port (default: FRONTDOOR_RASA_PORT or 5005)")
    rasa.add_argument("--interface", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    rasa.add_argument("--action-url", default=None, help="its action server (default: http://127.0.0.1:<action port>/webhook)")
    rasa.add_argument("--model", type=Path, default=None, help=MODEL_HELP)
    rasa.set_defaults(handler=_rasa)


def add_actions(commands: Commands, common: argparse.ArgumentParser) -> None:
    actions = commands.add_parser("actions", parents=[common], help="start only the action server")
    actions.add_argument("--port", type=int, default=None, help="port (default: FRONTDOOR_ACTION_PORT or 5055)")
    actions.set_defaults(handler=_actions)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.runner import run_all  # noqa: PLC0415 - only this command needs the process supervisor

    return run_all(settings, model=args.model)


def _run_scaled(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.runner import run_scaled  # noqa: PLC0415 - only this command needs the process supervisor

    return run_scaled(settings, model=args.model, data=args.data)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    from bot.ops.worker import run_worker  # noqa: PLC0415 - only this command needs python-telegram-bot

    return run_worker(frontdoor, bots=not args.no_bots)


def _web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.runner import run_web  # noqa: PLC0415 - only this command needs the process helpers

    return run_web(settings)


def _rasa(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.runner import exec_rasa  # noqa: PLC0415 - only this command needs the process helpers

    return exec_rasa(settings, port=args.port, interface=args.interface, action_url=args.action_url, model=args.model)


def _actions(args: argparse.Namespace, settings: Settings) -> int:
    from bot.rasa.action_server import serve  # noqa: PLC0415 - imports rasa-sdk's server

    return serve(settings, port=args.port or settings.action_port)
