"""Datasets and learners by name, for the CLI and experiment configs.

A dataset name resolves to a :class:`Task`: the pool (with hidden labels
for simulation), a validation set for decisions, a test set for reports,
and everything the full-data baseline needs. Splits are stratified and
drawn from ``split_seed`` so every strategy and seed sees the same sets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from activelearn.data.pool import Pool
from activelearn.errors import ConfigError


@dataclass
class Task:
    """What one active-learning run needs from a dataset."""

    name: str
    X_pool: Any
    y_pool: np.ndarray
    validation: tuple[Any, np.ndarray]
    test: tuple[Any, np.ndarray]
    raw_pool: Any = None
    ids_pool: Any = None
    embeddings: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def pool(self) -> Pool:
        """A fresh pool (nothing labeled) over the pool items."""
        return Pool(self.X_pool, ids=self.ids_pool, hidden_labels=self.y_pool, raw=self.raw_pool)


def _split(
    X: Any, y: np.ndarray, *, validation: float, test: float, seed: int
) -> tuple[Any, Any, Any, np.ndarray, np.ndarray, np.ndarray]:
    indices = np.arange(len(y))
    rest, test_idx = train_test_split(indices, test_size=test, stratify=y, random_state=seed)
    pool_idx, val_idx = train_test_split(
        rest, test_size=validation / (1 - test), stratify=y[rest], random_state=seed
    )
    return X[pool_idx], X[val_idx], X[test_idx], y[pool_idx], y[val_idx], y[test_idx]


def synthetic(
    *, n: int = 3000, classes: int = 2, features: int = 20, split_seed: int = 0, **_: Any
) -> Task:
    """scikit-learn's ``make_classification``: for tests and quick checks."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n,
        n_features=features,
        n_informative=min(features, 5),
        n_classes=classes,
        random_state=split_seed,
    )
    Xp, Xv, Xt, yp, yv, yt = _split(X, y, validation=0.1, test=0.2, seed=split_seed)
    return Task("synthetic", Xp, yp, (Xv, yv), (Xt, yt))


def digits(*, split_seed: int = 0, **_: Any) -> Task:
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = data.data / 16.0, data.target
    Xp, Xv, Xt, yp, yv, yt = _split(X, y, validation=0.15, test=0.25, seed=split_seed)
    return Task("digits", Xp, yp, (Xv, yv), (Xt, yt))


DATASETS: dict[str, Callable[..., Task]] = {"synthetic": synthetic, "digits": digits}


def load_task(name: str, **params: Any) -> Task:
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](**params)


def logistic_regression(**params: Any) -> Any:
    """Logistic regression with balanced class weights.

    Balanced weights keep the decision threshold from drifting on the small,
    skewed labeled sets that uncertainty sampling produces (DESIGN.md).
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**{"max_iter": 1000, "class_weight": "balanced", **params})


LEARNERS: dict[str, Callable[..., Any]] = {"logistic_regression": logistic_regression}


def make_learner(name: str, **params: Any) -> Any:
    if name not in LEARNERS:
        raise ConfigError(f"unknown learner {name!r}; available: {', '.join(sorted(LEARNERS))}")
    try:
        return LEARNERS[name](**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for learner {name!r}: {exc}") from None
