"""``frontdoor route``, ``network reload`` and ``check-network``: the network file, and who it routes a case to."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from bot.app import create_frontdoor
from bot.language import LANGUAGES
from bot.network.loading import load_network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy, load_taxonomy
from bot.network.routing import RoutingRequest, route
from bot.nlu.lemmas import open_lemmatizer
from bot.ops.commands import Commands
from bot.paths.catalogue import load_curated
from bot.register.lifecycle import today_in
from bot.register.repositories import CaseRepository
from bot.settings import Settings


def add_route(commands: Commands, common: argparse.ArgumentParser) -> None:
    routing = commands.add_parser("route", parents=[common], help="who would get a case? (stores nothing)")
    routing.add_argument(
        "--dry-run", action="store_true", help="only answer who would get it (the command never stores anything)"
    )
    routing.add_argument("--need", required=True, help="need id of needs.yml, e.g. apprenticeship")
    routing.add_argument("--municipality", help="where, e.g. Kouvola or Haukiputaalla (a former municipality counts)")
    routing.add_argument("--sector", help="sector id of needs.yml, e.g. logistics")
    routing.add_argument("--language", default="fi", help="fi, en or sv (default fi)")
    routing.add_argument("--json", action="store_true", help="print JSON")
    routing.set_defaults(handler=_dry_run)


def add_network(commands: Commands, common: argparse.ArgumentParser) -> None:
    network_commands = commands.add_parser("network", help="the network file of running front doors").add_subparsers(
        dest="network_command", required=True, metavar="ACTION"
    )
    reload = network_commands.add_parser(
        "reload",
        parents=[common],
        help="check the network file; running front doors pick up a file that passes within seconds, and keep the old one otherwise",
    )
    reload.set_defaults(handler=_reload)


def add_check_network(commands: Commands, common: argparse.ArgumentParser) -> None:
    check = commands.add_parser("check-network", parents=[common], help="validate a network file")
    check.add_argument("path", nargs="?", type=Path, help="the file (default: --network, FRONTDOOR_NETWORK or the demo network)")
    check.set_defaults(handler=lambda args, settings: _check_network(settings, args.path))


def _reload(args: argparse.Namespace, settings: Settings) -> int:
    code = _check_network(settings, None)
    print("running front doors reload it on their next request; a file that fails the check never replaces a working one")
    return code


def _check_network(settings: Settings, path: Path | None) -> int:
    path = path or settings.network_path
    taxonomy = load_taxonomy()
    municipalities = Municipalities.load(lemmatizer=open_lemmatizer())
    network = load_network(path, taxonomy, municipalities)
    print(
        f"{path}: OK – network '{network.id}': {len(network.partners)} partners, "
        f"{len(network.mentors)} mentors, {len(network.areas)} areas, coordinator '{network.coordinator.id}'"
    )
    curated = replace(settings, network_path=path).curated_catalogue
    catalogue = load_curated(curated, taxonomy, municipalities, [p.id for p in network.partners])
    print(f"{curated}: OK – {len(catalogue)} offerings" if curated.exists() else f"{curated}: none (no paths are drafted)")
    return 0


def _dry_run(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
    place = frontdoor.municipalities.resolve(args.municipality) if args.municipality else None
    problems = _problems(frontdoor.taxonomy, args, known_place=place is not None)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    request = RoutingRequest(
        need=args.need,
        municipality=place.municipality if place else None,
        place_named=place.former if place else None,
        sector=args.sector,
        language=args.language,
    )
    now = datetime.now(timezone.utc)
    with frontdoor.sessions.begin() as session:
        work = CaseRepository(session).workload(now)
    decision = route(frontdoor.network, request, work, today_in(now, frontdoor.network))
    answer = {
        "partner": decision.partner,
        "mentor": decision.mentor,
        "area": decision.area,
        "to_coordinator": decision.to_coordinator,
        "reason": decision.reason,
    }
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        mentor = frontdoor.network.mentor(decision.mentor)
        print(
            f"partner: {decision.partner or '-'}\nmentor:  {decision.mentor} ({mentor.name if mentor else '?'})\narea:    {decision.area or '-'}"
        )
        print(f"why:     {decision.reason}")
    return 0


def _problems(taxonomy: Taxonomy, args: argparse.Namespace, known_place: bool) -> list[str]:
    """What is wrong with the route's arguments, one line each."""
    problems = []
    if args.need not in taxonomy.needs:
        problems.append(f"unknown need '{args.need}' (known: {', '.join(sorted(taxonomy.needs))})")
    if args.sector and args.sector not in taxonomy.sectors:
        problems.append(f"unknown sector '{args.sector}' (known: {', '.join(sorted(taxonomy.sectors))})")
    if args.language not in LANGUAGES:
        problems.append(f"unknown language '{args.language}' (known: {', '.join(LANGUAGES)})")
    if args.municipality and not known_place:
        problems.append(f"unknown municipality '{args.municipality}': give a Finnish municipality, e.g. Kouvola")
    return problems
