from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.nlu.evaluation import PIPELINE_INPUTS, PIPELINES, SEEDED, Figures, evaluate, fingerprint, seeded_config, write_report


def test_every_trainable_component_gets_the_seed(tmp_path: Path) -> None:
    for source in PIPELINES.values():
        config = yaml.safe_load(seeded_config(source, 7, tmp_path / "c.yml").read_text(encoding="utf-8"))
        seeded = [c for c in config["pipeline"] if c["name"] in SEEDED]
        assert seeded and all(c["random_seed"] == 7 for c in seeded)


def test_the_report_sets_the_pipelines_side_by_side(tmp_path: Path) -> None:
    ours, stock = Figures(), Figures()
    for value in (0.96, 0.98):
        ours.add("heldout_fi_macro_f1", value)
    for value in (0.90, 0.92):
        stock.add("heldout_fi_macro_f1", value)
    ours.seconds, stock.seconds = [100.0, 110.0], [200.0, 220.0]
    text = write_report({"frontdoor": ours, "stock": stock}, [1, 2], 5, tmp_path).read_text(encoding="utf-8")
    assert "| heldout_fi_macro_f1 | 0.970 | 0.910 |" in text
    assert "front door 0.030, stock 0.090 = 33% of the stock pipeline's errors" in text
    assert (tmp_path / "figures.json").exists()


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
    results = evaluate([1], 0, tmp_path, ["frontdoor"], resume=True)
    assert results["frontdoor"].mean("heldout_fi_macro_f1") == 0.97
    assert results["frontdoor"].seconds == [123.0]
    assert json.loads((run / "figures.json").read_text(encoding="utf-8")) == saved
