"""Background retraining: every ``retrain_every`` new labels or on demand, never in a request.

A thread watches the label count. When a retrain is due it records a model
version as *training* and runs a round of the one engine on the label rows
(:func:`activelearn.server.model.train_and_score`, in a child process by
default, so featurizing and fitting never hold the server's GIL): the loop
fits the project's learner (its recipe: learner, features, strategy, see
:mod:`activelearn.server.recipe`), evaluates it on the held-out labels and
queries the open items with the project's strategy. Only then is the version
marked *ready* and swapped in with one assignment (requests see the old
guesses or the new ones, never half of them), and the queue takes the loop's
order. What serves is the model's guess for every open item, computed by the
job: a request looks it up and never runs a model. A failed training is
recorded with its error and the previous model keeps serving.

On start the newest ready version is rebuilt from the label rows it was
trained on (nothing is unpickled), and versions a dead server left in
*training* are marked failed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from activelearn.errors import ActiveLearnError
from activelearn.server.child import run_in_child
from activelearn.server.model import Rows, TrainJob, TrainResult, train_and_score
from activelearn.server.recipe import IMAGE, Recipe, from_settings
from activelearn.store.models import HELDOUT, POOL, READY
from activelearn.store.records import OpenItem
from activelearn.store.store import Store, TrainingRow

log = logging.getLogger(__name__)
TRAIN_NICENESS = 10


@dataclass(frozen=True)
class LiveModel:
    """The serving version's guess for each open item (external id -> label, confidence),
    computed when it was trained; replaced whole, never mutated."""

    version: int
    guesses: dict[str, tuple[str, float]]


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

    def predict(self, item_id: str) -> dict[str, Any] | None:
        """The serving model's guess for one item: label, confidence and version (None for an
        item added since it trained: the next version guesses for it)."""
        live = self.current
        guess = None if live is None else live.guesses.get(item_id)
        if guess is None:
            return None
        return {"label": guess[0], "confidence": guess[1], "version": live.version}

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
        info = self.store.project_info(self.project_id)
        labeled = self.store.label_count(self.project_id)
        if labeled - used >= info.settings["retrain_every"]:
            return True
        # The last labels of a finished project (budget spent, nothing left open) train a
        # final model even when they are fewer than ``retrain_every``: no answer goes unused.
        if labeled <= used:
            return False
        spent = info.budget is not None and labeled >= info.budget
        return spent or not self.store.has_open_items(self.project_id)

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
            pool, extra = self._open_items()
            result = self._fit(rows, pool, extra, rank=0)
            self.current = self._live(newest["version"], pool + extra, result)
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
        pool, extra = self._open_items()
        try:
            result = self._fit(rows, pool, extra, rank=int(settings["rerank_size"]))
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
        self.current = self._live(version, pool + extra, result)
        self.training_version = None
        self._rerank(version, [item.item_id for item in pool], result, len(rows))
        return version

    def recipe(self) -> Recipe:
        info = self.store.project_info(self.project_id)
        return from_settings(info.strategy, info.settings)

    def _open_items(self) -> tuple[list[OpenItem], list[OpenItem]]:
        """Open items with something to read: the training pool, then the held-out ones."""
        kind = self.recipe().kind
        items = [i for i in self.store.open_items(self.project_id, None) if _input(i, kind)]
        return [i for i in items if i.split == POOL], [i for i in items if i.split != POOL]

    def _fit(
        self, rows: list[TrainingRow], pool: list[OpenItem], extra: list[OpenItem], rank: int
    ) -> TrainResult:
        recipe = self.recipe()
        rows = [r for r in rows if _input(r, recipe.kind) is not None]
        info = self.store.project_info(self.project_id)

        def part(values: list[Any], labeled: bool) -> Rows:
            return Rows(
                [v.item_id for v in values],
                [_input(v, recipe.kind) for v in values],
                [v.label if labeled else None for v in values],
            )

        job = TrainJob(
            recipe=recipe,
            classes=[str(c) for c in info.classes],
            seed=int(info.settings["seed"]),
            folder=str(self.store.folder),
            train=part([r for r in rows if r.split != HELDOUT], True),
            heldout=part([r for r in rows if r.split == HELDOUT], True),
            pool=part(pool, False),
            extra=part(extra, False),
            rank=rank,
        )
        if not self.isolate:
            return train_and_score(job)
        # A lower CPU priority: on a busy machine requests go first, training takes the rest.
        # The child dies with the server, even on kill -9 (see activelearn.server.child).
        return run_in_child(train_and_score, job, niceness=TRAIN_NICENESS)

    def _live(self, version: int, items: list[OpenItem], result: TrainResult) -> LiveModel:
        classes = self._classes()
        guesses = {
            item.external_id: (str(classes[guess]), float(confidence))
            for item, guess, confidence in zip(
                items, result.guesses, result.confidences, strict=True
            )
        }
        return LiveModel(version, guesses)

    def _describe_errors(
        self, metrics: dict[str, Any], heldout: list[TrainingRow]
    ) -> dict[str, Any]:
        """Turn held-out error positions into item ids and short texts the page can show."""
        heldout = [r for r in heldout if _input(r, self.recipe().kind) is not None]
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
            self.store.set_ranks(self.project_id, version, ranked, n_labels, result.scores)

    def _classes(self) -> np.ndarray:
        return np.asarray(self.store.project_info(self.project_id).classes, dtype=object)


def _input(row: TrainingRow | OpenItem, kind: str) -> str | None:
    """What the learner's inputs are made from: the image path of an image project, else the
    text."""
    return row.image if kind == IMAGE else row.text
