"""``make bench-report``: the foresight report over 100 000 synthetic cases on SQLite, timed.

Fills a fresh SQLite database under var/bench/ with ``frontdoor demo-data``'s
generator, then builds the report (SQL aggregation, charts, HTML and CSV) the
way ``frontdoor report`` does, and writes the figures to reports/bench-report.json.
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

from bot.app import create_frontdoor
from bot.insight.demodata import DemoData
from bot.insight.files import draw, write
from bot.insight.report import Period, ReportBuilder
from bot.settings import PROJECT_ROOT, Settings


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
