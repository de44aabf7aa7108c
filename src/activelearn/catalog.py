"""Datasets and learners by name, for the CLI and experiment configs.

A dataset name resolves to a :class:`Task`: the pool (with hidden labels for
simulation), a validation set for decisions and a test set for reports,
built by :func:`activelearn.data.dataset.make_pool`. Splits are stratified
and drawn from ``split_seed``, so every strategy and seed sees the same sets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset, PoolSplits, make_pool
from activelearn.data.pool import Pool
from activelearn.errors import ConfigError


@dataclass
class Task:
    """What an active-learning run needs from a dataset: pool and held-out sets."""

    name: str
    splits: PoolSplits

    def pool(self) -> Pool:
        """A fresh pool with nothing labeled: every run starts from its own."""
        p = self.splits.pool
        return Pool(p.X, ids=p.ids, hidden_labels=p.hidden_labels, raw=p.raw, classes=p.classes)

    @property
    def embeddings(self) -> np.ndarray | None:
        """Pool embeddings for diversity and cold-start strategies: dense feature vectors
        (pixels, sentence embeddings) serve as they are; sparse TF-IDF rows do not."""
        X = self.splits.pool.X
        return X if isinstance(X, np.ndarray) and X.ndim == 2 else None

    @property
    def X_pool(self) -> Any:
        return self.splits.pool.X

    @property
    def y_pool(self) -> np.ndarray:
        return self.splits.pool.hidden_labels

    @property
    def classes(self) -> np.ndarray:
        return self.splits.pool.classes

    @property
    def validation(self) -> tuple[Any, np.ndarray]:
        return self.splits.validation.X, self.splits.validation.labels

    @property
    def test(self) -> tuple[Any, np.ndarray]:
        return self.splits.test.X, self.splits.test.labels


def _arrays(name: str, X: np.ndarray, y: np.ndarray, split_seed: int, **sizes: float) -> Task:
    data = Dataset(X, y, np.arange(len(y)), np.unique(y))
    return Task(name, make_pool(data, np.random.default_rng(split_seed), **sizes))


def synthetic(*, n: int = 3000, classes: int = 2, features: int = 20, split_seed: int = 0) -> Task:
    """scikit-learn's ``make_classification``: for tests and quick checks."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n,
        n_features=features,
        n_informative=min(features, 5),
        n_classes=classes,
        random_state=split_seed,
    )
    return _arrays("synthetic", X, y, split_seed)


def digits(*, split_seed: int = 0) -> Task:
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return _arrays(
        "digits", data.data / 16.0, data.target, split_seed, val_size=0.15, test_size=0.25
    )


def _text_features(name: str) -> Any:
    """``tfidf`` (the strong default for sentiment) or ``minilm`` sentence embeddings.

    MiniLM embeddings are cached on disk: the first IMDB run embeds for tens
    of minutes on a 2-core CPU, later runs read the cache.
    """
    if name == "tfidf":
        from activelearn.features.tfidf import TfidfFeaturizer

        return TfidfFeaturizer()
    if name == "minilm":
        from activelearn.features.sentence import SentenceEmbedder

        return SentenceEmbedder()
    raise ConfigError(f"unknown features {name!r}; available: tfidf, minilm")


def imdb(
    *,
    path: str | None = None,
    features: str = "tfidf",
    val_size: int = 2500,
    pool_size: int | None = None,
    split_seed: int = 0,
) -> Task:
    """IMDB reviews: pool and validation from the 25k train split, the 25k test split for reports.

    ``pool_size`` subsamples the pool (stratified) for quick runs. Features are
    fitted on pool texts only.
    """
    from activelearn.data.imdb import load_imdb

    rng = np.random.default_rng(split_seed)
    train, test = load_imdb(path)
    if pool_size is not None:
        train = train.split([pool_size + val_size], rng)[0]
    splits = make_pool(
        train, rng, test=test, val_size=val_size, featurizer=_text_features(features)
    )
    return Task("imdb", splits)


def table(
    *,
    path: str,
    text_column: str,
    label_column: str,
    id_column: str | None = None,
    features: str = "tfidf",
    val_size: float = 0.1,
    test_size: float = 0.2,
    split_seed: int = 0,
) -> Task:
    """Your own labeled texts from CSV/TSV/JSONL/Parquet, split into pool, validation and test."""
    from activelearn.data.tabular import load_table

    data = load_table(path, text_column=text_column, label_column=label_column, id_column=id_column)
    splits = make_pool(
        data,
        np.random.default_rng(split_seed),
        val_size=val_size,
        test_size=test_size,
        featurizer=_text_features(features),
    )
    return Task(str(path), splits)


DATASETS: dict[str, Callable[..., Task]] = {
    "synthetic": synthetic,
    "digits": digits,
    "imdb": imdb,
    "table": table,
}


def load_task(name: str, **params: Any) -> Task:
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    try:
        return DATASETS[name](**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for dataset {name!r}: {exc}") from None


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
