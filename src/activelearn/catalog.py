"""A dataset by name, split and featurized once, for ``activelearn run`` and the demo.

Datasets and learners are registered in :mod:`activelearn.experiments.datasets`
and :mod:`activelearn.experiments.learners` (one small function each). This
module turns a dataset into a :class:`Task` through
:func:`activelearn.data.dataset.make_pool`: stratified validation and test
sets drawn once from ``split_seed``, and text features fitted on the pool's
texts only, so every strategy and seed of a run shares the same features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset, PoolSplits, make_pool
from activelearn.data.pool import Pool
from activelearn.errors import ConfigError
from activelearn.experiments.datasets import (
    available_datasets,
    check_dataset_params,
    load_dataset,
)
from activelearn.experiments.learners import (
    available_learners,
    check_learner_params,
)
from activelearn.experiments.learners import make_learner as _make_learner


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
    def validation(self) -> tuple[Any, np.ndarray]:
        return self.splits.validation.X, self.splits.validation.labels

    @property
    def test(self) -> tuple[Any, np.ndarray]:
        return self.splits.test.X, self.splits.test.labels


def text_features(name: str) -> Any:
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


def load_task(
    name: str,
    *,
    features: str | None = None,
    val_size: float = 0.1,
    test_size: float = 0.2,
    split_seed: int = 0,
    **params: Any,
) -> Task:
    """Dataset ``name`` (with its loader's ``params``) as a pool plus held-out sets.

    ``features`` featurizes texts (``tfidf``, ``minilm``); numeric data is used
    as it is. Datasets with their own test split (IMDB, Fashion-MNIST) keep it.
    """
    if name not in available_datasets():
        raise ConfigError(f"unknown dataset {name!r}; available: {', '.join(available_datasets())}")
    check_dataset_params(name, params)
    data = load_dataset({"name": name, "params": params}, split_seed)
    y = np.asarray(data.y)
    classes = np.unique(y if data.y_test is None else np.concatenate([y, data.y_test]))
    train = Dataset(data.X, y, np.arange(len(y)), classes)
    test = None
    if data.X_test is not None:
        test = Dataset(data.X_test, data.y_test, np.arange(len(data.y_test)), classes)
    featurizer = text_features(features) if features else None
    splits = make_pool(
        train,
        np.random.default_rng(split_seed),
        test=test,
        val_size=val_size,
        test_size=test_size,
        featurizer=featurizer,
    )
    return Task(name, splits)


def make_learner(name: str, task: Task, seed: int = 0, **params: Any) -> Any:
    """A fresh learner from the experiments' registry (``logistic_regression``, ``mlp``, ...);
    networks get the task's input shape and classes."""
    if name not in available_learners():
        raise ConfigError(f"unknown learner {name!r}; available: {', '.join(available_learners())}")
    check_learner_params(name, params)
    X = task.X_pool
    return _make_learner(
        {"name": name, "params": params},
        seed,
        input_shape=tuple(X.shape[1:]) if hasattr(X, "shape") else (),
        classes=task.splits.pool.classes.tolist(),
    )
