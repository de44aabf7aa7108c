"""Running one cell: split the data, run the loop (or train the full-data model), measure.

:func:`execute` is what executors call, locally or on a Ray worker. It never
raises for a failing cell: the error and traceback go into the result, so
one broken combination does not kill a grid of hundreds.

Protocol, per seed: the test set is fixed for the whole experiment (the
dataset's own test split, or one drawn with ``split_seed``) and only
reported on; the validation set is drawn once per seed from the rest and is
the only held-out data decisions may use; the pool is what remains. The
random baseline and the full-data model of a seed see exactly these splits.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import socket
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.pool import Pool, take
from activelearn.experiments.config import labels_for_budget
from activelearn.experiments.datasets import LoadedData, load_dataset
from activelearn.experiments.learners import make_learner
from activelearn.learners.base import fit, predict_proba
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.metrics import classification_metrics
from activelearn.stopping import TargetMetric

# A dataset counts as imbalanced (and minority-class F1 is reported) below this ratio
# of the rarest class's share to the most common class's share in the test set.
IMBALANCE_RATIO = 0.5


@dataclass(frozen=True)
class Splits:
    """The pool (with hidden labels), the per-seed validation set and the fixed test set."""

    X_pool: Any
    y_pool: np.ndarray
    X_val: Any
    y_val: np.ndarray
    X_test: Any
    y_test: np.ndarray
    info: dict[str, Any]


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Run the cell described by ``task`` (``key``, ``kind``, ``spec``, ``labels``, ``context``).

    Returns the result record; failures are recorded, not raised.
    """
    started = time.time()
    result: dict[str, Any] = {
        "key": task["key"],
        "kind": task["kind"],
        "spec": task["spec"],
        "labels": task.get("labels", {}),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": started,
    }
    try:
        with (
            _threads(task.get("context", {}).get("threads", 1)),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            if task["kind"] == "full":
                result.update(run_full(task["spec"]))
            else:
                result.update(run_al(task["spec"], task.get("context", {})))
        # Kept with the result rather than printed over the progress bar (e.g. convergence).
        result["warnings"] = _distinct(f"{w.category.__name__}: {w.message}" for w in caught)
        result["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - one failing cell must not kill the grid
        result["status"] = "error"
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    result["seconds"] = time.time() - started
    return result


def _distinct(messages: Iterable[str], limit: int = 10) -> list[dict[str, Any]]:
    """Distinct warning messages with how often each was raised (the first ``limit``)."""
    counts = Counter(messages)
    return [{"message": m, "count": n} for m, n in counts.most_common(limit)]


def make_splits(spec: dict[str, Any]) -> Splits:
    """Fixed test set, per-seed validation set, pool: the same for every strategy of a seed.

    With ``features`` in the dataset's parameters, the featurizer is fitted on
    the pool's inputs only (unsupervised, never on validation or test items)
    and every split is transformed once, instead of in every round.
    """
    return _make_splits(json.dumps({k: spec[k] for k in _SPLIT_KEYS}, sort_keys=True))


_SPLIT_KEYS = ("dataset", "seed", "validation_size", "test_size", "split_seed")


@functools.lru_cache(maxsize=2)
def _make_splits(key: str) -> Splits:
    """Cached per process: the strategies of one seed that land on a worker share the work."""
    spec = json.loads(key)
    data: LoadedData = load_dataset(spec["dataset"], spec["split_seed"])
    y = np.asarray(data.y)
    if data.X_test is None or data.y_test is None:
        rest, test = _stratified(
            y, spec["test_size"], np.random.default_rng([spec["split_seed"], 2])
        )
        X_test, y_test = take(data.X, test), y[test]
        X_rest, y_rest = take(data.X, rest), y[rest]
        test_source = f"drawn with split_seed={spec['split_seed']}"
    else:
        X_test, y_test = data.X_test, np.asarray(data.y_test)
        X_rest, y_rest = data.X, y
        test_source = "the dataset's own test split"
    pool, val = _stratified(
        y_rest, spec["validation_size"], np.random.default_rng([spec["seed"], 3])
    )
    info = {
        "n_pool": len(pool),
        "n_validation": len(val),
        "n_test": len(y_test),
        "test_source": test_source,
        "test_classes": _counts(y_test),
        "pool_classes": _counts(y_rest[pool]),
        "validation_sha256": _digest(val),
        "description": data.description,
    }
    splits = Splits(
        take(X_rest, pool), y_rest[pool], take(X_rest, val), y_rest[val], X_test, y_test, info
    )
    features = spec["dataset"].get("params", {}).get("features")
    return splits if features is None else featurize(splits, features)


def featurize(splits: Splits, features: dict[str, Any]) -> Splits:
    """Fit the featurizer on the pool's inputs, transform every split with it."""
    from activelearn.features.tfidf import TfidfFeaturizer

    params = {k: v for k, v in features.items() if k != "name"}
    if "ngram_max" in params:
        params["ngram_range"] = (1, params.pop("ngram_max"))
    featurizer = TfidfFeaturizer(**params)
    start = time.perf_counter()
    X_pool = featurizer.fit_transform(splits.X_pool)
    info = {
        **splits.info,
        "features": f"tfidf fitted on the {len(splits.y_pool)} pool items, "
        f"{featurizer.vocabulary_size} terms, {time.perf_counter() - start:.1f} s",
    }
    return Splits(
        X_pool, splits.y_pool, featurizer.transform(splits.X_val), splits.y_val,
        featurizer.transform(splits.X_test), splits.y_test, info,
    )  # fmt: skip


def run_full(spec: dict[str, Any]) -> dict[str, Any]:
    """The full-data model: the same learner trained on every pool item, evaluated like a round."""
    splits = make_splits(spec)
    learner = _learner(spec, splits)
    start = time.perf_counter()
    fit(learner, splits.X_pool, splits.y_pool, (splits.X_val, splits.y_val))  # as the loop fits
    fit_seconds = time.perf_counter() - start
    classes = _classes(splits)
    test = _evaluate(learner, splits.X_test, splits.y_test, classes)
    val = _evaluate(learner, splits.X_val, splits.y_val, classes)
    return {
        "split": splits.info,
        "n_labeled": len(splits.y_pool),
        "fit_seconds": fit_seconds,
        "test": test,
        "val": val,
    }


def run_al(spec: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """One active-learning run; ``context["full"]`` holds the full-data result for a target."""
    splits = make_splits(spec)
    pool = Pool(splits.X_pool, hidden_labels=splits.y_pool, classes=_classes(splits))
    learner = _learner(spec, splits)
    stopping = []
    target_value = None
    if spec.get("target"):
        target = spec["target"]
        full = context["full"]["test" if target["split"] == "test" else "val"]
        target_value = full[spec["metric"]] * target["fraction_of_full"]
        stopping.append(TargetMetric(spec["metric"], target_value, split=target["split"]))
    budget = spec["budget"]
    loop = ActiveLearningLoop(
        pool,
        learner,
        spec["strategy"]["name"],
        strategy_params=spec["strategy"]["params"],
        batch_size=spec["batch_size"],
        initial_size=spec["initial_size"],
        initial_method=spec["initial_method"],
        max_rounds=spec["max_rounds"],
        max_labels=labels_for_budget(budget, spec["cost_per_label"]),
        stopping=stopping,
        validation=(splits.X_val, splits.y_val),
        test=(splits.X_test, splits.y_test),
        embeddings=_dense_features(splits.X_pool),
        seed=spec["seed"],
        score_batch_size=spec["score_batch_size"],
    )
    probe = _BatchProbe(loop, splits, imbalanced=_is_imbalanced(splits.y_test))
    loop.subscribe(probe)
    start = time.perf_counter()
    history = loop.run()
    records = []
    for record in history:
        merged = {k: v for k, v in record.items() if k != "epochs"}
        merged.update(probe.extras.get(record["round"], {}))
        merged["round_seconds"] = sum(
            record.get(k) or 0.0
            for k in ("query_seconds", "label_seconds", "fit_seconds", "eval_seconds")
        )
        records.append(merged)
    return {
        "split": splits.info,
        "history": records,
        "stop_reason": loop.stop_reason,
        "target_value": target_value,
        "imbalanced": probe.imbalanced,
        "minority_class": probe.minority,
        "loop_seconds": time.perf_counter() - start,
    }


class _BatchProbe:
    """Listens to the loop: accuracy on each queried batch before and after adding it,
    and minority-class F1 on the test set when the classes are imbalanced.

    The "before" number is how well the previous model knew the items it chose
    (the flowers article's budget view); "after" is the refitted model on them.
    """

    def __init__(self, loop: ActiveLearningLoop, splits: Splits, *, imbalanced: bool) -> None:
        self.loop = loop
        self.splits = splits
        self.imbalanced = imbalanced
        classes, counts = np.unique(splits.y_test, return_counts=True)
        self.minority = classes[np.argmin(counts)].item() if imbalanced else None
        self.extras: dict[int, dict[str, Any]] = {}
        self._batch: np.ndarray | None = None

    def __call__(self, event: Event) -> None:
        if event.kind == "queried" and event.round > 0:
            positions = self.loop.pool.positions(event.data["ids"])
            self._batch = positions
            self.extras.setdefault(event.round, {})["batch_accuracy_before"] = (
                self._batch_accuracy()
            )
        elif event.kind == "trained" and self._batch is not None:
            self.extras.setdefault(event.round, {})["batch_accuracy_after"] = self._batch_accuracy()
            self._batch = None
        elif event.kind == "evaluated" and self.imbalanced:
            f1 = event.data["class_f1"][str(self.minority)]  # the loop's own test evaluation
            self.extras.setdefault(event.round, {})["minority_f1"] = f1

    def _predict(self, X: Any) -> np.ndarray:
        classes = self.loop.pool.classes
        return classes[np.argmax(predict_proba(self.loop.learner, X, classes), axis=1)]

    def _batch_accuracy(self) -> float:
        assert self._batch is not None
        predicted = self._predict(self.loop.pool.subset(self._batch))
        return float(np.mean(predicted == self.loop.pool.hidden_labels[self._batch]))


def _dense_features(X: Any) -> np.ndarray | None:
    """Dense 2-D features (pixels, sentence embeddings) double as embeddings for diversity
    and cold-start strategies; learners with an ``embed`` method are used otherwise."""
    return X if isinstance(X, np.ndarray) and X.ndim == 2 else None


def _classes(splits: Splits) -> np.ndarray:
    return np.unique(np.concatenate([splits.y_pool, splits.y_val, splits.y_test]))


def _learner(spec: dict[str, Any], splits: Splits) -> Any:
    shape = tuple(np.shape(splits.X_pool)[1:]) if hasattr(splits.X_pool, "shape") else ()
    return make_learner(
        spec["learner"], spec["seed"], input_shape=shape, classes=_classes(splits).tolist()
    )


def _evaluate(learner: Any, X: Any, y: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    metrics = classification_metrics(y, predict_proba(learner, X, classes), classes)
    if _is_imbalanced(y):
        values, counts = np.unique(y, return_counts=True)
        metrics["minority_f1"] = metrics["class_f1"][str(values[np.argmin(counts)])]
    return metrics


def _is_imbalanced(y: np.ndarray) -> bool:
    _, counts = np.unique(y, return_counts=True)
    return bool(counts.min() / counts.max() < IMBALANCE_RATIO)


def _stratified(
    y: np.ndarray, size: float | int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (rest, held-out) with the held-out part stratified by class."""
    from sklearn.model_selection import train_test_split

    rest, held = train_test_split(
        np.arange(len(y)), test_size=size, stratify=y, random_state=int(rng.integers(2**31))
    )
    return np.sort(rest), np.sort(held)


def _counts(y: np.ndarray) -> dict[str, int]:
    values, counts = np.unique(y, return_counts=True)
    return {str(v): int(c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}


def _digest(indices: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]


class _threads:
    """Pin BLAS (and torch) to ``n`` threads: parallel cells must not oversubscribe the cores."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._limits: Any = None

    def __enter__(self) -> None:
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=self.n)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        self._limits.restore_original_limits()


def environment() -> dict[str, Any]:
    """Versions and machine, recorded with every experiment."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in ("activelearn", "numpy", "scipy", "scikit-learn", "torch", "ray"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    if "activelearn" not in versions:
        import activelearn

        versions["activelearn"] = activelearn.__version__
    return {
        "versions": versions,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
    }
