"""``make eval``: the front door's NLU pipeline against Rasa's stock one, side by side.

For each pipeline and each random seed it trains on ``data/nlu`` and tests on
the held-out files (Finnish and English separately), and runs k-fold
cross-validation; every figure is the mean over the seeds. The report
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
HELDOUT = {"fi": PROJECT_ROOT / "tests" / "nlu" / "heldout_fi.yml", "en": PROJECT_ROOT / "tests" / "nlu" / "heldout_en.yml"}
ENTITY_REPORTS = ("FrontDoorEntityExtractor_report.json", "DIETClassifier_report.json")
TARGETS = (
    "Finnish macro-F1 ≥ 0.95 with ≤ 60 % of the stock pipeline's errors; English ≥ 0.92; municipality and sector entity F1 ≥ 0.90"
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
            "--out",
            str(folder),
        )
        values["cv_macro_f1"] = _macro_f1(folder / "intent_report.json")
    return values, seconds


def evaluate(seeds: list[int], folds: int, out: Path, pipelines: list[str], *, resume: bool = False) -> dict[str, Figures]:
    """Train and test every pipeline with every seed; keep Rasa's reports under ``out``.

    With ``resume``, a seed whose inputs have not changed since its last
    complete run (same fingerprint) is read back instead of run again.
    """
    results: dict[str, Figures] = {}
    for name in pipelines:
        figures = Figures()
        for seed in seeds:
            run = out / name / f"seed-{seed}"
            config = seeded_config(PIPELINES[name], seed, out / f".{name}-{seed}.yml")
            digest = fingerprint(config, folds, PIPELINE_INPUTS[name])
            saved = run / RESULT
            if resume and saved.exists() and json.loads(saved.read_text(encoding="utf-8"))["fingerprint"] == digest:
                result = json.loads(saved.read_text(encoding="utf-8"))
                logger.info("%s seed %d: inputs unchanged, reusing %s", name, seed, saved)
            else:
                shutil.rmtree(run, ignore_errors=True)
                run.mkdir(parents=True)
                config.replace(run / "config.yml")
                values, seconds = _run_seed(name, seed, folds, run)
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


def write_report(results: dict[str, Figures], seeds: list[int], folds: int, out: Path) -> Path:
    """The side-by-side report; Rasa's per-intent reports and confusion matrices stay beside it."""
    measures = sorted({m for figures in results.values() for m in figures.values})
    lines = [
        "# NLU evaluation: front door pipeline vs Rasa's stock pipeline",
        "",
        f"Seeds {seeds}; {folds}-fold cross-validation{' (skipped)' if folds < 2 else ''}; held-out files "
        f"{', '.join(str(p.relative_to(PROJECT_ROOT)) for p in HELDOUT.values())}. Each figure is the mean over the seeds.",
        "",
        "| measure | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for measure in measures:
        lines.append(f"| {measure} | " + " | ".join(_fmt(f.mean(measure)) for f in results.values()) + " |")
    lines.append(
        "| training seconds (NLU, mean) | " + " | ".join(f"{statistics.fmean(f.seconds):.0f}" for f in results.values()) + " |"
    )
    if "frontdoor" in results and "stock" in results:
        ours, stock = results["frontdoor"].mean("heldout_fi_macro_f1"), results["stock"].mean("heldout_fi_macro_f1")
        if ours is not None and stock is not None and stock < 1:
            lines += [
                "",
                f"Finnish held-out errors (1 − macro-F1): front door {1 - ours:.3f}, stock {1 - stock:.3f} "
                f"= {(1 - ours) / (1 - stock):.0%} of the stock pipeline's errors.",
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
        json.dumps({name: {"values": f.values, "training_seconds": f.seconds} for name, f in results.items()}, indent=2),
        encoding="utf-8",
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (below 2: skip)")
    parser.add_argument("--pipelines", nargs="+", choices=sorted(PIPELINES), default=["frontdoor", "stock"])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "eval")
    parser.add_argument("--resume", action="store_true", help="reuse seeds whose inputs have not changed since their run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    results = evaluate(args.seeds, args.folds, args.out, args.pipelines, resume=args.resume)
    report = write_report(results, args.seeds, args.folds, args.out)
    print(report.read_text(encoding="utf-8"))  # noqa: T201 - the command's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
