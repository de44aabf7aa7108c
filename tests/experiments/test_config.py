from __future__ import annotations

import pytest

from activelearn.errors import ConfigError
from activelearn.experiments.config import load_config, parse_config
from activelearn.spec import labels_for_budget


def base() -> dict:
    return {
        "experiment": {"name": "t"},
        "grid": {
            "datasets": ["digits"],
            "learners": ["logistic_regression"],
            "strategies": ["entropy", "margin"],
            "seeds": [0, 1, 2],
            "batch_sizes": [10, 20],
            "budgets": [100],
        },
        "loop": {"initial_size": 20},
    }


def test_grid_expands_with_random_baseline_and_full_data_models():
    config = parse_config(base())
    assert [s.name for s in config.strategies] == ["entropy", "margin", "random"]
    # 1 dataset x 1 learner x 3 strategies x 2 batch sizes x 1 budget x 3 seeds
    assert len(config.al_cells()) == 18
    assert len(config.full_cells()) == 3
    keys = [c.key for c in config.cells()]
    assert len(set(keys)) == len(keys)


def test_cell_keys_are_stable_and_follow_the_spec():
    first = parse_config(base()).al_cells()
    again = parse_config(base()).al_cells()
    assert [c.key for c in first] == [c.key for c in again]
    changed = base()
    changed["loop"]["initial_size"] = 30
    assert {c.key for c in parse_config(changed).al_cells()}.isdisjoint({c.key for c in first})


def test_a_tab_in_a_parameter_is_shown_escaped_in_labels():
    raw = base()
    raw["grid"]["datasets"] = [{"name": "csv", "path": "d.tsv", "sep": "\t", "label_column": "y"}]
    (dataset,) = parse_config(raw).datasets
    assert dataset.label == "csv(label_column=y,path=d.tsv,sep='\\t')"
    assert "\t" not in dataset.label


def test_loads_toml(tiny):
    config = load_config(tiny)
    assert config.name == "tiny"
    assert config.datasets[0].params["n_samples"] == 400


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["grid"].update(strategies=["entropy", "margin", "foo"]),
         r"grid\.strategies\[2\]: unknown strategy 'foo'; available: .*entropy"),
        (lambda c: c["grid"].update(datasets=["digits", "mnist2"]),
         r"grid\.datasets\[1\]: unknown dataset 'mnist2'"),
        (lambda c: c["grid"].update(datasets=[{"name": "synthetic", "n_sample": 5}]),
         r"grid\.datasets\[0\]: dataset 'synthetic' has no parameter 'n_sample'; accepted: n_"),
        (lambda c: c["grid"].update(datasets=[{"name": "digits", "features": {"name": "bow"}}]),
         r"grid\.datasets\[0\]\.features: unknown featurizer 'bow'; available: .*minilm, .*tfidf"),
        (lambda c: c["grid"].update(learners=[{"name": "logistic_regression", "CC": 1}]),
         r"grid\.learners\[0\]: learner 'logistic_regression' has no parameter 'CC'; accepted: C,"),
        (lambda c: c["grid"].update(seeds=[0, -1]), r"grid\.seeds\[1\]: expected an integer >= 0"),
        (lambda c: c["grid"].update(batch_sizes=[]), r"grid\.batch_sizes: expected a non-empty"),
        (lambda c: c["grid"].update(budgets=[10]), r"grid\.budgets\[0\]: 10 buys 10 labels"),
        (lambda c: c["grid"].update(colour="red"), r"grid\.colour: unknown key"),
        (lambda c: c.update(extra={}), r"^extra: unknown key"),
        (lambda c: c["experiment"].update(metric="auc"), r"experiment\.metric: 'auc'"),
        (lambda c: c["experiment"].update(validation_size=1.5), r"experiment\.validation_size"),
        (lambda c: c["loop"].update(initial_method="margin"), r"loop\.initial_method"),
        (lambda c: c.update(target={"split": "train"}), r"target\.split: 'train'"),
        (lambda c: c["grid"].update(strategies=["entropy", {"name": "entropy"}]),
         r"appear twice; give each variant its own `label`"),
        (lambda c: (c["grid"].pop("budgets"), c["loop"].pop("initial_size")),
         r"would never stop"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(edit, message):
    config = base()
    edit(config)
    with pytest.raises(ConfigError, match=message):
        parse_config(config)


def test_money_budget_buys_labels_at_the_cost_per_label(tmp_path, make_config):
    path = make_config(tmp_path, budget=120, extra="cost_per_label = 2.0\n")
    config = load_config(path)
    assert config.loop["cost_per_label"] == 2.0
    assert labels_for_budget(100, 0.05) == 2000  # 100 // 0.05 == 1999.0 in floating point
    assert labels_for_budget(None, 0.05) is None
    with pytest.raises(ConfigError, match="buys 5 labels"):
        load_config(make_config(tmp_path, budget=10, extra="cost_per_label = 2.0\n"))


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_a_cold_start_strategy_may_draw_the_seed():
    config = base()
    config["loop"]["initial_method"] = "typiclust"
    assert parse_config(config)  # accepted: typiclust needs no trained model
