"""The ``frontdoor`` command: the case register, the network file and running it all."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.app import FrontDoor, create_frontdoor
from bot.contact import check_email
from bot.delivery.outbox import OutboxAdmin
from bot.insight.demodata import DemoData
from bot.insight.report import Period, ReportBuilder, draw, write
from bot.network.model import LANGUAGES, NetworkError, load_network
from bot.network.municipalities import Municipalities
from bot.network.needs import load_taxonomy
from bot.network.routing import RoutingRequest, route
from bot.nlu.lemmas import open_lemmatizer
from bot.paths.catalogue import CatalogueError, OfferingRules, in_language, load_catalogue, load_curated, read_synced, synced_path
from bot.paths.drafting import load_drafting, step_line
from bot.paths.konfo import KonfoClient, SyncError, konfo_session
from bot.paths.konfo import sync as sync_catalogue
from bot.register.database import make_engine, upgrade
from bot.register.lifecycle import CaseNotFound, TransitionError, today_in
from bot.register.mentors import InviteError
from bot.register.models import OUTBOX_STATUSES
from bot.register.repositories import CaseRepository
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

LIST_COLUMNS = (
    "reference",
    "created_at",
    "status",
    "need",
    "customer_type",
    "municipality",
    "area",
    "partner",
    "mentor",
    "channel",
)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL of the case database (default: FRONTDOOR_DATABASE_URL or var/)")
    common.add_argument("--network", type=Path, help="network file (default: FRONTDOOR_NETWORK or the demo network)")
    return common


def _add_network_work(commands: Any, common: argparse.ArgumentParser) -> None:
    """Reports, demo data, the delivery worker, mentors' Telegram and the outbox."""
    report = commands.add_parser("report", parents=[common], help="the foresight report: HTML with charts, and CSV files")
    report.add_argument("--from", dest="start", type=_day, help="first day (YYYY-MM-DD, UTC), default: the first case")
    report.add_argument("--to", dest="end", type=_day, help="last day (YYYY-MM-DD, UTC), default: the newest case")
    report.add_argument("--out", required=True, type=Path, help="folder for report.html and the CSV files")

    demo = commands.add_parser(
        "demo-data", parents=[common], help="add synthetic cases (clearly marked) for demos and benchmarks"
    )
    demo.add_argument("--cases", required=True, type=int, help="how many")
    demo.add_argument("--seed", type=int, default=42, help="random seed (the same seed gives the same cases)")

    worker = commands.add_parser("worker", parents=[common], help="start only the outbox delivery worker and the Telegram bots")
    worker.add_argument(
        "--no-bots", action="store_true", help="deliver only: another worker reads the Telegram bots' updates (one may)"
    )

    mentor = commands.add_parser("mentor", help="mentors' Telegram accounts").add_subparsers(
        dest="mentor_command", required=True, metavar="ACTION"
    )
    invite = mentor.add_parser("invite", parents=[common], help="print a one-time link that connects a mentor's Telegram")
    invite.add_argument("mentor_id", metavar="MENTOR_ID", help="the mentor's id in the network file")

    outbox = commands.add_parser("outbox", help="notifications waiting, delivered or given up").add_subparsers(
        dest="outbox_command", required=True, metavar="ACTION"
    )
    outbox_list = outbox.add_parser("list", parents=[common], help="list notifications")
    outbox_list.add_argument("--status", choices=OUTBOX_STATUSES, help="only this status (dead: given up)")
    outbox_list.add_argument("--json", action="store_true", help="print a JSON array")
    retry = outbox.add_parser("retry", parents=[common], help="send given-up (dead) notifications again")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID", help="outbox ids (see 'frontdoor outbox list --status dead')")
    retry.add_argument("--dead", action="store_true", help="every dead notification")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="frontdoor", description="The front door of the regional competence network.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    cases = commands.add_parser("cases", help="the case register").add_subparsers(
        dest="cases_command", required=True, metavar="ACTION"
    )
    listing = cases.add_parser("list", parents=[common], help="list cases")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--status", help="only cases with this status")
    listing.add_argument("--limit", type=int, help="at most this many cases")
    show = cases.add_parser("show", parents=[common], help="one case with its events and routing reason")
    show.add_argument("reference", help="the case reference, e.g. FD-2026-00042")
    show.add_argument("--json", action="store_true", help="print JSON")

    for action, text in (
        ("accept", "the mentor takes the case on"),
        ("decline", "hand the case back: it goes to the next best mentor"),
        ("forward", "pass the case to another partner"),
        ("contacted", "the customer has been contacted"),
        ("close", "the case is done"),
    ):
        change = cases.add_parser(action, parents=[common], help=text)
        change.add_argument("reference", help="the case reference, e.g. FD-2026-00042")
        change.add_argument(
            "--as", dest="actor", required=True, metavar="MENTOR_ID", help="who does it (its mentor or the coordinator)"
        )
        if action == "forward":
            change.add_argument("--partner", required=True, help="the partner id to forward to")
        if action == "decline":
            change.add_argument("--reason", help="why (stored with the event)")
        else:
            change.add_argument("--note", help="a note stored with the event")

    routing = commands.add_parser("route", parents=[common], help="who would get a case? (stores nothing)")
    routing.add_argument(
        "--dry-run", action="store_true", help="only answer who would get it (the command never stores anything)"
    )
    routing.add_argument("--need", required=True, help="need id of needs.yml, e.g. apprenticeship")
    routing.add_argument("--municipality", help="where, e.g. Kouvola or Haukiputaalla (a former municipality counts)")
    routing.add_argument("--sector", help="sector id of needs.yml, e.g. logistics")
    routing.add_argument("--language", default="fi", help="fi, en or sv (default fi)")
    routing.add_argument("--json", action="store_true", help="print JSON")

    network_commands = commands.add_parser("network", help="the network file of running front doors").add_subparsers(
        dest="network_command", required=True, metavar="ACTION"
    )
    network_commands.add_parser(
        "reload",
        parents=[common],
        help="check the network file; running front doors pick up a file that passes within seconds, and keep the old one otherwise",
    )

    commands.add_parser("escalate", parents=[common], help="escalate every case not accepted in time, once, and exit")

    check = commands.add_parser("check-network", parents=[common], help="validate a network file")
    check.add_argument("path", nargs="?", type=Path, help="the file (default: --network, FRONTDOOR_NETWORK or the demo network)")

    database = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    database.add_parser("upgrade", parents=[common], help="migrate the database to the newest schema")

    run = commands.add_parser("run", parents=[common], help="start the whole front door (Rasa, actions, web)")
    run.add_argument("--model", type=Path, default=None, help="trained model (default: models/frontdoor.tar.gz)")
    scaled = commands.add_parser(
        "run-scaled", parents=[common], help="start it as in production on one machine: PostgreSQL, Redis, 2 Rasa, 2 workers"
    )
    scaled.add_argument("--model", type=Path, default=None, help="trained model (default: models/frontdoor.tar.gz)")
    scaled.add_argument(
        "--data", type=Path, default=None, help="folder of PostgreSQL's and Redis's data (default: var/scaled; kept between runs)"
    )

    _add_network_work(commands, common)
    _add_catalogue(commands, common)

    _add_privacy(commands, common)

    commands.add_parser(
        "web", parents=[common], help="start only the web server, escalation and the nightly purge (one per deployment)"
    )
    rasa = commands.add_parser(
        "rasa", parents=[common], help="start one Rasa server as `frontdoor run` would (a replica on its own machine)"
    )
    rasa.add_argument("--port", type=int, default=None, help="port (default: FRONTDOOR_RASA_PORT or 5005)")
    rasa.add_argument("--interface", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    rasa.add_argument("--action-url", default=None, help="its action server (default: http://127.0.0.1:<action port>/webhook)")
    rasa.add_argument("--model", type=Path, default=None, help="trained model (default: models/frontdoor.tar.gz)")

    actions = commands.add_parser("actions", parents=[common], help="start only the action server")
    actions.add_argument("--port", type=int, default=None, help="port (default: FRONTDOOR_ACTION_PORT or 5055)")
    return parser


def _add_catalogue(commands: Any, common: argparse.ArgumentParser) -> None:
    """The offerings catalogue: sync from Opintopolku, list."""
    catalogue = commands.add_parser(
        "catalogue", help="the partners' offerings that competence paths are drafted from"
    ).add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    sync = catalogue.add_parser("sync", parents=[common], help="refresh the education offerings from Opintopolku (konfo)")
    sync.add_argument("--konfo-url", help="konfo-backend's root URL (default: FRONTDOOR_KONFO_URL or https://opintopolku.fi)")
    offerings = catalogue.add_parser("list", parents=[common], help="list the offerings in use (curated and synced)")
    offerings.add_argument("--json", action="store_true", help="print a JSON array")


def _add_privacy(commands: Any, common: argparse.ArgumentParser) -> None:
    """A person's data: erase or export on request, and the retention purge."""
    erase = commands.add_parser(
        "erase", parents=[common], help="erase a person's data: anonymise their cases, tell the mentors, forget conversations"
    )
    erase.add_argument("--email", required=True, type=_email, help="the person's email address")
    export = commands.add_parser("export", parents=[common], help="print everything kept about a person as JSON")
    export.add_argument("--email", required=True, type=_email, help="the person's email address")
    export.add_argument("--out", type=Path, help="write to this file instead of the screen")
    commands.add_parser(
        "purge", parents=[common], help="anonymise cases closed longer ago than the retention period, forget old conversations"
    )


def _email(value: str) -> str:
    checked = check_email(value)
    if checked.problem or not checked.value:
        raise argparse.ArgumentTypeError(f"'{value[:80]}' is not an email address like name@example.fi")
    return str(checked.value)


def _privacy(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    privacy = frontdoor.privacy
    if args.command == "export":
        data = json.dumps(privacy.export(args.email), ensure_ascii=False, indent=2)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.touch(mode=0o600)
            args.out.write_text(data + "\n", encoding="utf-8")
            print(f"{args.out}  (personal data: hand it over securely and delete your copy)")
        else:
            print(data)
        return 0
    if args.command == "erase":
        erasure = privacy.erase(email=args.email, actor="coordinator")
        references = ", ".join(erasure.references) or "none"
        print(f"erased: {len(erasure.references)} case(s) ({references}); their mentors are told")
    else:
        erasure = privacy.purge()
        print(f"purged: {len(erasure.references)} closed case(s) older than {frontdoor.network.service.retention_days} days")
    print(
        f"{erasure.notifications_removed} customer notification(s) removed, {erasure.conversations} stored conversation event(s) deleted"
    )
    return 0


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-11-25") from None


def _report(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        print(f"error: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return 2
    started = time.monotonic()
    builder = ReportBuilder(frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.lemmatizer)
    report = builder.build(Period(args.start, args.end))
    draw(report)
    page = write(report, args.out)
    print(f"{page}  ({report.total} cases, {len(report.tables)} CSV files, {time.monotonic() - started:.1f} s)")
    return 0


def _demo_data(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    if args.cases < 1:
        print("error: --cases must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    DemoData(
        frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.municipalities, frontdoor.clock
    ).generate(args.cases, seed=args.seed)
    print(
        f"{args.cases} synthetic cases added in {time.monotonic() - started:.1f} s "
        "(marked: 'Synteettinen' names, @example.invalid emails, '[demo]' need texts)"
    )
    return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no cases")
        return
    widths = {c: max(len(c), *(len(str(r.get(c) or "-")) for r in rows)) for c in LIST_COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in LIST_COLUMNS))
    for row in rows:
        print("  ".join(str(row.get(c) or "-").ljust(widths[c]) for c in LIST_COLUMNS))


def _print_case(case: dict[str, Any]) -> None:
    skip = {"events", "notifications", "path"}
    width = max(len(k) for k in case)
    for key, value in case.items():
        if key not in skip:
            print(f"{key.ljust(width)}  {'-' if value is None else value}")
    print("\nevents:")
    for event in case["events"]:
        detail = ", ".join(f"{k}={v}" for k, v in event["detail"].items() if k not in ("reason", "steps"))
        print(f"  {event['at']}  {event['kind']:<10} by {event['actor']}  {detail}")
    if case.get("path"):
        print("\ndrafted competence path:")
        for i, step in enumerate(case["path"], 1):
            print(f"  {i}. {step_line(step, 'fi', {'starts': 'alkaa', 'online': 'verkossa'})}")
    print("\nnotifications:")
    for note in case["notifications"]:
        print(f"  {note['channel']:<9} to {note['recipient']}: {note['status']} ({note['attempts']} attempts)")


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


CHANGES = ("accept", "decline", "forward", "contacted", "close")


def _change(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    lifecycle = frontdoor.lifecycle
    try:
        if args.cases_command == "accept":
            outcome = lifecycle.accept(args.reference, args.actor)
        elif args.cases_command == "contacted":
            outcome = lifecycle.contacted(args.reference, args.actor, note=args.note)
        elif args.cases_command == "close":
            outcome = lifecycle.close(args.reference, args.actor, note=args.note)
        elif args.cases_command == "decline":
            outcome = lifecycle.decline(args.reference, args.actor, reason=args.reason)
        else:
            outcome = lifecycle.forward(args.reference, args.actor, args.partner, note=args.note)
    except (TransitionError, CaseNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{outcome.reference}: {outcome.status}, with {outcome.mentor}" + (f" ({outcome.partner})" if outcome.partner else ""))
    if args.cases_command in ("decline", "forward") and outcome.reason:
        print(f"why: {outcome.reason}")
    return 0


def _dry_run(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    problems = []
    taxonomy = frontdoor.taxonomy
    if args.need not in taxonomy.needs:
        problems.append(f"unknown need '{args.need}' (known: {', '.join(sorted(taxonomy.needs))})")
    if args.sector and args.sector not in taxonomy.sectors:
        problems.append(f"unknown sector '{args.sector}' (known: {', '.join(sorted(taxonomy.sectors))})")
    if args.language not in LANGUAGES:
        problems.append(f"unknown language '{args.language}' (known: {', '.join(LANGUAGES)})")
    place = frontdoor.municipalities.resolve(args.municipality) if args.municipality else None
    if args.municipality and place is None:
        problems.append(f"unknown municipality '{args.municipality}': give a Finnish municipality, e.g. Kouvola")
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


def _invite(frontdoor: FrontDoor, mentor_id: str) -> int:
    settings = frontdoor.settings
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
        code = frontdoor.mentors.invite(mentor_id)
    except InviteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"https://t.me/{username}?start={code}")
    print(
        f"valid for {settings.invite_days} days, once: send it to the mentor; opening it in Telegram links their account",
        file=sys.stderr,
    )
    return 0


def _outbox(frontdoor: FrontDoor, args: argparse.Namespace) -> int:
    admin = OutboxAdmin(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)
    if args.outbox_command == "list":
        rows = admin.listing(args.status)
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
    if not args.ids and not args.dead:
        print("error: name the outbox ids to retry, or --dead for all given-up ones", file=sys.stderr)
        return 2
    count = admin.retry(args.ids, every_dead=args.dead)
    print(f"{count} notification(s) queued again")
    return 0


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Carry out one parsed command; returns the exit status."""
    if args.command == "check-network":
        return _check_network(settings, args.path)
    if args.command == "network":
        code = _check_network(settings, None)
        print("running front doors reload it on their next request; a file that fails the check never replaces a working one")
        return code
    if args.command == "db":
        upgrade(make_engine(settings.database_url))
        print("database schema is up to date")
        return 0
    if args.command == "run":
        from bot.ops.runner import run_all  # noqa: PLC0415 - only this command needs the process supervisor

        return run_all(settings, model=args.model)
    if args.command == "run-scaled":
        from bot.ops.runner import run_scaled  # noqa: PLC0415 - only this command needs the process supervisor

        return run_scaled(settings, model=args.model, data=args.data)
    if args.command == "web":
        from bot.ops.runner import run_web  # noqa: PLC0415 - only this command needs the process helpers

        return run_web(settings)
    if args.command == "rasa":
        from bot.ops.runner import exec_rasa  # noqa: PLC0415 - only this command needs the process helpers

        return exec_rasa(settings, port=args.port, interface=args.interface, action_url=args.action_url, model=args.model)
    if args.command == "actions":
        from bot.rasa.action_server import serve  # noqa: PLC0415 - imports rasa-sdk's server

        return serve(settings, port=args.port or settings.action_port)
    if args.command == "catalogue":
        return _catalogue(settings, args)
    frontdoor = create_frontdoor(settings)
    if args.command == "route":
        return _dry_run(frontdoor, args)
    if args.command == "escalate":
        outcomes = frontdoor.lifecycle.escalate_overdue()
        for outcome in outcomes:
            print(f"{outcome.reference}: {outcome.status} → {outcome.mentor}")
        print(f"{len(outcomes)} case(s) escalated")
        return 0
    if args.command == "report":
        return _report(frontdoor, args)
    if args.command == "demo-data":
        return _demo_data(frontdoor, args)
    if args.command == "worker":
        from bot.ops.worker import run_worker  # noqa: PLC0415 - only this command needs python-telegram-bot

        return run_worker(frontdoor, bots=not args.no_bots)
    if args.command == "mentor":
        return _invite(frontdoor, args.mentor_id)
    if args.command == "outbox":
        return _outbox(frontdoor, args)
    if args.command in ("erase", "export", "purge"):
        return _privacy(frontdoor, args)
    if args.cases_command in CHANGES:
        return _change(frontdoor, args)
    if args.cases_command == "list":
        rows = frontdoor.cases.list_cases(status=args.status, limit=args.limit)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(rows)
        return 0
    case = frontdoor.cases.show_case(args.reference)
    if case is None:
        print(f"no case with reference '{args.reference}' (see 'frontdoor cases list')", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(case, ensure_ascii=False, indent=2))
    else:
        _print_case(case)
    return 0


def _catalogue(settings: Settings, args: argparse.Namespace) -> int:
    drafting = load_drafting(settings.network_path, settings.curated_catalogue, None)
    synced = synced_path(settings.catalogue_dir, drafting.network.id)
    if args.catalogue_command == "list":
        catalogue = load_catalogue(
            settings.curated_catalogue,
            synced,
            drafting.taxonomy,
            drafting.municipalities,
            [p.id for p in drafting.network.partners],
        )
        rows = [o.to_json() for o in catalogue.offerings]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        for o in catalogue.offerings:
            print(f"{o.id:40} {o.partner:22} {o.kind:24} {o.start or '-':10} {in_language(o.title, 'fi')}")
        print(f"{len(rows)} offerings ({settings.curated_catalogue}; synced {catalogue.synced_at or 'never'})")
        return 0
    rules = OfferingRules(drafting.taxonomy, drafting.municipalities, frozenset(p.id for p in drafting.network.partners))
    previous, synced_at = read_synced(synced, rules)
    client = KonfoClient(konfo_session(), args.konfo_url or settings.konfo_url, settings.konfo_timeout_seconds)
    try:
        result = sync_catalogue(
            client, drafting.catalogue, synced, drafting.sectors.match, datetime.now(timezone.utc), rules=rules
        )
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if synced_at:
            print(f"       the catalogue synced at {synced_at} ({len(previous)} offerings) stays in use", file=sys.stderr)
        else:
            print("       nothing was synced before: paths are drafted from the curated offerings only", file=sys.stderr)
        return 1
    partners = ", ".join(f"{partner} {count}" for partner, count in sorted(result.by_partner.items())) or "none"
    state = "updated" if result.changed else "unchanged"
    print(f"{result.offerings} offerings from Opintopolku ({partners}); catalogue {state}: {synced}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frontdoor`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env().with_overrides(
            database_url=getattr(args, "database_url", None), network_path=getattr(args, "network", None)
        )
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        # httpx logs every request URL, and a Bot API URL carries the bot's token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
        return run_command(args, settings)
    except (NetworkError, SettingsError, CatalogueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"error: the case database cannot be used ({type(exc).__name__}: {exc.args[0] if exc.args else ''})", file=sys.stderr
        )
        print("       check FRONTDOOR_DATABASE_URL / --database-url", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
