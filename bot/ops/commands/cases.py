"""``frontdoor cases …`` and ``frontdoor escalate``: the case register and moving a case along."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from bot.app import create_frontdoor
from bot.messages import Catalog
from bot.ops.commands import Commands
from bot.paths.steps import PathStep, step_line
from bot.register.lifecycle import CaseNotFound, Lifecycle, Outcome, TransitionError
from bot.register.models import OUTCOMES, Verb, Via
from bot.settings import Settings

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
    "outcome",
)

Change = Callable[[Lifecycle, argparse.Namespace], Outcome]

# What a mentor or the coordinator does to a case: its help text and the lifecycle's step, in the help's order.
CHANGES: dict[Verb, tuple[str, Change]] = {
    Verb.ACCEPT: (
        "the mentor takes the case on",
        lambda lifecycle, args: lifecycle.accept(args.reference, args.actor, via=Via.CLI),
    ),
    Verb.DECLINE: (
        "hand the case back: it goes to the next best mentor",
        lambda lifecycle, args: lifecycle.decline(args.reference, args.actor, reason=args.reason, via=Via.CLI),
    ),
    Verb.FORWARD: (
        "pass the case to another partner",
        lambda lifecycle, args: lifecycle.forward(args.reference, args.actor, args.partner, note=args.note, via=Via.CLI),
    ),
    Verb.CONTACTED: (
        "the customer has been contacted",
        lambda lifecycle, args: lifecycle.contacted(args.reference, args.actor, note=args.note, via=Via.CLI),
    ),
    Verb.CLOSE: (
        "the case is done",
        lambda lifecycle, args: lifecycle.close(
            args.reference, args.actor, note=args.note, outcome=args.outcome, delivered_by=args.delivered_by, via=Via.CLI
        ),
    ),
}


def add_cases(commands: Commands, common: argparse.ArgumentParser) -> None:
    cases = commands.add_parser("cases", help="the case register").add_subparsers(
        dest="cases_command", required=True, metavar="ACTION"
    )
    listing = cases.add_parser("list", parents=[common], help="list cases")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--status", help="only cases with this status")
    listing.add_argument("--limit", type=int, help="at most this many cases")
    listing.set_defaults(handler=_list)
    show = cases.add_parser("show", parents=[common], help="one case with its events and routing reason")
    show.add_argument("reference", help="the case reference, e.g. FD-2026-00042")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)
    for verb, (text, _) in CHANGES.items():
        change = cases.add_parser(verb.value, parents=[common], help=text)
        change.add_argument("reference", help="the case reference, e.g. FD-2026-00042")
        change.add_argument(
            "--as", dest="actor", required=True, metavar="MENTOR_ID", help="who does it (its mentor or the coordinator)"
        )
        if verb is Verb.FORWARD:
            change.add_argument("--partner", required=True, help="the partner id to forward to")
        if verb is Verb.DECLINE:
            change.add_argument("--reason", help="why (stored with the event)")
        else:
            change.add_argument("--note", help="a note stored with the event")
        if verb is Verb.CLOSE:
            _add_outcome(change)
        change.set_defaults(handler=_change)
    correct = cases.add_parser("correct-outcome", parents=[common], help="the coordinator corrects a closed case's outcome")
    correct.add_argument("reference", help="the case reference, e.g. FD-2026-00042")
    correct.add_argument("--as", dest="actor", required=True, metavar="COORDINATOR_ID", help="the network's coordinator")
    correct.add_argument("--note", help="why (stored with the event)")
    _add_outcome(correct)
    correct.set_defaults(handler=_correct)


def _add_outcome(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outcome",
        required=True,
        choices=OUTCOMES,
        help="what came of the case: served (the network delivered), referred_outside (to a service outside "
        "the network), not_reachable, no_need, not_offered (not something the network offers)",
    )
    parser.add_argument(
        "--delivered-by",
        dest="delivered_by",
        action="append",
        default=[],
        metavar="PARTNER_ID",
        help="a partner that delivered a served case (repeat for several; default: the case's partner)",
    )


def add_escalate(commands: Commands, common: argparse.ArgumentParser) -> None:
    escalate = commands.add_parser("escalate", parents=[common], help="escalate every case not accepted in time, once, and exit")
    escalate.set_defaults(handler=_escalate)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    rows = create_frontdoor(settings).cases.list_cases(status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_table(rows)
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    case = create_frontdoor(settings).cases.show_case(args.reference)
    if case is None:
        print(f"no case with reference '{args.reference}' (see 'frontdoor cases list')", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(case, ensure_ascii=False, indent=2))
    else:
        _print_case(case)
    return 0


def _change(args: argparse.Namespace, settings: Settings) -> int:
    lifecycle = create_frontdoor(settings).lifecycle
    _, step = CHANGES[Verb(args.cases_command)]
    try:
        outcome = step(lifecycle, args)
    except (TransitionError, CaseNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{outcome.reference}: {outcome.status}, with {outcome.mentor}" + (f" ({outcome.partner})" if outcome.partner else ""))
    if args.cases_command in (Verb.DECLINE, Verb.FORWARD) and outcome.reason:
        print(f"why: {outcome.reason}")
    return 0


def _correct(args: argparse.Namespace, settings: Settings) -> int:
    lifecycle = create_frontdoor(settings).lifecycle
    try:
        outcome = lifecycle.correct_outcome(args.reference, args.actor, args.outcome, args.delivered_by, args.note, via=Via.CLI)
    except (TransitionError, CaseNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{outcome.reference}: outcome now {args.outcome}")
    return 0


def _escalate(args: argparse.Namespace, settings: Settings) -> int:
    outcomes = create_frontdoor(settings).lifecycle.escalate_overdue()
    for outcome in outcomes:
        print(f"{outcome.reference}: {outcome.status} → {outcome.mentor}")
    print(f"{len(outcomes)} case(s) escalated")
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
        catalog = Catalog.load()
        words = {word: catalog.render(f"path_{word}", "fi").text for word in ("starts", "online", "finnish_only")}
        for i, step in enumerate(case["path"], 1):
            print(f"  {i}. {step_line(PathStep.from_json(step), 'fi', words)}")
    print("\nnotifications:")
    for note in case["notifications"]:
        print(f"  {note['channel']:<9} to {note['recipient']}: {note['status']} ({note['attempts']} attempts)")
