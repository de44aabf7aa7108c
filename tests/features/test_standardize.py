"""A table's numeric columns are standardised by default (a trial on scikit-learn's wine
table without a header: on raw columns in their own units logistic regression did not
converge and the full-data model lost 3 points on average)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning

from activelearn.catalog import load_task
from activelearn.cli import main
from activelearn.errors import DataError
from activelearn.features.standardize import Standardizer


@pytest.fixture
def wine_csv(tmp_path):
    wine = load_wine(as_frame=True).frame.sample(frac=1, random_state=3)
    path = tmp_path / "wine.csv"
    wine.to_csv(path, header=False, index=False)
    return {"name": "csv", "path": str(path), "header": False, "label_column": "14"}


def _full_data_fits(table, features):
    """Test accuracy of logistic regression on the whole pool over 5 splits, and how many
    of the fits failed to converge."""
    accuracies, unconverged = [], 0
    for split_seed in range(5):
        task = load_task(table, features=features, split_seed=split_seed)
        pool, test = task.splits.pool, task.splits.test
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learner = task.make_learner("logistic_regression").fit(pool.X, pool.labels)
        unconverged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        accuracies.append(learner.score(test.X, test.labels))
    return float(np.mean(accuracies)), unconverged


def test_auto_features_standardise_numeric_columns_on_the_pool_only(wine_csv):
    task = load_task(wine_csv)
    assert task.features == "standardize"
    pool, test = task.splits.pool.X, task.splits.test.X
    np.testing.assert_allclose(pool.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(pool.std(axis=0), 1, atol=1e-4)
    assert np.abs(test.mean(axis=0)).max() > 0.05  # held-out rows use the pool's statistics
    raw = load_task(wine_csv, features=None)
    assert raw.features is None and raw.splits.pool.X[:, 12].mean() > 100  # proline, as read
    (scaled, scaled_failed), (as_read, as_read_failed) = (
        _full_data_fits(wine_csv, "auto"), _full_data_fits(wine_csv, None))  # fmt: skip
    assert scaled_failed == 0 and as_read_failed >= 1
    assert scaled > as_read + 0.01


def test_built_in_numeric_data_is_left_as_it_is():
    assert load_task("digits").features is None


def test_the_run_says_it_standardised_and_none_keeps_the_columns(wine_csv, tmp_path, capsys):
    args = ["run", "--dataset", "csv", "--data", wine_csv["path"], "--no-header",
            "--label-column", "14", "--strategy", "margin", "--initial-size", "10",
            "--batch-size", "10", "--rounds", "1", "--no-full-baseline"]  # fmt: skip
    assert main([*args, "--output", str(tmp_path / "a")]) == 0
    assert "features: standardize" in capsys.readouterr().err
    assert main([*args, "--features", "none", "--output", str(tmp_path / "b")]) == 0
    assert "standardize" not in capsys.readouterr().err


def test_non_numeric_rows_are_refused_in_its_own_words():
    with pytest.raises(DataError, match="standardize needs numeric rows"):
        Standardizer().fit(pd.Series(["a", "b"]).to_numpy()[:, None])
