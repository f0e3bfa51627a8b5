"""``python -m bot.paths.evaluation``: precision@3 of drafted paths on the judged set (``eval/paths.yml``).

Each judged case goes through what the dialogue does with it: the sector is
found in the customer's words as the bot finds it, the area from the
municipality, and the path is drafted from the network's curated catalogue
(not the synced one, which changes with Opintopolku), by words and meaning
(the sentence encoder; ``--words-only`` without it). The score of a case is
the share of the suggestions shown (at most three) that were judged
relevant; the report is the mean over all cases and over each language's,
with every case that missed. It exits 1 when a goal is missed: ≥ 0.90 over
the whole set, ≥ 0.85 in each language.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.encoder import shared_encoder
from bot.paths.drafting import Drafting, PathRequest, load_drafting
from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

JUDGED_SET = PROJECT_ROOT / "eval" / "paths.yml"
SHOWN = 3
GOAL = 0.90  # over the whole judged set
LANGUAGE_GOAL = 0.85  # in each language's cases


@dataclass(frozen=True)
class CaseResult:
    text: str
    shown: tuple[str, ...]
    relevant: frozenset[str]
    language: str = "fi"

    @property
    def precision(self) -> float:
        return sum(1 for o in self.shown if o in self.relevant) / len(self.shown) if self.shown else 0.0


@dataclass(frozen=True)
class Score:
    """precision@3 over some cases."""

    cases: int
    precision: float

    def as_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "precision_at_3": round(self.precision, 3)}


@dataclass(frozen=True)
class Figures:
    """precision@3 over the whole judged set and in each language, against the goals."""

    overall: Score
    languages: Mapping[str, Score]

    @property
    def missed(self) -> list[str]:
        """The goals missed, as words: empty when every goal is met."""
        missed = [f"overall {self.overall.precision:.3f} < {GOAL}"] if self.overall.precision < GOAL else []
        missed += [
            f"{language} {score.precision:.3f} < {LANGUAGE_GOAL}"
            for language, score in self.languages.items()
            if score.precision < LANGUAGE_GOAL
        ]
        return missed

    def as_json(self) -> dict[str, Any]:
        return {
            **self.overall.as_json(),
            "goal": GOAL,
            "languages": {language: score.as_json() for language, score in self.languages.items()},
            "language_goal": LANGUAGE_GOAL,
            "goals_met": not self.missed,
        }


def _score(results: list[CaseResult]) -> Score:
    return Score(len(results), sum(r.precision for r in results) / len(results) if results else 0.0)


def figures(results: Iterable[CaseResult]) -> Figures:
    """The mean precision@3 over ``results`` and over each language's (languages in the order first met)."""
    results = list(results)
    by_language: dict[str, list[CaseResult]] = {}
    for result in results:
        by_language.setdefault(result.language, []).append(result)
    return Figures(_score(results), {language: _score(cases) for language, cases in by_language.items()})


def evaluate(judged: dict[str, Any], setting: Drafting) -> list[CaseResult]:
    taxonomy = setting.taxonomy
    drafter = setting.drafter()
    results = []
    for case in judged["cases"]:
        municipality = case.get("municipality")
        area = setting.network.area_of(municipality) if municipality else None
        language = case.get("language", "fi")
        request = PathRequest(
            need=case["need"],
            text=case["text"],
            customer_type=case.get("customer_type") or taxonomy.implied_customer_type(case["need"]),
            sector=setting.sectors.match(case["text"]),
            language=language,
            area=frozenset(area.municipalities) if area else frozenset(),
        )
        shown = tuple(s.offering.id for s in drafter.draft(request, size=SHOWN))
        results.append(CaseResult(case["text"], shown, frozenset(case["relevant"]), language))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judged", type=Path, default=JUDGED_SET)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--words-only", action="store_true", help="rank by words alone, without the sentence encoder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    judged = yaml.safe_load(args.judged.read_text(encoding="utf-8"))
    network_path = PROJECT_ROOT / judged["network"]
    encoder = None
    if not args.words_only:
        encoder = shared_encoder(Settings.from_env().encoder_threads)
    setting = load_drafting(network_path, Settings(network_path=network_path).curated_catalogue, None, encoder=encoder)
    results = evaluate(judged, setting)
    found = figures(results)
    if args.json:
        print(json.dumps(found.as_json()))
    else:
        for result in results:
            if result.precision < 1.0:
                missed = [o for o in result.shown if o not in result.relevant]
                print(
                    f"{result.precision:.2f}  [{result.language}] {result.text}\n"
                    f"      shown {', '.join(result.shown)}; not judged relevant: {', '.join(missed)}"
                )
        languages = ", ".join(f"{language} {score.precision:.3f} ({score.cases})" for language, score in found.languages.items())
        print(f"precision@3 on {found.overall.cases} judged cases: {found.overall.precision:.3f} (goal ≥ {GOAL})")
        print(f"by language: {languages} (goal ≥ {LANGUAGE_GOAL} each)")
        for miss in found.missed:
            print(f"goal missed: {miss}")
    return 0 if not found.missed else 1


if __name__ == "__main__":
    sys.exit(main())
