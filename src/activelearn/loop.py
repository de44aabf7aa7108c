"""The active-learning loop: query the pool, get labels, fit, evaluate, until told to stop.

Round 0 labels the initial seed and fits on it; every later round queries a
batch, labels it, refits and evaluates. With a ``run_dir`` every query and
every answer is appended to ``labels.jsonl`` (flushed to disk) before the
loop acts on it, and the history is rewritten after each round, so a run
stopped at any point (a crash, Ctrl-C, labels still with people) resumes
where it stopped without losing or repeating a label.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.pool import Pool, n_rows
from activelearn.data.splits import select_seed
from activelearn.errors import ConfigError, DataError, LabelsPending
from activelearn.heldout import LabeledSet, as_labeled_set
from activelearn.history import History
from activelearn.learners.base import fit, predict_proba
from activelearn.metrics import classification_metrics
from activelearn.oracles import Oracle, SimulatedOracle
from activelearn.outputs import pool_outputs
from activelearn.run_log import RunLog
from activelearn.semi import SEMI_SUPERVISION, refit_with_pseudo_labels
from activelearn.stopping import LoopState, StoppingCriterion
from activelearn.strategies import QueryStrategy, make_strategy
from activelearn.strategies.base import PROBABILITIES, SAMPLES, VALIDATION
from activelearn.threads import ThreadLimits


@dataclass(frozen=True)
class Event:
    """Something the loop did; progress bars, reports and the web app subscribe to these.

    Kinds: ``round_started``, ``scoring`` (``done``/``total`` items scored),
    ``queried``, ``labeled``, ``trained``, ``evaluated``, ``stopped`` (``reason``).
    """

    kind: str
    round: int
    data: dict[str, Any] = field(default_factory=dict)


class ActiveLearningLoop:
    """Pool-based active learning with any learner, strategy and oracle.

    Parameters
    ----------
    pool, learner, strategy:
        The items, anything with ``fit``/``predict_proba``, and a strategy
        instance or registered name (``strategy_params`` go to its constructor).
    oracle:
        Defaults to a :class:`SimulatedOracle` reading the pool's hidden labels.
    batch_size, initial_size, initial_method:
        Labels per round; the seed size and how it is drawn: ``"random"``,
        ``"balanced"`` (per class; simulation only, it reads hidden labels) or
        the name of a strategy that needs only embeddings (cold start).
    max_rounds, max_labels, stopping:
        Rounds after the seed, total labels including the seed (the last
        batch is clipped to it), and result-based criteria. The loop also
        stops when the pool is empty.
    validation, test:
        ``(X, y)`` held-out sets. Validation results may drive decisions
        (stopping, ratio strategies); test results are only reported.
    embeddings:
        Precomputed pool embeddings (N x D, aligned with the pool) for
        strategies that need them when the learner has no ``embed``.
    score_batch_size:
        Pool items scored per forward pass (and per part of row-wise scores).
    semi_supervised:
        ``"self_training"``, ``"label_spreading"`` (a name or ``{"name", "params"}``
        from :mod:`activelearn.semi`) or such an object: each round's model is refitted
        on the labels plus confident pseudo-labels (a validation set is required), and
        the refit is kept only if it beats the plain fit on validation.
    threads:
        BLAS/OpenMP (and torch) threads while fitting and scoring: an integer,
        ``None`` for the libraries' defaults, or ``"auto"``: one thread for
        fits and predictions on fewer than ``SMALL_FIT_ROWS`` rows.
    run_dir, resume:
        Where the label log and history live; ``resume=True`` continues a run there.
    fingerprint:
        Extra entries for the run directory's fingerprint (a spec's hash):
        resuming with anything else is refused.
    """

    def __init__(
        self,
        pool: Pool,
        learner: Any,
        strategy: str | QueryStrategy = "least_confidence",
        oracle: Oracle | None = None,
        *,
        strategy_params: dict[str, Any] | None = None,
        batch_size: int = 100,
        initial_size: int = 0,
        initial_method: str = "random",
        max_rounds: int | None = None,
        max_labels: int | None = None,
        stopping: Iterable[StoppingCriterion] = (),
        validation: tuple[Any, Any] | LabeledSet | None = None,
        test: tuple[Any, Any] | LabeledSet | None = None,
        embeddings: np.ndarray | None = None,
        seed: int = 0,
        score_batch_size: int = 50_000,
        threads: int | str | None = "auto",
        semi_supervised: Any = None,
        run_dir: str | Path | None = None,
        resume: bool = False,
        fingerprint: dict[str, Any] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        if max_labels is not None and max_labels < max(initial_size, 1):
            raise ConfigError(
                f"max_labels ({max_labels}) must cover the initial seed ({initial_size})"
            )
        if not (threads in (None, "auto") or (isinstance(threads, int) and threads >= 1)):
            raise ConfigError(
                f"threads must be 'auto', None or a positive integer, not {threads!r}"
            )
        self.pool = pool
        self.learner = learner
        self.strategy = make_strategy(strategy, **(strategy_params or {}))
        self.oracle = oracle if oracle is not None else SimulatedOracle(pool)
        self.batch_size = batch_size
        self.initial_size = initial_size
        self.initial_method = initial_method
        self.max_rounds = max_rounds
        self.max_labels = max_labels
        self.stopping = list(stopping)
        self.validation = as_labeled_set(validation)
        self.test = as_labeled_set(test)
        if embeddings is not None and len(embeddings) != len(pool):
            raise DataError(f"got {len(embeddings)} embeddings for a pool of {len(pool)} items")
        self.embeddings = embeddings
        self.seed = seed
        self.score_batch_size = score_batch_size
        self.threads = threads
        self.semi_supervised = _semi_supervision(semi_supervised, seed)
        if self.semi_supervised is not None and self.validation is None:
            raise ConfigError(
                "semi-supervision sets its confidence threshold on the validation set: "
                "give the loop one (--validation-size above 0 or --validation-data)"
            )
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.extra_fingerprint = dict(fingerprint or {})
        self.history = History()
        self.stop_reason: str | None = None
        self.fitted = False  # False until the labeled set holds two classes
        self.validation_probabilities: np.ndarray | None = None
        self._validation_current = False  # the probabilities are the current model's
        self._subscribers: list[Callable[[Event], None]] = []
        self._pending: tuple[int, np.ndarray, dict[str, Any]] | None = None
        self._threads = ThreadLimits(threads)
        self._run_log = None if self.run_dir is None else RunLog(self.run_dir)
        if self._run_log is not None and self._run_log.open(self._fingerprint(), resume):
            self._replay()

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, kind: str, round_: int, **data: Any) -> None:
        event = Event(kind, round_, data)
        for callback in self._subscribers:
            callback(event)

    # -- driving --------------------------------------------------------------------------

    def run(self) -> History:
        """Run rounds until a stopping rule fires; returns the history.

        Raises :class:`LabelsPending` when the oracle has not answered yet;
        answers already given are saved, and a resumed run continues there.
        """
        while self.stop_reason is None:
            self.step()
        return self.history

    def step(self) -> dict[str, Any]:
        """One round: the seed round first, then query, label, fit, evaluate."""
        round_ = len(self.history)
        if self._pending is not None:
            pending_round, ids, info = self._pending
            return self._finish_round(pending_round, ids, info)
        self._emit("round_started", round_)
        start = time.perf_counter()
        if round_ == 0:
            ids, info = self._draw_seed()
        else:
            ids, info = self._query(round_)
        info["query_seconds"] = time.perf_counter() - start
        self._log({"round": round_, "query": ids.tolist(), "info": info})
        self._emit("queried", round_, ids=ids, **info)
        return self._finish_round(round_, ids, info)

    def _finish_round(self, round_: int, ids: np.ndarray, info: dict[str, Any]) -> dict[str, Any]:
        self._pending = (round_, ids, info)
        start = time.perf_counter()
        self._ask_oracle(round_, ids)
        label_seconds = time.perf_counter() - start
        self._pending = None
        labels = self.pool.labels_of(self.pool.positions(ids))
        record: dict[str, Any] = {
            "round": round_,
            "n_labeled": len(self.pool.labeled_indices),
            "n_queried": len(ids),
            "class_histogram": {str(k): v for k, v in sorted(Counter(labels.tolist()).items())},
            "notes": list(info.get("notes", [])),
            "query_seconds": info.get("query_seconds"),
            "label_seconds": label_seconds,
        }
        fitted = self._fit()
        if fitted.get("note"):
            record["notes"].append(fitted["note"])
        fitted.pop("note", None)
        record.update(fitted)
        record.update(self._evaluate(round_))
        self.history.append(record)
        if self.run_dir is not None:
            self.history.save(self.run_dir)
            self._save_learner(round_)  # only once the round is on disk
        self.stop_reason = self._stop_reason(record)
        if self.stop_reason is not None:
            self._emit("stopped", round_, reason=self.stop_reason)
        return record

    # -- the seed and the queries -----------------------------------------------------------

    def _draw_seed(self) -> tuple[np.ndarray, dict[str, Any]]:
        labeled = self.pool.labeled_indices
        if self.initial_size == 0:
            if len(labeled) == 0:
                raise ConfigError(
                    "the pool has no labels: set initial_size to draw a seed, "
                    "or label some items first"
                )
            return self.pool.ids[labeled], {"notes": ["seed: labels given with the pool"]}
        rng = np.random.default_rng([self.seed, 0])
        candidates = self.pool.unlabeled_indices
        size = min(self.initial_size, len(candidates))
        if self.initial_method == "random":
            chosen = candidates[rng.choice(len(candidates), size=size, replace=False)]
        elif self.initial_method == "balanced":
            if not isinstance(self.oracle, SimulatedOracle):
                raise ConfigError(
                    "initial_method 'balanced' picks the seed from the hidden labels, so it is "
                    "for simulations only: with people as the oracle use 'random' or a "
                    "cold-start strategy (typiclust, probcover, coreset, kmeans)"
                )
            chosen = select_seed(self.pool, size, rng, balanced=True)
        else:
            strategy = make_strategy(self.initial_method)
            if strategy.requires & {PROBABILITIES, SAMPLES, VALIDATION}:
                raise ConfigError(
                    f"initial_method {self.initial_method!r} needs a trained model; use 'random', "
                    "'balanced' (simulation only) or a cold-start strategy that needs only "
                    "embeddings (typiclust, probcover, coreset, kmeans)"
                )
            chosen = candidates[
                strategy.query(pool_outputs(self, strategy, candidates), size, rng).indices
            ]
        ids = np.concatenate([self.pool.ids[labeled], self.pool.ids[chosen]])
        how = self.initial_method + (
            " (reads the hidden labels)" if self.initial_method == "balanced" else ""
        )
        return ids, {"notes": [f"seed: {size} drawn by {how}"]}

    def _query(self, round_: int) -> tuple[np.ndarray, dict[str, Any]]:
        candidates = self.pool.unlabeled_indices
        n = self.batch_size
        if self.max_labels is not None:
            n = min(n, self.max_labels - len(self.pool.labeled_indices))
        strategy, notes = self.strategy, []
        if not self.fitted and strategy.requires & {PROBABILITIES, SAMPLES, VALIDATION}:
            # No model yet (the labeled set holds one class): look for the others at random.
            strategy = make_strategy("random")
            notes.append(f"no model yet: drawn at random instead of by {self.strategy.name}")
        outputs = pool_outputs(self, strategy, candidates)
        query = strategy.query(outputs, n, np.random.default_rng([self.seed, round_]))
        chosen = candidates[query.indices]
        notes.extend(query.notes)
        return self.pool.ids[chosen], {"notes": notes, "scores": query.scores.tolist()}

    # -- what the outputs provider calls --------------------------------------------------

    def threads_for(self, n_rows_: int) -> contextlib.AbstractContextManager[None]:
        """BLAS/OpenMP and torch threads for work on ``n_rows_`` rows (see ``threads``)."""
        return self._threads.limit(n_rows_)

    def predict_positions(self, positions: np.ndarray) -> np.ndarray:
        """The current model's probabilities for pool positions (columns in class order)."""
        with self.threads_for(len(positions)):
            return self.predict_X(self.pool.subset(positions))

    def emit_scoring(self, done: int, total: int) -> None:
        self._emit("scoring", len(self.history), done=done, total=total)

    def _predict(self, positions: np.ndarray) -> np.ndarray:
        """Probabilities for pool positions in batches (label-free stopping criteria)."""
        parts = [
            self.predict_positions(positions[i : i + self.score_batch_size])
            for i in range(0, len(positions), self.score_batch_size)
        ]
        return np.concatenate(parts) if parts else np.empty((0, len(self.pool.classes)))

    def predict_X(self, X: Any) -> np.ndarray:
        """The current model's probabilities for any inputs (columns in class order)."""
        return predict_proba(self.learner, X, self.pool.classes)

    # -- labels -----------------------------------------------------------------------------

    def _ask_oracle(self, round_: int, ids: np.ndarray) -> None:
        positions = self.pool.positions(ids)
        missing = positions[~self.pool.is_labeled(positions)]
        if len(missing) == 0:
            return
        answers = self.oracle.label(self.pool.ids[missing], [self.pool.raw[i] for i in missing])
        if len(answers) != len(missing):
            raise DataError(f"the oracle returned {len(answers)} labels for {len(missing)} items")
        answered = np.array([a is not None for a in answers], dtype=bool)
        if answered.any():
            given = [a for a in answers if a is not None]
            try:
                labels = self.pool.coerce_labels(given)
            except DataError as exc:  # a typo in a batch file: say which file to fix
                where = getattr(self.oracle, "last_path", None)
                raise DataError(
                    f"{exc}{f' (in {where}; fix it and --resume)' if where else ''}"
                ) from None
            keys = [str(key) for key in self.pool.ids[missing[answered]].tolist()]
            self._log({"round": round_, "labels": dict(zip(keys, labels.tolist(), strict=True))})
            self.pool.add_labels(missing[answered], labels)
            self._emit("labeled", round_, n=int(answered.sum()))
        if not answered.all():
            hint = getattr(self.oracle, "pending_hint", lambda: "")()
            raise LabelsPending(
                f"{int((~answered).sum())} of {len(ids)} items of round {round_} await labels"
                + (f": {hint}" if hint else "")
            )

    # -- fitting and evaluation ---------------------------------------------------------------

    def _fit(self) -> dict[str, Any]:
        labeled = self.pool.labeled_indices
        y = self.pool.labels
        present = np.unique(y)
        self._validation_current = False
        if len(present) < 2:
            # A random seed on skewed data may hold one class: keep labeling (at random)
            # until a second class appears, rather than fail or peek at hidden labels.
            self.fitted = False
            return {"note": f"no model yet: the {len(y)} labels hold only {present.tolist()}"}
        start = time.perf_counter()
        validation = None if self.validation is None else (self.validation.X, self.validation.y)
        with self.threads_for(len(labeled)):
            fit(self.learner, self.pool.subset(labeled), y, validation)
        self.fitted = True
        record: dict[str, Any] = {}
        if self.semi_supervised is not None:
            record.update(refit_with_pseudo_labels(self, self.semi_supervised, validation))
            self._validation_current = True  # the kept model's: _evaluate reuses them
        record["fit_seconds"] = time.perf_counter() - start
        epochs = getattr(self.learner, "history_", None)
        if epochs:
            record["epochs"] = list(epochs)
        self._emit("trained", len(self.history), n_labeled=len(labeled))
        return record

    def _evaluate(self, round_: int) -> dict[str, Any]:
        start = time.perf_counter()
        record: dict[str, Any] = {}
        if not self.fitted:
            return record
        held_out = [s for s in (self.validation, self.test) if s is not None]
        with self.threads_for(sum(n_rows(s.X) for s in held_out)):
            if self.validation is not None:
                if not self._validation_current:
                    self.validation_probabilities = self.predict_X(self.validation.X)
                self._validation_current = False
                metrics = classification_metrics(
                    self.validation.y, self.validation_probabilities, self.pool.classes
                )
                record.update({f"val_{k}": v for k, v in metrics.items()})
            if self.test is not None:
                probabilities = self.predict_X(self.test.X)
                record.update(classification_metrics(self.test.y, probabilities, self.pool.classes))
        record["eval_seconds"] = time.perf_counter() - start
        self._emit("evaluated", round_, **record)
        return record

    def _stop_reason(self, record: dict[str, Any]) -> str | None:
        rounds_done = len(self.history) - 1
        n_labeled = len(self.pool.labeled_indices)
        if len(self.pool.unlabeled_indices) == 0:
            return "the pool is exhausted"
        if self.max_labels is not None and n_labeled >= self.max_labels:
            return f"label budget of {self.max_labels} spent"
        if self.max_rounds is not None and rounds_done >= self.max_rounds:
            return f"{self.max_rounds} rounds done"
        if not self.fitted:
            return None  # result-based criteria need a model
        state = LoopState(
            round=record["round"],
            n_labeled=n_labeled,
            n_unlabeled=len(self.pool.unlabeled_indices),
            record=record,
            predict_pool=self._predict,
        )
        for criterion in self.stopping:
            reason = criterion.should_stop(state)
            if reason:
                return reason
        return None

    # -- persistence ------------------------------------------------------------------------

    def _fingerprint(self) -> dict[str, Any]:
        """What must match for a run directory to be resumed with this loop."""
        ids_hash = hashlib.sha256("\n".join(map(str, self.pool.ids.tolist())).encode()).hexdigest()
        return {
            "strategy": repr(self.strategy),
            "batch_size": self.batch_size,
            "initial_size": self.initial_size,
            "initial_method": self.initial_method,
            "seed": self.seed,
            "pool_size": len(self.pool),
            "pool_ids_sha256": ids_hash,
            "classes": [str(c) for c in self.pool.classes.tolist()],
            **self.extra_fingerprint,
        }

    def _replay(self) -> None:
        """Restore labels and history; a round that was queried but not finished becomes pending."""
        assert self.run_dir is not None and self._run_log is not None
        self.history = History.load(self.run_dir)
        queries: dict[int, tuple[np.ndarray, dict[str, Any]]] = {}
        for entry in self._run_log.entries():
            if "query" in entry:
                ids = self.pool.ids[self.pool.positions(entry["query"])]
                queries[entry["round"]] = (ids, entry["info"])
            else:
                positions = self.pool.positions(list(entry["labels"]))
                self.pool.add_labels(positions, list(entry["labels"].values()))
        round_ = len(self.history)
        if round_ in queries:
            self._pending = (round_, *queries[round_])
            if self.history:  # a warm-started network continues from the last finished round
                self._load_learner(round_ - 1)
        elif self.history:
            self.stop_reason = self._stop_reason(self.history[-1])
            if self.stop_reason is None:
                # The next query needs the model of the last finished round: reload it
                # where the learner checkpoints itself (a warm-started network), else refit.
                if not self._load_learner(len(self.history) - 1):
                    self._fit()
                if self.validation is not None and self.fitted and not self._validation_current:
                    self.validation_probabilities = self.predict_X(self.validation.X)

    def _save_learner(self, round_: int) -> None:
        if self._run_log is not None and self.fitted:
            self._run_log.save_learner(self.learner, round_)

    def _load_learner(self, round_: int) -> bool:
        """Reload the learner saved after ``round_`` (``False`` when there is none to load)."""
        loaded = self._run_log is not None and self._run_log.load_learner(self.learner, round_)
        self.fitted = self.fitted or loaded
        return loaded

    def _log(self, entry: dict[str, Any]) -> None:
        if self._run_log is not None:
            self._run_log.append(entry)


def _semi_supervision(value: Any, seed: int) -> Any:
    if value is None or callable(getattr(value, "pseudo_labels", None)):
        return value
    return SEMI_SUPERVISION.make(value, random_state=seed)
