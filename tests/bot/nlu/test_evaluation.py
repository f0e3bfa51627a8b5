from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.nlu.evaluation import (
    PIPELINE_INPUTS,
    PIPELINES,
    SEEDED,
    Figures,
    Plan,
    evaluate,
    fallback_figures,
    fingerprint,
    plans,
    seeded_config,
    write_report,
)


def test_every_trainable_component_gets_the_seed(tmp_path: Path) -> None:
    for source in PIPELINES.values():
        config = yaml.safe_load(seeded_config(source, 7, tmp_path / "c.yml").read_text(encoding="utf-8"))
        seeded = [c for c in config["pipeline"] if c["name"] in SEEDED]
        assert seeded and all(c["random_seed"] == 7 for c in seeded)


def test_the_report_sets_the_pipelines_side_by_side_per_held_out_file(tmp_path: Path) -> None:
    ours, stock = Figures(), Figures()
    for value, errors in ((0.96, 6.0), (0.98, 4.0)):
        ours.add("heldout_fi_macro_f1", value)
        ours.add("heldout_fi_errors", errors)
        ours.add("cv_macro_f1", value - 0.01)
    stock.add("heldout_fi_macro_f1", 0.90)
    stock.add("heldout_fi_errors", 20.0)
    ours.seconds, stock.seconds = [100.0, 110.0], [1200.0]
    plan = {"frontdoor": Plan((1, 2), 5), "stock": Plan((1,), 0)}
    text = write_report({"frontdoor": ours, "stock": stock}, plan, tmp_path, 1800.0).read_text(encoding="utf-8")
    assert "| tests/nlu/heldout_fi.yml |" in text
    assert "| frontdoor | 0.970 | 5.0 |" in text
    assert "| stock | 0.900 | 20.0 |" in text
    assert "| cv_macro_f1 | 0.960 | – |" in text
    assert "front door 5.0, stock 20.0 = 25% of the stock pipeline's errors" in text
    assert "- stock: 1 seed(s) [1], held-out files only" in text
    assert "- the whole run: 30.0 minutes" in text
    assert json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))["minutes"] == 30.0


def test_by_default_the_stock_pipeline_runs_one_seed_on_the_held_out_files_only() -> None:
    default = plans([1, 2, 3], 5, ["frontdoor", "stock"], stock_cv=False)
    assert default == {"frontdoor": Plan((1, 2, 3), 5), "stock": Plan((1,), 0)}
    assert plans([1, 2, 3], 5, ["frontdoor", "stock"], stock_cv=True)["stock"] == Plan((1, 2, 3), 5)


def test_fingerprint_covers_config_and_folds(tmp_path: Path) -> None:
    config = seeded_config(PIPELINES["frontdoor"], 1, tmp_path / "c.yml")
    assert fingerprint(config, 5) == fingerprint(config, 5)
    assert fingerprint(config, 5) != fingerprint(config, 0)
    other = seeded_config(PIPELINES["frontdoor"], 2, tmp_path / "d.yml")
    assert fingerprint(config, 5) != fingerprint(other, 5)


def test_the_stock_pipeline_does_not_depend_on_the_front_door_code(tmp_path: Path) -> None:
    config = seeded_config(PIPELINES["stock"], 1, tmp_path / "c.yml")
    stock = PIPELINE_INPUTS["stock"]
    assert not any(name.startswith("bot/nlu/") and name != "bot/nlu/evaluation.py" for name in stock)
    assert set(stock) - {"bot/nlu/evaluation.py"} <= set(PIPELINE_INPUTS["frontdoor"])
    assert fingerprint(config, 0, stock) != fingerprint(config, 0, PIPELINE_INPUTS["frontdoor"])


def test_resume_reuses_a_run_whose_inputs_are_unchanged(tmp_path: Path) -> None:
    config = seeded_config(PIPELINES["frontdoor"], 1, tmp_path / "c.yml")
    run = tmp_path / "frontdoor" / "seed-1"
    run.mkdir(parents=True)
    values = {"heldout_fi_macro_f1": 0.97, "heldout_en_macro_f1": 0.93}
    saved = {"fingerprint": fingerprint(config, 0), "values": values, "seconds": 123.0}
    (run / "figures.json").write_text(json.dumps(saved), encoding="utf-8")
    # Had it trained, this would take minutes and overwrite figures.json.
    results = evaluate({"frontdoor": Plan((1,), 0)}, tmp_path, resume=True)
    assert results["frontdoor"].mean("heldout_fi_macro_f1") == 0.97
    assert results["frontdoor"].seconds == [123.0]
    assert json.loads((run / "figures.json").read_text(encoding="utf-8")) == saved


def test_the_fallback_figures_are_the_shares_of_wrong_and_right_guesses_below_each_threshold(tmp_path: Path) -> None:
    def rows(*confidences: float) -> str:
        return json.dumps(
            [{"text": "x", "intent": "a", "intent_prediction": {"name": "b", "confidence": c}} for c in confidences]
        )

    (tmp_path / "intent_errors.json").write_text(rows(0.1, 0.25, 0.35, 0.9), encoding="utf-8")
    (tmp_path / "intent_successes.json").write_text(rows(0.28, 0.6, 0.8, 0.95, 0.99), encoding="utf-8")
    figures = fallback_figures(tmp_path)
    assert figures["fallback_0.3_caught"] == 0.5
    assert figures["fallback_0.3_delayed"] == 0.2
    assert figures["fallback_0.6_caught"] == 0.75
    assert figures["fallback_0.2_delayed"] == 0.0
