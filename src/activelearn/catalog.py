"""The one data path: a dataset by name, split by the one protocol and featurized, as a Task.

``activelearn run``, experiment cells, the demo and the Python API all get
their pool and held-out sets from :func:`load_task`, so the same dataset and
seed give the same items everywhere. Featurizers that learn from the data
(TF-IDF, token vocabularies) are fitted on the pool's items only (labeled or
not, never validation or test items); pretrained encoders (``stateless``)
embed every item once, and their embeddings are cached.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset, unlabeled_pool
from activelearn.data.datasets import LoadedData, load_dataset
from activelearn.data.pool import Pool
from activelearn.data.protocol import Splits, split
from activelearn.errors import ConfigError
from activelearn.features.registry import FEATURIZERS
from activelearn.learners.registry import make_learner as _make_learner
from activelearn.loop import LabeledSet
from activelearn.registry import as_spec

TEXT_LEARNERS = ("tfidf_logreg",)  # learners that take raw texts


@dataclass
class Task:
    """What an active-learning run needs from a dataset: pool items and held-out sets."""

    name: str
    splits: Splits  # pool / validation / test items, featurized
    features: str | None  # the featurizer used ("tfidf", ...), None for none

    def pool(self, *, simulated: bool = True) -> Pool:
        """A fresh pool: every run starts from its own.

        Simulated: nothing is labeled and every label is the hidden truth.
        People (``simulated=False``): items with a label in the file start
        labeled, the others wait for people.
        """
        p = self.splits.pool
        if simulated:
            if not p.labeled_mask.all():
                raise ConfigError(
                    f"{int((~p.labeled_mask).sum())} pool items have no label, so a simulated "
                    "oracle cannot answer for them: use --oracle file"
                )
            return Pool(p.X, ids=p.ids, hidden_labels=p.labels, raw=p.raw, classes=self.classes)
        return unlabeled_pool(p)

    @property
    def classes(self) -> np.ndarray:
        return self.splits.classes

    @property
    def embeddings(self) -> np.ndarray | None:
        """Pool embeddings for diversity and cold-start strategies: dense feature vectors
        (pixels, sentence embeddings) serve as they are; sparse TF-IDF rows do not."""
        X = self.splits.pool.X
        return X if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f" else None

    @property
    def X_pool(self) -> Any:
        return self.splits.pool.X

    @property
    def y_pool(self) -> np.ndarray:
        return self.splits.pool.labels

    @property
    def validation(self) -> LabeledSet | None:
        v = self.splits.validation
        return None if v is None else LabeledSet(v.X, v.labels)

    @property
    def test(self) -> LabeledSet | None:
        t = self.splits.test
        return None if t is None else LabeledSet(t.X, t.labels)

    @property
    def info(self) -> dict[str, Any]:
        return self.splits.info

    def input_shape(self) -> tuple[int, ...]:
        X = self.X_pool
        return tuple(X.shape[1:]) if hasattr(X, "shape") else ()

    def make_learner(self, spec: str | dict[str, Any], seed: int = 0) -> Any:
        """A fresh learner from the learner registry, given this task's classes and shape."""
        spec = as_spec(spec)
        assert spec is not None
        if self.features is None and _is_text(self.X_pool) and spec["name"] not in TEXT_LEARNERS:
            raise ConfigError(
                f"the items are texts, which learner {spec['name']!r} cannot read: choose text "
                "features (--features tfidf, minilm or tokens) or --learner tfidf_logreg"
            )
        return _make_learner(
            spec, seed, input_shape=self.input_shape(), classes=self.classes.tolist()
        )


def load_task(
    dataset: str | dict[str, Any],
    *,
    features: str | dict[str, Any] | None = "auto",
    seed: int = 0,
    split_seed: int = 0,
    validation_size: float | int = 0.1,
    test_size: float | int = 0.2,
) -> Task:
    """Dataset ``dataset`` (a name or ``{"name", "params"}``) as a Task, by the one protocol.

    Cached per process: the strategies of one seed share the work.
    """
    key = {
        "dataset": as_spec(dataset), "features": as_spec(features), "seed": seed,
        "split_seed": split_seed, "validation_size": validation_size, "test_size": test_size,
    }  # fmt: skip
    return _load_task(json.dumps(key, sort_keys=True))


@functools.lru_cache(maxsize=2)
def _load_task(key_json: str) -> Task:
    key = json.loads(key_json)
    loaded = load_dataset(key["dataset"], key["split_seed"])
    features = resolve_features(key["features"], loaded)
    featurizer = None if features is None else FEATURIZERS.make(features)
    started = time.perf_counter()
    if featurizer is not None and featurizer.stateless:
        loaded = _embedded(key["dataset"], features, key["split_seed"])
    splits = split(
        loaded, seed=key["seed"], split_seed=key["split_seed"],
        validation_size=key["validation_size"], test_size=key["test_size"],
    )  # fmt: skip
    if featurizer is not None and not featurizer.stateless:
        splits = _fit_on_pool(splits, featurizer)
    if featurizer is not None:
        splits.info["features"] = _describe(features, key["features"], featurizer, started)
    return Task(key["dataset"]["name"], splits, None if features is None else features["name"])


def resolve_features(features: dict[str, Any] | None, loaded: LoadedData) -> dict[str, Any] | None:
    """``auto`` becomes TF-IDF for texts, standardisation for a table's numeric columns (units
    of their own) and nothing for the built-in numeric and image datasets."""
    if features is None or features["name"] != "auto":
        return features
    if loaded.is_text:
        return as_spec("tfidf")
    return as_spec("standardize") if loaded.numeric_columns else None


@functools.lru_cache(maxsize=2)
def _embedded_cached(dataset_json: str, features_json: str, split_seed: int) -> LoadedData:
    loaded = load_dataset(json.loads(dataset_json), split_seed)
    featurizer = FEATURIZERS.make(json.loads(features_json))
    parts = {
        name: None if part is None else part.with_X(featurizer.transform(part.X))
        for name, part in (("data", loaded.data), ("test", loaded.test),
                           ("validation", loaded.validation))
    }  # fmt: skip
    return LoadedData(**parts, description=loaded.description, rows=loaded.rows)


def _embedded(dataset: dict[str, Any], features: dict[str, Any], split_seed: int) -> LoadedData:
    """Every item embedded once by a pretrained encoder (it learns nothing from the data)."""
    return _embedded_cached(
        json.dumps(dataset, sort_keys=True), json.dumps(features, sort_keys=True), split_seed
    )


def _fit_on_pool(splits: Splits, featurizer: Any) -> Splits:
    """Fit on the pool's items only, transform every part with it."""
    pool = splits.pool.with_X(featurizer.fit_transform(splits.pool.X))

    def transform(part: Dataset | None) -> Dataset | None:
        return None if part is None else part.with_X(featurizer.transform(part.X))

    return Splits(
        pool, transform(splits.validation), transform(splits.test), splits.classes, splits.info
    )


def _describe(
    features: dict[str, Any], asked: dict[str, Any] | None, featurizer: Any, started: float
) -> str:
    how = "every item encoded once (pretrained)" if featurizer.stateless else "fitted on the pool"
    text = f"{features['name']}, {how}, {time.perf_counter() - started:.1f} s"
    if asked is not None and asked["name"] == "auto":
        kind = "texts" if features["name"] == "tfidf" else "a table's numeric columns"
        text += f" (chosen automatically for {kind}; --features to choose)"
    return text


def _is_text(X: Any) -> bool:
    return isinstance(X, list) and bool(X) and isinstance(X[0], str)
