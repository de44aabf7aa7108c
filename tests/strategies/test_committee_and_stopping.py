"""The Committee learner and the label-free stopping criteria."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from activelearn.errors import ConfigError, ModelOutputError
from activelearn.learners.committee import Committee
from activelearn.stopping_unlabeled import (
    ClassificationChange,
    OverallUncertainty,
    StabilizingPredictions,
    cohen_kappa,
)
from activelearn.strategies import ModelOutputs, make_strategy


def toy_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-2, 1, size=(30, 2)), rng.normal(2, 1, size=(30, 2))])
    return X, np.array(["a"] * 30 + ["b"] * 30)


def test_bootstrap_committee_gives_member_samples_for_qbc() -> None:
    X, y = toy_data()
    committee = Committee(learner=LogisticRegression(), n_members=4, seed=1).fit(X, y)
    samples = committee.predict_proba_samples(X, 3)
    assert samples.shape == (3, 60, 2)
    np.testing.assert_allclose(
        committee.predict_proba(X), committee.predict_proba_samples(X).mean(0)
    )
    assert not np.allclose(samples[0], samples[1])  # bootstraps differ
    assert committee.predict(X[:1]).tolist() == ["a"]
    query = make_strategy("vote_entropy").query(
        ModelOutputs(samples=samples), 5, np.random.default_rng(0)
    )
    assert len(query.indices) == 5


def test_committee_aligns_columns_of_members_that_missed_a_class() -> None:
    X, y = toy_data()
    y = y.copy()
    y[:3] = "c"  # a rare class some bootstrap members would miss without the guarantee
    committee = Committee(members=[LogisticRegression(), GaussianNB()]).fit(X, y)
    assert committee.predict_proba_samples(X).shape == (2, 60, 3)
    clone(committee).fit(X, y)  # the loop's fresh copies work
    with pytest.raises(ConfigError):
        Committee(members=[LogisticRegression()])
    with pytest.raises(ConfigError):
        committee.predict_proba_samples(X, 5)


def probs(labels: list[int], confidence: float = 0.9) -> np.ndarray:
    p = np.full((len(labels), 2), 1 - confidence)
    p[np.arange(len(labels)), labels] = confidence
    return p


def test_cohen_kappa_by_hand() -> None:
    # Observed agreement 0.75, chance agreement 0.5*0.5 + 0.5*0.5 = 0.5 -> kappa 0.5.
    assert cohen_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])) == pytest.approx(
        (0.75 - 0.5) / 0.5
    )
    assert cohen_kappa(np.array([1, 1]), np.array([1, 1])) == 1.0


def test_stabilizing_predictions_needs_window_stable_rounds() -> None:
    criterion = StabilizingPredictions(threshold=0.99, window=2)
    assert not criterion.update(probs([0, 1, 0, 1]))
    assert not criterion.update(probs([0, 1, 1, 1]))  # kappa 0.5
    assert not criterion.update(probs([0, 1, 1, 1]))  # one stable comparison
    assert criterion.update(probs([0, 1, 1, 1]))  # two
    assert "1.000" in criterion.reason
    with pytest.raises(ModelOutputError, match="same fixed stop set"):
        criterion.update(probs([0, 1]))


def test_overall_uncertainty_stops_below_threshold() -> None:
    criterion = OverallUncertainty(threshold=0.2)
    assert not criterion.update(probs([0, 1], confidence=0.7))  # least confidence 0.3
    assert criterion.update(probs([0, 1], confidence=0.9))  # 0.1


def test_classification_change_stops_when_labels_settle() -> None:
    criterion = ClassificationChange(max_changed=0.25)
    assert not criterion.update(probs([0, 0, 0, 0]))
    assert not criterion.update(probs([1, 1, 0, 0]))  # 50% changed
    assert criterion.update(probs([1, 1, 0, 1]))  # 25% changed
