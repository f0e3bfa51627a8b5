"""``frontdoor report`` and ``demo-data``: the foresight report, and synthetic cases to show it with."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from bot.app import create_frontdoor
from bot.insight.demodata import DemoData
from bot.insight.files import draw, write
from bot.insight.report import Period, ReportBuilder
from bot.ops.commands import Commands
from bot.settings import Settings


def add_report(commands: Commands, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser("report", parents=[common], help="the foresight report: HTML with charts, and CSV files")
    report.add_argument("--from", dest="start", type=_day, help="first day (YYYY-MM-DD, UTC), default: the first case")
    report.add_argument("--to", dest="end", type=_day, help="last day (YYYY-MM-DD, UTC), default: the newest case")
    report.add_argument("--out", required=True, type=Path, help="folder for report.html and the CSV files")
    report.set_defaults(handler=_report)


def add_demo_data(commands: Commands, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser(
        "demo-data", parents=[common], help="add synthetic cases (clearly marked) for demos and benchmarks"
    )
    demo.add_argument("--cases", required=True, type=int, help="how many")
    demo.add_argument("--seed", type=int, default=42, help="random seed (the same seed gives the same cases)")
    demo.set_defaults(handler=_demo_data)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-11-25") from None


def _report(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
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


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    frontdoor = create_frontdoor(settings)
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
