"""Background retraining: every ``retrain_every`` new labels or on demand, never in a request.

A thread watches the label count. When a retrain is due it records a model
version as *training* and runs a round of the one engine on the label rows
(:func:`activelearn.server.model.train_and_score`, in a child process by
default, so TF-IDF's pure-Python tokenising does not hold the server's GIL):
the loop fits the project's learner, evaluates it on the held-out labels and
queries the open items with the project's strategy. Only then is the version
marked *ready* and swapped in with one assignment (requests see the old model
or the new one, never half of one), and the queue takes the loop's order. A
failed training is recorded with its error and the previous model keeps
serving.

On start the newest ready version is rebuilt from the label rows it was
trained on (nothing is unpickled), and versions a dead server left in
*training* are marked failed.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from activelearn.errors import ActiveLearnError
from activelearn.server.child import run_in_child
from activelearn.server.model import (
    DEFAULT_LEARNER,
    TrainResult,
    probabilities,
    train_and_score,
)
from activelearn.store.models import HELDOUT, READY
from activelearn.store.store import Store, TrainingRow

log = logging.getLogger(__name__)
TRAIN_NICENESS = 10


@dataclass(frozen=True)
class LiveModel:
    """The model that answers predictions; replaced whole, never mutated."""

    version: int
    model: Any  # a fitted learner from the learner registry
    classes: np.ndarray


class Trainer:
    """Retrains the project's model in the background and keeps the current one.

    ``isolate=True`` fits in a fresh child process per training; ``False``
    fits in the trainer thread (faster to start, but slows requests while it runs).
    """

    def __init__(self, store: Store, project_id: int, *, isolate: bool = True) -> None:
        self.store = store
        self.project_id = project_id
        self.isolate = isolate
        self.current: LiveModel | None = None
        self.training_version: int | None = None
        self.restoring = False
        self.waiting: str | None = None  # why no training can start yet
        self._requested = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="activelearn-trainer", daemon=True)

    # -- control ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def notify(self) -> None:
        """A label came in: check whether a retrain is due."""
        self._wake.set()

    def request(self) -> None:
        """Retrain now, whatever the count since the last version."""
        self._requested = True
        self._wake.set()

    def predict(self, text: str | None) -> dict[str, Any] | None:
        """The current model's guess for one text: label, confidence and version."""
        live = self.current
        if live is None or text is None:
            return None
        proba = probabilities(live.model, [text], live.classes)[0]
        best = int(proba.argmax())
        return {
            "label": str(live.classes[best]),
            "confidence": float(proba[best]),
            "version": live.version,
        }

    def status(self) -> dict[str, Any]:
        """What the page shows: training / ready / failed / none, and the version serving."""
        versions = self.store.versions(self.project_id)
        last = versions[-1] if versions else None
        live = self.current
        serving = next((v for v in versions if live and v["version"] == live.version), None)
        if self.training_version is not None:
            state = "training"
        elif last is not None and last["status"] == "failed":
            state = "failed"
        elif live is not None:
            state = "ready"
        else:
            state = "restoring" if self.restoring else "none"
        return {
            "state": state,
            "version": live.version if live else None,
            "training_version": self.training_version,
            "metrics": serving["metrics"] if serving else None,
            "n_train": serving["n_train"] if serving else None,
            "error": last["error"] if last and last["status"] == "failed" else None,
            "waiting": self.waiting,
        }

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        self._restore()
        while not self._stop.is_set():
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self._due():
                    self._requested = False
                    self.train_once()
            except (ActiveLearnError, SQLAlchemyError):
                # Keep the thread alive: the next label or request tries again.
                log.exception("the trainer hit an error; the current model keeps serving")

    def _due(self) -> bool:
        if self._requested:
            return True
        versions = self.store.versions(self.project_id)
        used = versions[-1]["n_train"] + versions[-1]["n_heldout"] if versions else 0
        every = self.store.project_info(self.project_id).settings["retrain_every"]
        return self.store.label_count(self.project_id) - used >= every

    def _restore(self) -> None:
        self.store.fail_interrupted(self.project_id)
        ready = [v for v in self.store.versions(self.project_id) if v["status"] == READY]
        if not ready:
            return
        newest = ready[-1]
        self.restoring = True
        try:
            label_ids = self.store.version_label_ids(self.project_id, newest["version"])
            rows = self.store.training_rows(self.project_id, label_ids)
            result = self._fit(rows, pool=[])
            self.current = LiveModel(newest["version"], result.model, self._classes())
        except (ActiveLearnError, ValueError) as exc:
            log.error("could not rebuild model version %s: %s", newest["version"], exc)
        finally:
            self.restoring = False

    def train_once(self) -> int | None:
        """Train, evaluate, swap in and re-rank; returns the new version (None if none started)."""
        rows = self.store.training_rows(self.project_id)
        settings = self.store.project_info(self.project_id).settings
        heldout = [r for r in rows if r.split == HELDOUT]
        if len(heldout) < settings["min_heldout"]:
            self.waiting = self.store.readiness(self.project_id).explain()
            return None
        self.waiting = None
        version = self.store.start_version(
            self.project_id, [r.label_id for r in rows], len(rows) - len(heldout), len(heldout)
        )
        self.training_version = version
        pool = self.store.open_pool_items(self.project_id)
        try:
            result = self._fit(rows, pool=[text for _, text in pool])
        except (ActiveLearnError, ValueError, MemoryError) as exc:
            log.warning("training model version %s failed: %s", version, exc)
            self.store.finish_version(
                self.project_id, version, error=f"{type(exc).__name__}: {exc}"
            )
            self.training_version = None
            return version
        self.store.finish_version(
            self.project_id, version, metrics=self._describe_errors(result.metrics, heldout)
        )
        self.current = LiveModel(version, result.model, self._classes())
        self.training_version = None
        self._rerank(version, [item_id for item_id, _ in pool], result, len(rows))
        return version

    def _fit(self, rows: list[TrainingRow], pool: list[str]) -> TrainResult:
        train = [r for r in rows if r.split != HELDOUT]
        heldout = [r for r in rows if r.split == HELDOUT]
        info = self.store.project_info(self.project_id)
        job = functools.partial(
            train_and_score,
            learner=info.settings.get("learner", DEFAULT_LEARNER),
            strategy=info.strategy,
            rank=min(int(info.settings["rerank_size"]), len(pool)),
        )
        args = (
            [r.text for r in train],
            [r.label for r in train],
            [r.text for r in heldout],
            [r.label for r in heldout],
            pool,
            [str(c) for c in self._classes()],
            int(self.store.project_info(self.project_id).settings["seed"]),
        )
        if not self.isolate:
            return job(*args)
        # A lower CPU priority: on a busy machine requests go first, training takes the rest.
        # The child dies with the server, even on kill -9 (see activelearn.server.child).
        return run_in_child(job, *args, niceness=TRAIN_NICENESS)

    def _describe_errors(
        self, metrics: dict[str, Any], heldout: list[TrainingRow]
    ) -> dict[str, Any]:
        """Turn held-out error positions into item ids and short texts the page can show."""
        errors = metrics.get("errors", [])
        texts = self.store.item_texts([heldout[e["index"]].item_id for e in errors])
        positive = str(self._classes()[1]) if len(self._classes()) == 2 else None
        described = []
        for error in errors:
            external, text = texts[heldout[error["index"]].item_id]
            kind = "error"
            if positive is not None:
                kind = "false positive" if error["predicted"] == positive else "false negative"
            described.append(
                {
                    "id": external,
                    "text": (text or "")[:300],
                    "label": error["label"],
                    "predicted": error["predicted"],
                    "kind": kind,
                }
            )
        return {**metrics, "errors": described}

    def _rerank(
        self, version: int, item_ids: list[int], result: TrainResult, n_labels: int
    ) -> None:
        """The queue in the order the loop's query chose (the same model that now serves)."""
        if item_ids and result.ranking:
            ranked = [item_ids[i] for i in result.ranking]
            self.store.set_ranks(self.project_id, version, ranked, n_labels)

    def _classes(self) -> np.ndarray:
        return np.asarray(self.store.project_info(self.project_id).classes, dtype=object)
