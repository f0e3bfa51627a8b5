from __future__ import annotations

from pathlib import Path

import yaml

from bot.nlu.evaluation import PIPELINES, Figures, seeded_config, write_report


def test_every_trainable_component_gets_the_seed(tmp_path: Path) -> None:
    for source in PIPELINES.values():
        config = yaml.safe_load(seeded_config(source, 7, tmp_path / "c.yml").read_text(encoding="utf-8"))
        seeded = [c for c in config["pipeline"] if c["name"] in ("DIETClassifier", "ResponseSelector")]
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
