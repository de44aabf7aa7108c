"""Running one cell: build the task by the one split protocol, run the loop, measure.

:func:`execute` is what executors call, locally or on a Ray worker. It never
raises for a failing cell: the error and traceback go into the result, so
one broken combination does not kill a grid of hundreds. A cell whose
oracle is people (the file oracle) and whose labels are not in yet comes
back ``pending``, with the loop's label log saved in its run directory.

The splits are those of :mod:`activelearn.data.protocol`: a fixed test set
(only reported on), a validation set drawn per seed (the only held-out data
decisions see), the pool. The random baseline and the full-data model of a
seed see exactly these splits.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from activelearn.catalog import Task, load_task
from activelearn.errors import LabelsPending
from activelearn.learners.base import predict_proba
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.spec import LoopSpec, build_loop, full_data_record

# A dataset counts as imbalanced (and minority-class F1 joins every table) when its rarest
# class holds less than 20% of the labeled items, or, with many classes, less than half
# of an even share (a balanced 10-class set has 10% per class and is not imbalanced).
MINORITY_SHARE = 0.2


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Run the cell described by ``task`` (``key``, ``kind``, ``spec``, ``labels``, ``context``).

    Returns the result record; failures are recorded, not raised.
    """
    started = time.time()
    context = task.get("context", {})
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
            _threads(context.get("threads", 1)),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            if task["kind"] == "full":
                result.update(run_full(task["spec"], context))
            else:
                result.update(run_al(task["spec"], context, task["key"]))
        # Kept with the result rather than printed over the progress bar (e.g. convergence).
        result["warnings"] = _distinct(f"{w.category.__name__}: {w.message}" for w in caught)
        result["status"] = "ok"
    except LabelsPending as exc:
        result["status"] = "pending"
        result["error"] = str(exc)
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


def task_of(spec: dict[str, Any]) -> Task:
    """The task a cell spec names (cached per process: a seed's strategies share it)."""
    return load_task(
        spec["dataset"], features=spec["features"], seed=spec["seed"],
        split_seed=spec["split_seed"], validation_size=spec["validation_size"],
        test_size=spec["test_size"],
    )  # fmt: skip


def run_full(spec: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full-data model: the same learner fitted on every pool item, evaluated like a round."""
    task = task_of(spec)
    threads = (context or {}).get("threads", "auto")
    record = full_data_record(task, spec["learner"], spec["seed"], threads=threads)
    test = {k: record[k] for k in _METRIC_KEYS if k in record}
    val = {k[4:]: record[k] for k in record if k.startswith("val_")}
    minority = minority_class(task)
    for metrics in (test, val):  # either may be missing: a run without a test set
        if minority is not None and "class_f1" in metrics:
            metrics["minority_f1"] = metrics["class_f1"][minority]
    return {
        "split": task.info,
        "n_labeled": record["n_labeled"],
        "fit_seconds": record["fit_seconds"],
        "test": test,
        "val": val,
        "constant": constant_metrics(task),
    }


_METRIC_KEYS = ("accuracy", "precision", "recall", "f1", "macro_f1", "class_f1", "fp", "fn", "loss")


def run_al(spec_dict: dict[str, Any], context: dict[str, Any], key: str = "") -> dict[str, Any]:
    """One active-learning run; ``context["full"]`` holds the full-data result for a target,
    ``context["run_dir"]`` where its label log lives (so an interrupted cell resumes)."""
    spec = LoopSpec.from_dict(spec_dict)
    task = task_of(spec_dict)
    loop = build_loop(
        spec, task, run_dir=context.get("run_dir"), resume=True, full=context.get("full"),
        threads=context.get("threads", "auto"),
    )  # fmt: skip
    minority = minority_class(task)
    probe = _BatchProbe(loop)
    loop.subscribe(probe)
    if context.get("progress") is not None:
        loop.subscribe(_Reporter(context["progress"], key))
    start = time.perf_counter()
    history = loop.run()
    records = []
    for record in history:
        merged = {k: v for k, v in record.items() if k != "epochs"}
        merged.update(probe.extras.get(record["round"], {}))
        if minority is not None and "class_f1" in record:  # from the history: survives a resume
            merged["minority_f1"] = record["class_f1"][minority]
        merged["round_seconds"] = sum(
            record.get(k) or 0.0
            for k in ("query_seconds", "label_seconds", "fit_seconds", "eval_seconds")
        )
        records.append(merged)
    target = next((getattr(c, "value", None) for c in loop.stopping if hasattr(c, "key")), None)
    return {
        "split": task.info,
        "history": records,
        "stop_reason": loop.stop_reason,
        "target_value": target,
        "imbalanced": minority is not None,
        "minority_class": minority,
        "loop_seconds": time.perf_counter() - start,
    }


def minority_class(task: Task) -> str | None:
    """The rarest class (as text) when the data is imbalanced (see ``MINORITY_SHARE``);
    ``None`` for balanced data."""
    labels = task.y_pool if task.splits.test is None else task.splits.test.labels
    present = [str(v) for v in labels.tolist() if v is not None]
    values, counts = np.unique(present, return_counts=True)
    limit = min(MINORITY_SHARE, 0.5 / max(len(values), 1))
    if len(values) < 2 or counts.min() / counts.sum() >= limit:
        return None
    return str(values[np.argmin(counts)])


def constant_metrics(task: Task) -> dict[str, float] | None:
    """What always predicting the pool's most common class scores on the test set: a
    "95% of the full-data model" this already reaches says nothing."""
    if task.splits.test is None:
        return None
    from activelearn.metrics import classification_metrics

    pool_labels = [str(v) for v in task.y_pool.tolist() if v is not None]
    values, counts = np.unique(pool_labels, return_counts=True)
    majority = values[np.argmax(counts)]
    classes = task.classes
    column = [str(c) for c in classes.tolist()].index(str(majority))
    probabilities = np.zeros((len(task.splits.test), len(classes)))
    probabilities[:, column] = 1.0
    metrics = classification_metrics(task.splits.test.labels, probabilities, classes)
    return {k: metrics[k] for k in ("accuracy", "macro_f1", "f1")}


class _Reporter:
    """Sends each evaluated round to the driver's progress display (through a queue)."""

    def __init__(self, queue: Any, key: str) -> None:
        self.queue = queue
        self.key = key

    def __call__(self, event: Event) -> None:
        if event.kind == "evaluated":
            metric = event.data.get("accuracy", event.data.get("val_accuracy"))
            self.queue.put({"key": self.key, "round": event.round, "accuracy": metric})


class _BatchProbe:
    """Listens to the loop: accuracy on each queried batch before and after adding it.

    The "before" number is how well the previous model knew the items it chose
    (the flowers article's budget view); "after" is the refitted model on them.
    Rounds replayed from a run directory on resume have neither (no model saw
    them live).
    """

    def __init__(self, loop: ActiveLearningLoop) -> None:
        self.loop = loop
        self.extras: dict[int, dict[str, Any]] = {}
        self._batch: np.ndarray | None = None

    def __call__(self, event: Event) -> None:
        if self.loop.pool.hidden_labels is None:
            return  # people answer: there is no truth to compare with
        if event.kind == "queried" and event.round > 0 and self.loop.fitted:
            positions = self.loop.pool.positions(event.data["ids"])
            self._batch = positions
            self.extras.setdefault(event.round, {})["batch_accuracy_before"] = (
                self._batch_accuracy()
            )
        elif event.kind == "trained" and self._batch is not None:
            self.extras.setdefault(event.round, {})["batch_accuracy_after"] = self._batch_accuracy()
            self._batch = None

    def _predict(self, X: Any) -> np.ndarray:
        classes = self.loop.pool.classes
        return classes[np.argmax(predict_proba(self.loop.learner, X, classes), axis=1)]

    def _batch_accuracy(self) -> float:
        assert self._batch is not None
        predicted = self._predict(self.loop.pool.subset(self._batch))
        return float(np.mean(predicted == self.loop.pool.hidden_labels[self._batch]))


@contextlib.contextmanager
def _threads(n: int | str | None) -> Iterator[None]:
    """Pin BLAS (and torch) to ``n`` threads for the whole cell: cells running side by side
    must not oversubscribe the cores. ``"auto"``/``None`` leaves it to the loop."""
    if not isinstance(n, int):
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    with threadpool_limits(limits=n):
        if torch is not None:
            torch.set_num_threads(n)
        yield


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
