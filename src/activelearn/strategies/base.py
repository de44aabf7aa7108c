"""The strategy contract: arrays in, pool indices out.

Strategies never import a framework. The loop computes what a strategy
declares in ``requires`` (class probabilities, embeddings, Monte-Carlo
samples, the labeled set's embeddings, validation predictions) for the
unlabeled candidates and hands it over as :class:`ModelOutputs`. That keeps
strategies testable with hand-made arrays and usable with any model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from activelearn.errors import ModelOutputError

# Names of the inputs a strategy may require; the loop knows how to compute each.
PROBABILITIES = "probabilities"  # N x C class probabilities of the candidates
EMBEDDINGS = "embeddings"  # N x D embeddings of the candidates (learner.embed)
SAMPLES = "samples"  # K x N x C Monte-Carlo samples (learner.predict_proba_samples)
LABELED_EMBEDDINGS = "labeled_embeddings"  # M x D embeddings of the labeled items
VALIDATION = "validation"  # validation labels and probabilities


@dataclass(frozen=True)
class ModelOutputs:
    """What the model says about the unlabeled candidates (and, optionally, the rest).

    Only ``probabilities`` is always present; the other fields are filled when
    the strategy lists them in ``requires``. ``classes`` orders the columns.
    """

    probabilities: np.ndarray | None = None
    embeddings: np.ndarray | None = None
    samples: np.ndarray | None = None
    labeled_embeddings: np.ndarray | None = None
    labeled_labels: np.ndarray | None = None
    validation_labels: np.ndarray | None = None
    validation_probabilities: np.ndarray | None = None
    classes: np.ndarray | None = None
    size: int | None = None  # number of candidates, for strategies that need no arrays

    @property
    def n_candidates(self) -> int:
        if self.size is not None:
            return self.size
        for array in (self.probabilities, self.embeddings):
            if array is not None:
                return array.shape[0]
        if self.samples is not None:
            return self.samples.shape[1]
        raise ModelOutputError("ModelOutputs needs `size` or an array of candidate outputs")


@dataclass(frozen=True)
class Query:
    """The chosen candidates: ``indices`` into the candidates, unique, best first.

    ``scores`` has one value per chosen index (higher = more worth labeling,
    in the strategy's own units). ``notes`` tells the user anything unusual,
    for example that fewer items were left than requested.
    """

    indices: np.ndarray
    scores: np.ndarray
    notes: tuple[str, ...] = field(default=())


class QueryStrategy(ABC):
    """Base class of every strategy. Subclasses set ``name`` and implement ``select``.

    ``query`` validates inputs and clips ``n`` to the candidates available,
    so ``select`` can assume ``1 <= n <= n_candidates`` and valid arrays.
    """

    name: ClassVar[str]
    requires: ClassVar[frozenset[str]] = frozenset({PROBABILITIES})

    def query(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if n < 0:
            raise ValueError(f"cannot query a negative number of items ({n})")
        if PROBABILITIES in self.requires:
            check_probabilities(outputs.probabilities)
        if SAMPLES in self.requires and outputs.samples is not None:
            check_probabilities(outputs.samples.reshape(-1, outputs.samples.shape[-1]))
        available = outputs.n_candidates
        notes: tuple[str, ...] = ()
        if n > available:
            notes = (f"asked for {n} items but only {available} are left; returning all of them",)
            n = available
        if n == 0:
            return Query(np.empty(0, dtype=int), np.empty(0), notes)
        query = self.select(outputs, n, rng)
        return Query(
            np.asarray(query.indices, dtype=int), np.asarray(query.scores), notes + query.notes
        )

    @abstractmethod
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        """Pick ``n`` distinct candidates."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def check_probabilities(probabilities: np.ndarray | None, *, atol: float = 1e-3) -> None:
    """Raise :class:`ModelOutputError` unless ``probabilities`` is a finite N x C distribution."""
    if probabilities is None:
        raise ModelOutputError("this strategy needs class probabilities but none were given")
    p = np.asarray(probabilities)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ModelOutputError(
            f"probabilities must be an N x C array with C >= 2, got shape {p.shape}; "
            "a binary model must return both columns"
        )
    if not np.isfinite(p).all():
        raise ModelOutputError(
            "the model returned NaN or infinite probabilities: check its training"
        )
    if (p < -atol).any() or (np.abs(p.sum(axis=1) - 1) > atol).any():
        raise ModelOutputError(
            "probabilities must be non-negative and sum to 1 per row: "
            "apply softmax (or sigmoid for both columns) before returning them"
        )


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first, ties broken by lower index.

    ``argpartition`` keeps this O(N) for the pool; only the k winners are sorted.
    """
    scores = np.asarray(scores)
    if k >= len(scores):
        return np.lexsort((np.arange(len(scores)), -scores))
    part = np.argpartition(-scores, k - 1)[:k]
    # Items tied with the k-th score may sit outside the partition; make the cut deterministic.
    kth = scores[part].min()
    tied = np.flatnonzero(scores == kth)
    winners = np.union1d(part[scores[part] > kth], tied)
    order = np.lexsort((winners, -scores[winners]))
    return winners[order][:k]
