"""``python -m bot.paths.evaluation``: precision@3 of drafted paths on the judged set (``eval/paths.yml``).

Each judged case goes through what the dialogue does with it: the sector is
found in the customer's words as the bot finds it, the area from the
municipality, and the path is drafted from the network's curated catalogue
(not the synced one, which changes with Opintopolku). The score of a case is
the share of the suggestions shown (at most three) that were judged
relevant; the report is the mean, with every case that missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.paths.drafting import Drafting, PathRequest, load_drafting
from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

JUDGED_SET = PROJECT_ROOT / "eval" / "paths.yml"
SHOWN = 3
GOAL = 0.8


@dataclass(frozen=True)
class CaseResult:
    text: str
    shown: tuple[str, ...]
    relevant: frozenset[str]

    @property
    def precision(self) -> float:
        return sum(1 for o in self.shown if o in self.relevant) / len(self.shown) if self.shown else 0.0


def evaluate(judged: dict[str, Any], setting: Drafting) -> list[CaseResult]:
    taxonomy = setting.taxonomy
    drafter = setting.drafter()
    results = []
    for case in judged["cases"]:
        municipality = case.get("municipality")
        area = setting.network.area_of(municipality) if municipality else None
        request = PathRequest(
            need=case["need"],
            text=case["text"],
            customer_type=case.get("customer_type") or taxonomy.implied_customer_type(case["need"]),
            sector=setting.sectors.match(case["text"]),
            language=case.get("language", "fi"),
            area=frozenset(area.municipalities) if area else frozenset(),
        )
        shown = tuple(s.offering.id for s in drafter.draft(request, size=SHOWN))
        results.append(CaseResult(case["text"], shown, frozenset(case["relevant"])))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judged", type=Path, default=JUDGED_SET)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    judged = yaml.safe_load(args.judged.read_text(encoding="utf-8"))
    network_path = PROJECT_ROOT / judged["network"]
    setting = load_drafting(network_path, Settings(network_path=network_path).curated_catalogue, None)
    results = evaluate(judged, setting)
    score = sum(r.precision for r in results) / len(results)
    if args.json:
        print(json.dumps({"cases": len(results), "precision_at_3": round(score, 3)}))
    else:
        for result in results:
            if result.precision < 1.0:
                missed = [o for o in result.shown if o not in result.relevant]
                print(
                    f"{result.precision:.2f}  {result.text}\n      shown {', '.join(result.shown)}; not judged relevant: {', '.join(missed)}"
                )
        print(f"precision@3 on {len(results)} judged cases: {score:.3f} (goal ≥ {GOAL})")
    return 0 if score >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
