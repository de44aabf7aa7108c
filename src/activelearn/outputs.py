"""The loop's outputs provider: model outputs for the unlabeled candidates, on demand.

Strategies still receive plain arrays through :class:`ModelOutputs`, but the
loop hands them a lazy one backed by :class:`PoolOutputs`. Nothing is
computed before a strategy reads it, and only for the candidates it reads
it for:

* a wrapper that narrows the candidates first (``subsample``) runs the model
  on those alone;
* row-wise scores (uncertainty, BALD, vote entropy) are computed part by
  part, so a pool's Monte-Carlo samples never sit in memory as one
  K x N x C array;
* probabilities and embeddings come from one forward pass when the learner
  offers ``predict_proba_and_embed`` (the PyTorch learner does);
* whatever is computed is validated as it arrives (NaN, rows not summing
  to 1), once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from activelearn.learners.base import can_embed, can_sample
from activelearn.metrics import align_columns
from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    PROBABILITIES,
    SAMPLES,
    VALIDATION,
    ModelOutputs,
    QueryStrategy,
    validate_field,
    wanted_samples,
)

if TYPE_CHECKING:
    from activelearn.loop import ActiveLearningLoop


def pool_outputs(
    loop: ActiveLearningLoop, strategy: QueryStrategy, candidates: np.ndarray
) -> ModelOutputs:
    """Lazy outputs for pool positions ``candidates``, as ``strategy`` will read them."""
    source = PoolOutputs(loop, strategy, candidates)
    outputs = ModelOutputs(
        classes=loop.pool.classes,
        size=len(candidates),
        ids=loop.pool.ids[candidates],
        source=source,
        candidate_limit=getattr(loop.pool, "max_candidates", None),
        preselect=getattr(loop.pool, "preselect", "auto"),
    )
    outputs.n_labeled = len(loop.pool.labeled_indices)
    return outputs


class PoolOutputs:
    """Computes what a strategy reads, for rows of one query's candidates."""

    def __init__(
        self, loop: ActiveLearningLoop, strategy: QueryStrategy, candidates: np.ndarray
    ) -> None:
        self.loop = loop
        self.candidates = candidates
        self.requires = strategy.requires
        self.n_samples = wanted_samples(strategy)
        self.chunk_size = loop.score_batch_size
        # What the strategy validates itself as it scores (one read of each part, not two).
        self.unvalidated = strategy.validates
        self._scored = 0  # candidates scored so far, for the progress events

    @property
    def _learner(self) -> Any:
        return self.loop.learner

    def provides(self, need: str) -> bool:
        if not self.loop.fitted and need in (PROBABILITIES, SAMPLES, VALIDATION):
            return False
        if need == PROBABILITIES:
            return True
        if need in (EMBEDDINGS, LABELED_EMBEDDINGS):
            return self.loop.embeddings is not None or (
                self.loop.fitted and can_embed(self._learner)
            )
        if need == SAMPLES:
            return can_sample(self._learner)
        return self.loop.validation is not None and self.loop.validation_probabilities is not None

    def compute(self, need: str, rows: np.ndarray | None) -> dict[str, np.ndarray]:
        if need == VALIDATION:
            return {
                "validation_labels": self.loop.validation.y,
                "validation_probabilities": self.loop.validation_probabilities,
            }
        if need == LABELED_EMBEDDINGS:
            labeled = self.loop.pool.labeled_indices
            return {
                "labeled_embeddings": self._embeddings(labeled),
                "labeled_labels": self.loop.pool.labels,
            }
        positions = self.candidates[rows]
        if need == SAMPLES:
            return {"samples": self._samples(positions)}
        both = {PROBABILITIES, EMBEDDINGS} <= self.requires
        combined = callable(getattr(self._learner, "predict_proba_and_embed", None))
        if both and combined and self.loop.embeddings is None:
            return self._probabilities_and_embeddings(positions)
        if need == PROBABILITIES:
            return {"probabilities": self._probabilities(positions)}
        return {"embeddings": self._embeddings(positions)}

    def shards(self, rows: np.ndarray) -> Any:
        """The candidates ``rows`` cut into shards for the pool's scorer (a cluster), or
        ``None`` when the pool has none (see :mod:`activelearn.experiments.sharded`)."""
        scorer = getattr(self.loop.pool, "scorer", None)
        if scorer is None or not self.loop.fitted:
            return None
        return scorer.shards(
            {
                "X": self.loop.pool.X,
                "learner": self.loop.learner,
                "classes": self.loop.pool.classes,
                "positions": self.candidates[rows],
                "chunk_size": self.chunk_size,
                "unvalidated": self.unvalidated,
            }
        )

    # -- the forward passes, in batches ----------------------------------------------------

    def _batches(self, positions: np.ndarray) -> list[np.ndarray]:
        size = self.loop.score_batch_size
        return [positions[i : i + size] for i in range(0, len(positions), size)]

    def _progress(self, n: int) -> None:
        self._scored = min(self._scored + n, len(self.candidates))
        self.loop.emit_scoring(self._scored, len(self.candidates))

    def _probabilities(self, positions: np.ndarray) -> np.ndarray:
        batches = self._batches(positions)
        values = "probabilities" not in self.unvalidated
        if len(batches) == 1:  # a part of the scoring pass: no copy into a second array
            part = self.loop.predict_positions(batches[0])
            validate_field("probabilities", part, len(positions), values=values)
            self._progress(len(positions))
            return part
        out = np.empty((len(positions), len(self.loop.pool.classes)))
        start = 0
        for batch in batches:
            part = self.loop.predict_positions(batch)
            validate_field("probabilities", part, len(batch), values=values)
            out[start : start + len(batch)] = part
            start += len(batch)
            self._progress(len(batch))
        return out

    def _embeddings(self, positions: np.ndarray) -> np.ndarray:
        if self.loop.embeddings is not None:
            return self.loop.embeddings[positions]
        parts = []
        with self.loop.threads_for(len(positions)):
            for batch in self._batches(positions):
                parts.append(np.asarray(self._learner.embed(self.loop.pool.subset(batch))))
        if not parts:
            return np.empty((0, 0), dtype=np.float32)
        embeddings = np.concatenate(parts)
        validate_field("embeddings", embeddings, len(positions))
        return embeddings

    def _probabilities_and_embeddings(self, positions: np.ndarray) -> dict[str, np.ndarray]:
        probabilities, embeddings = [], []
        classes = self.loop.pool.classes
        with self.loop.threads_for(len(positions)):
            for batch in self._batches(positions):
                p, e = self._learner.predict_proba_and_embed(self.loop.pool.subset(batch))
                probabilities.append(align_columns(np.asarray(p), self._learner.classes_, classes))
                embeddings.append(np.asarray(e))
                self._progress(len(batch))
        out = {
            "probabilities": np.concatenate(probabilities),
            "embeddings": np.concatenate(embeddings),
        }
        values = "probabilities" not in self.unvalidated
        validate_field("probabilities", out["probabilities"], len(positions), values=values)
        validate_field("embeddings", out["embeddings"], len(positions))
        return out

    def _samples(self, positions: np.ndarray) -> np.ndarray:
        """K x n x C, filled batch by batch into one array (no concatenated copies)."""
        out: np.ndarray | None = None
        classes = self.loop.pool.classes
        start = 0
        with self.loop.threads_for(len(positions)):
            for batch in self._batches(positions):
                X = self.loop.pool.subset(batch)
                if self.n_samples is None:
                    part = np.asarray(self._learner.predict_proba_samples(X))
                else:
                    part = np.asarray(self._learner.predict_proba_samples(X, self.n_samples))
                model_classes = getattr(self._learner, "classes_", classes)
                part = np.stack([align_columns(s, model_classes, classes) for s in part])
                validate_field("samples", part, len(batch))
                if out is None:
                    out = np.empty((len(part), len(positions), len(classes)), dtype=part.dtype)
                out[:, start : start + len(batch)] = part
                start += len(batch)
                self._progress(len(batch))
        assert out is not None
        return out
