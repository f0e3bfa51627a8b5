"""``make eval``: the front door's NLU pipeline against Rasa's stock one, side by side.

For each pipeline and each random seed it trains on ``data/nlu`` and tests on
the held-out files (Finnish, English and Swedish separately), and runs k-fold
cross-validation; every figure is the mean over the seeds. By default the
front door's pipeline runs 3 seeds with 5-fold cross-validation and the stock
pipeline (DIET: 12–40 minutes a training on 2 cores) one seed on the held-out
files only; ``--stock-cv`` gives it the same seeds and folds. The report
(Markdown, with per-intent figures, confusion matrices and the errors) goes
under ``reports/eval/``. Rasa's own ``rasa train nlu`` / ``rasa test nlu``
do the work, so the figures are what Rasa reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

PIPELINES = {"frontdoor": PROJECT_ROOT / "config.yml", "stock": PROJECT_ROOT / "eval" / "stock_config.yml"}
HELDOUT = {language: PROJECT_ROOT / "tests" / "nlu" / f"heldout_{language}.yml" for language in ("fi", "en", "sv")}
ENTITY_REPORTS = ("FrontDoorEntityExtractor_report.json", "DIETClassifier_report.json")
TARGETS = (
    "held-out macro-F1: Finnish ≥ 0.95 with ≤ 50 % of the stock pipeline's errors in the same run, English ≥ 0.95, "
    "Swedish ≥ 0.90; municipality and sector entity F1 ≥ 0.90 in each language"
)


@dataclass
class Figures:
    """Figures of one pipeline, a list per measure (one value per seed)."""

    values: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def mean(self, name: str) -> float | None:
        values = self.values.get(name)
        return statistics.fmean(values) if values else None


def _rasa(*args: str) -> None:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [str(Path(sys.executable).parent / "rasa"), *args]
    logger.info("running %s", " ".join(command))
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# Trainable components that take a random seed (the linear classifier is
# deterministic, but its seed is set too so every pipeline is treated alike).
SEEDED = ("DIETClassifier", "ResponseSelector", "bot.nlu.classifier.LinearIntentClassifier")


def seeded_config(source: Path, seed: int, target: Path) -> Path:
    """A copy of ``source`` with every trainable component's random seed set to ``seed``."""
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    for component in config.get("pipeline") or []:
        if component["name"] in SEEDED:
            component["random_seed"] = seed
    target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _macro_f1(report: Path) -> float:
    return float(json.loads(report.read_text(encoding="utf-8"))["macro avg"]["f1-score"])


def _errors(folder: Path) -> int:
    """How many messages the intent classifier got wrong (Rasa's ``intent_errors.json``)."""
    errors = folder / "intent_errors.json"
    return len(json.loads(errors.read_text(encoding="utf-8"))) if errors.exists() else 0


# Confidence thresholds of the clarifying fallback whose effect the report shows.
FALLBACK_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)


def fallback_figures(folder: Path) -> dict[str, float]:
    """What the clarifying fallback would do at each threshold, from a test's predictions and confidences.

    ``caught``: the share of wrong guesses below the threshold (the bot asks instead of guessing wrong);
    ``delayed``: the share of right guesses below it (the bot asks although it knew).
    """

    def confidences(name: str) -> list[float]:
        path = folder / name
        rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        return [float(row["intent_prediction"]["confidence"] or 0.0) for row in rows]

    wrong, right = confidences("intent_errors.json"), confidences("intent_successes.json")
    figures: dict[str, float] = {}
    for threshold in FALLBACK_THRESHOLDS:
        if wrong:
            figures[f"fallback_{threshold:.1f}_caught"] = sum(c < threshold for c in wrong) / len(wrong)
        if right:
            figures[f"fallback_{threshold:.1f}_delayed"] = sum(c < threshold for c in right) / len(right)
    return figures


def _entity_f1(folder: Path, entity: str) -> float | None:
    for name in ENTITY_REPORTS:
        report = folder / name
        if report.exists():
            data = json.loads(report.read_text(encoding="utf-8"))
            if entity in data:
                return float(data[entity]["f1-score"])
    return None


# What a run's figures depend on besides its config: a run whose inputs are
# unchanged can be reused by ``--resume`` (a full ``make eval`` takes hours).
INPUTS = (
    "data/nlu",
    "tests/nlu",
    "bot/nlu",
    "bot/language.py",
    "bot/nlu/sectors.py",
    "bot/data/municipalities.yml",
    "bot/data/sector_words.yml",
    "requirements.lock",
)
# The stock pipeline reads none of the project's NLU code or data files: its
# figures depend only on the training data, the held-out files, this module
# and the packages, so changing a front-door component does not re-run it.
PIPELINE_INPUTS = {
    "frontdoor": INPUTS,
    "stock": ("data/nlu", "tests/nlu", "bot/nlu/evaluation.py", "requirements.lock"),
}
RESULT = "figures.json"


def fingerprint(config: Path, folds: int, inputs: tuple[str, ...] = INPUTS) -> str:
    """A digest of the seeded config, the fold count and every input file."""
    digest = hashlib.sha256(config.read_bytes())
    digest.update(str(folds).encode())
    for name in inputs:
        path = PROJECT_ROOT / name
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _run_seed(name: str, seed: int, folds: int, run: Path) -> tuple[dict[str, float], float]:
    """Train one pipeline with one seed, test it; the figures and the training seconds."""
    config = run / "config.yml"
    started = time.monotonic()
    _rasa("train", "nlu", "--config", str(config), "--nlu", "data/nlu", "--out", str(run / "model"), "--fixed-model-name", "nlu")
    seconds = time.monotonic() - started
    values: dict[str, float] = {}
    for language, heldout in HELDOUT.items():
        folder = run / f"heldout-{language}"
        _rasa("test", "nlu", "--model", str(run / "model" / "nlu.tar.gz"), "--nlu", str(heldout), "--out", str(folder))
        values[f"heldout_{language}_macro_f1"] = _macro_f1(folder / "intent_report.json")
        values[f"heldout_{language}_errors"] = float(_errors(folder))
        for entity in ("municipality", "sector"):
            value = _entity_f1(folder, entity)
            if value is not None:
                values[f"heldout_{language}_{entity}_f1"] = value
    if folds > 1:
        folder = run / "cross-validation"
        _rasa(
            "test",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            "data/nlu",
            "--cross-validation",
            "--folds",
            str(folds),
            "--successes",
            "--out",
            str(folder),
        )
        values["cv_macro_f1"] = _macro_f1(folder / "intent_report.json")
        values.update(fallback_figures(folder))
    return values, seconds


@dataclass(frozen=True)
class Plan:
    """What one pipeline runs: its seeds and cross-validation folds (below 2: held-out files only)."""

    seeds: tuple[int, ...]
    folds: int

    def describe(self) -> str:
        cv = f"{self.folds}-fold cross-validation + held-out" if self.folds > 1 else "held-out files only"
        return f"{len(self.seeds)} seed(s) {list(self.seeds)}, {cv}"


def plans(seeds: list[int], folds: int, pipelines: list[str], *, stock_cv: bool) -> dict[str, Plan]:
    """The default run: every seed and fold for the front door; the stock pipeline one seed, held-out only."""
    chosen = {}
    for name in pipelines:
        if name == "stock" and not stock_cv:
            chosen[name] = Plan((seeds[0],), 0)
        else:
            chosen[name] = Plan(tuple(seeds), folds)
    return chosen


def evaluate(plan: dict[str, Plan], out: Path, *, resume: bool = False) -> dict[str, Figures]:
    """Train and test every pipeline with each of its seeds; keep Rasa's reports under ``out``.

    With ``resume``, a seed whose inputs have not changed since its last
    complete run (same fingerprint) is read back instead of run again.
    """
    results: dict[str, Figures] = {}
    for name, pipeline in plan.items():
        figures = Figures()
        for seed in pipeline.seeds:
            run = out / name / f"seed-{seed}"
            config = seeded_config(PIPELINES[name], seed, out / f".{name}-{seed}.yml")
            digest = fingerprint(config, pipeline.folds, PIPELINE_INPUTS[name])
            saved = run / RESULT
            if resume and saved.exists() and json.loads(saved.read_text(encoding="utf-8"))["fingerprint"] == digest:
                result = json.loads(saved.read_text(encoding="utf-8"))
                logger.info("%s seed %d: inputs unchanged, reusing %s", name, seed, saved)
            else:
                shutil.rmtree(run, ignore_errors=True)
                run.mkdir(parents=True)
                config.replace(run / "config.yml")
                values, seconds = _run_seed(name, seed, pipeline.folds, run)
                result = {"fingerprint": digest, "values": values, "seconds": seconds}
                saved.write_text(json.dumps(result, indent=2), encoding="utf-8")
            config.unlink(missing_ok=True)
            figures.seconds.append(float(result["seconds"]))
            for measure, value in result["values"].items():
                figures.add(measure, float(value))
        results[name] = figures
    return results


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _heldout_table(results: dict[str, Figures]) -> list[str]:
    """One row per held-out file and pipeline: messages, intent macro-F1, errors, entity F1."""
    lines = [
        "| held-out file | messages | pipeline | intent macro-F1 | wrong intents | municipality F1 | sector F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for language, path in HELDOUT.items():
        if not path.exists():
            continue
        messages = sum(
            1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip().startswith("- ") and "intent:" not in line
        )
        for name, figures in results.items():
            errors = figures.mean(f"heldout_{language}_errors")
            lines.append(
                f"| {path.relative_to(PROJECT_ROOT)} | {messages} | {name} | {_fmt(figures.mean(f'heldout_{language}_macro_f1'))} | "
                f"{'–' if errors is None else f'{errors:.1f}'} | {_fmt(figures.mean(f'heldout_{language}_municipality_f1'))} | "
                f"{_fmt(figures.mean(f'heldout_{language}_sector_f1'))} |"
            )
    return lines


def write_report(results: dict[str, Figures], plan: dict[str, Plan], out: Path, seconds: float) -> Path:
    """The side-by-side report; Rasa's per-intent reports and confusion matrices stay beside it."""
    lines = [
        "# NLU evaluation: front door pipeline vs Rasa's stock one",
        "",
        *(f"- {name}: {p.describe()}" for name, p in plan.items()),
        f"- the whole run: {seconds / 60:.1f} minutes",
        "",
        "Each figure is the mean over the pipeline's seeds.",
        "",
        *_heldout_table(results),
        "",
        "| measure | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    measures = sorted({m for figures in results.values() for m in figures.values if not m.startswith("heldout_")})
    for measure in measures:
        lines.append(f"| {measure} | " + " | ".join(_fmt(f.mean(measure)) for f in results.values()) + " |")
    lines.append(
        "| training seconds (NLU, mean) | " + " | ".join(f"{statistics.fmean(f.seconds):.0f}" for f in results.values()) + " |"
    )
    if "frontdoor" in results and "stock" in results:
        ours, stock = results["frontdoor"].mean("heldout_fi_errors"), results["stock"].mean("heldout_fi_errors")
        if ours is not None and stock:
            lines += [
                "",
                f"Finnish held-out messages classified wrong: front door {ours:.1f}, stock {stock:.1f} "
                f"= {ours / stock:.0%} of the stock pipeline's errors.",
            ]
    lines += [
        "",
        f"Targets: {TARGETS}.",
        "",
        "Per pipeline and seed, `*/seed-*/heldout-*/` holds Rasa's `intent_report.json` (per-intent precision, "
        "recall, F1), `intent_confusion_matrix.png`, `intent_errors.json` (the misclassified messages) and the "
        "entity extractors' reports.",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "figures.json").write_text(
        json.dumps(
            {
                "minutes": round(seconds / 60, 1),
                **{name: {"values": f.values, "training_seconds": f.seconds} for name, f in results.items()},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (below 2: skip)")
    parser.add_argument("--pipelines", nargs="+", choices=sorted(PIPELINES), default=["frontdoor", "stock"])
    parser.add_argument(
        "--stock-cv", action="store_true", help="the stock pipeline too with every seed and cross-validation (hours)"
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "eval")
    parser.add_argument("--resume", action="store_true", help="reuse seeds whose inputs have not changed since their run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    plan = plans(args.seeds, args.folds, args.pipelines, stock_cv=args.stock_cv)
    started = time.monotonic()
    results = evaluate(plan, args.out, resume=args.resume)
    report = write_report(results, plan, args.out, time.monotonic() - started)
    print(report.read_text(encoding="utf-8"))  # noqa: T201 - the command's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
