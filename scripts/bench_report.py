"""``make bench-report``: the foresight report over 100 000 synthetic cases on SQLite, timed.

Fills a fresh SQLite database under var/bench/ with ``frontdoor demo-data``'s
generator, closes the two oldest periods of the shares and then corrects a few
outcomes and forwards a few accepted cases whose credits counted in them (so the
report reads the adjustments too), then builds the report (SQL aggregation,
charts, HTML and CSV) the way ``frontdoor report`` does, and writes the figures
to reports/bench-report.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.insight.demodata import DemoData
from bot.insight.files import draw, write
from bot.insight.report import Period, ReportBuilder
from bot.insight.shares import Shares
from bot.register.models import Case, CaseStatus
from bot.register.service import TransitionError
from bot.settings import PROJECT_ROOT, Settings

# How many outcomes are corrected, and accepted cases forwarded, after the periods are closed.
CHANGES = 20


def close_and_correct(frontdoor: FrontDoor) -> dict[str, int]:
    """Close the two oldest periods that have ended, then correct outcomes and forward cases from them."""
    network = frontdoor.networks.current()
    shares = Shares(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)
    closed = shares.closable()[-2:]
    for span in reversed(closed):
        shares.close_period(span.starts, span.ends, network.coordinator.id)
    starts, ends = closed[-1].bounds(shares.zone)[0], closed[0].bounds(shares.zone)[1]
    with frontdoor.sessions() as session:
        served = list(
            session.execute(
                select(Case.reference)
                .where(Case.outcome == "served", Case.outcome_at >= starts, Case.outcome_at < ends)
                .order_by(Case.id)
                .limit(CHANGES)
            ).scalars()
        )
        held = session.execute(
            select(Case.reference, Case.mentor, Case.partner)
            .where(Case.status.in_([CaseStatus.ACCEPTED, CaseStatus.CONTACTED]), Case.created_at < ends)
            .order_by(Case.id)
            .limit(CHANGES)
        ).all()
    others = [p.id for p in network.partners]
    done = {"closed": len(closed), "corrected": 0, "accepted_again": 0}
    for reference in served:
        frontdoor.lifecycle.correct_outcome(reference, network.coordinator.id, "referred_outside")
        done["corrected"] += 1
    for reference, mentor, partner in held:
        try:
            to = next(p for p in others if p != partner)
            frontdoor.lifecycle.forward(reference, mentor, to)
            shown = frontdoor.cases.show_case(reference)
            if shown is not None:
                frontdoor.lifecycle.accept(reference, shown["mentor"])
                done["accepted_again"] += 1
        except TransitionError:
            continue
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    folder = PROJECT_ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "report.db"
    for stale in folder.glob("report.db*"):
        stale.unlink()
    settings = replace(Settings.from_env(), database_url=f"sqlite:///{database}")
    frontdoor = create_frontdoor(settings)
    started = time.perf_counter()
    DemoData(
        frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.municipalities, frontdoor.clock
    ).generate(args.cases)
    generated = time.perf_counter() - started
    changes = close_and_correct(frontdoor)

    started = time.perf_counter()
    report = ReportBuilder(frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.lemmatizer).build(
        Period()
    )
    aggregated = time.perf_counter() - started
    draw(report)
    page = write(report, PROJECT_ROOT / "reports" / "bench-report")
    total = time.perf_counter() - started
    figures = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}",
        "cases": report.total,
        "closed_and_changed": changes,
        "generate_seconds": round(generated, 2),
        "aggregate_seconds": round(aggregated, 2),
        "report_seconds": round(total, 2),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "html": str(page.relative_to(PROJECT_ROOT)),
    }
    out = PROJECT_ROOT / "reports" / "bench-report.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    frontdoor.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
