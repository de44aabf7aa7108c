"""One cell at a time, in this process: splits, the loop's record, failures recorded."""

from __future__ import annotations

import numpy as np

from activelearn.experiments.cell import execute, task_of
from activelearn.experiments.config import load_config


def _cells(path):
    config = load_config(path)
    return config, config.full_cells(), config.al_cells()


def test_strategies_of_a_seed_share_splits_and_seeds_differ(tiny):
    _, _, al = _cells(tiny)
    by = {(c.labels["strategy"], c.spec["seed"]): task_of(c.spec) for c in al}
    same = by[("entropy", 0)], by[("random", 0)]
    assert same[0].info["validation_sha256"] == same[1].info["validation_sha256"]
    np.testing.assert_array_equal(same[0].y_pool, same[1].y_pool)
    other = by[("entropy", 1)]
    assert other.info["validation_sha256"] != same[0].info["validation_sha256"]
    # the test set is fixed across seeds
    np.testing.assert_array_equal(other.test.X, same[0].test.X)
    info = same[0].info
    assert info["n_pool"] + info["n_validation"] + info["n_test"] == 400


def test_al_cell_records_curve_histograms_timings_and_batch_accuracy(tiny):
    _, full, al = _cells(tiny)
    cell = next(c for c in al if c.labels["strategy"] == "entropy")
    result = execute({**cell.to_dict(), "context": {}})
    assert result["status"] == "ok", result.get("traceback")
    history = result["history"]
    assert [r["n_labeled"] for r in history] == [20, 40, 60]
    assert result["stop_reason"] == "label budget of 60 spent"
    for record in history:
        assert sum(record["class_histogram"].values()) == record["n_queried"]
        assert record["round_seconds"] > 0 and 0 <= record["accuracy"] <= 1
    assert {"batch_accuracy_before", "batch_accuracy_after"} <= set(history[1])
    assert result["imbalanced"] and "minority_f1" in history[-1]

    full_result = execute({**full[0].to_dict(), "context": {}})
    assert full_result["status"] == "ok"
    assert full_result["n_labeled"] == result["split"]["n_pool"]
    assert full_result["test"]["accuracy"] > 0.5


def test_a_failing_cell_is_recorded_not_raised(tiny):
    _, _, al = _cells(tiny)
    task = al[0].to_dict()
    task["spec"] = {**task["spec"], "dataset": {"name": "fashion_mnist", "params": {"path": "/no"}}}
    result = execute({**task, "context": {}})
    assert result["status"] == "error"
    assert "/no" in result["error"] and "Traceback" in result["traceback"]


def test_features_are_fitted_on_the_pool_only_and_a_grid_runs_on_them(tmp_path):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    from activelearn.experiments.config import parse_config

    rng = np.random.default_rng(0)
    words = {"pos": ["good", "great", "fun", "superb"], "neg": ["bad", "dull", "awful", "poor"]}
    rows = ["text,label"]
    for i in range(120):
        label = "pos" if i % 2 else "neg"
        rows.append(f"{' '.join(rng.choice(words[label], 3))} film{i} plot,{label}")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    dataset = {"name": "csv", "path": str(path), "label_column": "label", "text_column": "text"}
    grid = {
        "grid": {"datasets": [{**dataset, "features": {"name": "tfidf", "min_df": 1}}],
                 "learners": ["logistic_regression"], "strategies": ["margin"], "seeds": [0],
                 "budgets": [40], "batch_sizes": [10]},
        "loop": {"initial_size": 10},
    }  # fmt: skip
    cell = parse_config(grid).al_cells()[0]
    task = task_of(cell.spec)
    assert sp.issparse(task.X_pool) and sp.issparse(task.test.X)
    raw = task_of({**cell.spec, "features": None})
    pool_vocabulary = TfidfVectorizer(min_df=1, ngram_range=(1, 2)).fit(raw.X_pool).vocabulary_
    assert task.X_pool.shape[1] == len(pool_vocabulary)  # film<i> of test items are unseen
    assert "tfidf, fitted on the pool" in task.info["features"]
    result = execute({**cell.to_dict(), "context": {}})
    assert result["status"] == "ok", result.get("traceback")
    assert result["history"][-1]["n_labeled"] == 40
