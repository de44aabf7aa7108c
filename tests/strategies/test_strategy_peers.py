"""Same algorithm, same picks as the peer libraries (skipped when a peer is not installed).

The peers are benchmark-only; install them in a separate environment
(modAL-python, small-text, scikit-activeml) and run this file there.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from strategy_outputs import softmax

from activelearn.strategies import ModelOutputs, make_strategy


class FixedProba(ClassifierMixin, BaseEstimator):
    """Returns precomputed probability rows; X holds the row numbers."""

    def __init__(self, proba: np.ndarray | None = None) -> None:
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.arange(self.proba.shape[1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.proba[np.asarray(X)[:, 0].astype(int)]


@pytest.fixture
def pool() -> tuple[np.ndarray, np.ndarray]:
    p = softmax(np.random.default_rng(0).normal(size=(500, 5)) * 2)
    return p, np.arange(len(p))[:, None]


def ours(name: str, p: np.ndarray, n: int) -> set[int]:
    query = make_strategy(name).query(ModelOutputs(probabilities=p), n, np.random.default_rng(0))
    return set(query.indices.tolist())


def test_uncertainty_picks_match_modal(pool) -> None:
    uncertainty = pytest.importorskip("modAL.uncertainty")
    p, X = pool
    clf = FixedProba(p).fit(X, None)
    assert set(uncertainty.uncertainty_sampling(clf, X, 20)[0]) == ours("least_confidence", p, 20)
    assert set(uncertainty.margin_sampling(clf, X, 20)[0]) == ours("margin", p, 20)
    assert set(uncertainty.entropy_sampling(clf, X, 20)[0]) == ours("entropy", p, 20)


def test_uncertainty_picks_match_small_text(pool) -> None:
    strategies = pytest.importorskip("small_text.query_strategies")
    p, X = pool
    clf = FixedProba(p).fit(X, None)
    unlabeled, labeled = np.arange(len(p)), np.empty(0, dtype=int)
    for theirs, name in [
        (strategies.LeastConfidence(), "least_confidence"),
        (strategies.BreakingTies(), "margin"),
        (strategies.PredictionEntropy(), "entropy"),
    ]:
        picked = theirs.query(clf, X, unlabeled, labeled, None, n=20)
        assert set(picked.tolist()) == ours(name, p, 20)


def test_coreset_matches_scikit_activeml_pick_for_pick() -> None:
    pool_module = pytest.importorskip("skactiveml.pool")
    rng = np.random.default_rng(1)
    candidates, labeled = rng.normal(size=(300, 8)), rng.normal(size=(5, 8))
    y = np.full(305, np.nan)
    y[300:] = 0
    theirs = pool_module.CoreSet().query(np.vstack([candidates, labeled]), y, batch_size=15)
    outputs = ModelOutputs(embeddings=candidates, labeled_embeddings=labeled)
    mine = make_strategy("coreset").query(outputs, 15, np.random.default_rng(0)).indices
    np.testing.assert_array_equal(theirs, mine)
