"""The strategy contract: arrays in, pool indices out.

Strategies never import a framework. The loop computes what a strategy
declares in ``requires`` (class probabilities, embeddings, Monte-Carlo
samples, the labeled set's embeddings, validation predictions) for the
unlabeled candidates and hands it over as :class:`ModelOutputs`. That keeps
strategies testable with hand-made arrays and usable with any model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from activelearn.errors import ConfigError, ModelOutputError

# Names of the inputs a strategy may require; the loop knows how to compute each.
PROBABILITIES = "probabilities"  # N x C class probabilities of the candidates
EMBEDDINGS = "embeddings"  # N x D embeddings of the candidates (learner.embed)
SAMPLES = "samples"  # K x N x C Monte-Carlo samples (learner.predict_proba_samples)
LABELED_EMBEDDINGS = "labeled_embeddings"  # M x D embeddings of the labeled items
VALIDATION = "validation"  # validation labels and probabilities

# What to tell a user whose learner cannot provide an input a strategy needs.
_HOW_TO_PROVIDE = {
    PROBABILITIES: "the learner must implement `predict_proba(X)`",
    EMBEDDINGS: (
        "the learner must implement `embed(X) -> N x D` or the pool must be featurized "
        "(activelearn.features) so its features serve as embeddings"
    ),
    SAMPLES: (
        "the learner must implement `predict_proba_samples(X, k) -> k x N x C` "
        "(Monte-Carlo dropout) or be wrapped in activelearn.learners.committee.Committee"
    ),
    LABELED_EMBEDDINGS: (
        "the loop must pass the labeled items' embeddings (an empty 0 x D array when "
        "nothing is labeled yet); the learner must implement `embed(X)`"
    ),
    VALIDATION: "the loop must pass validation labels and the model's validation probabilities",
}


class MissingOutputError(ModelOutputError):
    """A strategy needs an input (embeddings, MC samples, ...) that was not provided."""


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

    def subset(self, indices: np.ndarray) -> ModelOutputs:
        """The same outputs restricted to candidates ``indices`` (for wrappers).

        Per-candidate arrays are sliced; labeled and validation arrays are kept.
        """
        indices = np.asarray(indices, dtype=int)
        return replace(
            self,
            probabilities=None if self.probabilities is None else self.probabilities[indices],
            embeddings=None if self.embeddings is None else self.embeddings[indices],
            samples=None if self.samples is None else self.samples[:, indices],
            size=None if self.size is None else len(indices),
        )


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
    # Wrappers set ``requires`` per instance (their own needs plus their base strategy's).
    requires: frozenset[str] = frozenset({PROBABILITIES})

    def query(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if n < 0:
            raise ValueError(f"cannot query a negative number of items ({n})")
        check_outputs(outputs, self.requires, self.name)
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
        params = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "requires"
        )
        return f"{type(self).__name__}({params})"


def check_outputs(outputs: ModelOutputs, requires: frozenset[str], name: str) -> None:
    """Raise unless ``outputs`` holds every input in ``requires``, with consistent shapes."""
    present = {
        PROBABILITIES: outputs.probabilities is not None,
        EMBEDDINGS: outputs.embeddings is not None,
        SAMPLES: outputs.samples is not None,
        LABELED_EMBEDDINGS: outputs.labeled_embeddings is not None,
        VALIDATION: outputs.validation_labels is not None
        and outputs.validation_probabilities is not None,
    }
    for need in sorted(requires):
        if not present[need]:
            raise MissingOutputError(
                f"strategy {name!r} needs {need} but none were given: {_HOW_TO_PROVIDE[need]}"
            )
    n = outputs.n_candidates
    if PROBABILITIES in requires:
        check_probabilities(outputs.probabilities)
    if EMBEDDINGS in requires:
        _check_rows(outputs.embeddings, n, "embeddings", ndim=2)
    if SAMPLES in requires:
        samples = np.asarray(outputs.samples)
        if samples.ndim != 3 or samples.shape[1] != n or samples.shape[0] < 1:
            raise ModelOutputError(
                f"samples must be K x N x C with N = {n} candidates, got shape {samples.shape}"
            )
        check_probabilities(samples.reshape(-1, samples.shape[-1]))
    if EMBEDDINGS in requires and outputs.labeled_embeddings is not None:  # also when optional
        labeled = np.asarray(outputs.labeled_embeddings)
        if labeled.ndim != 2 or labeled.shape[1] != outputs.embeddings.shape[1]:
            raise ModelOutputError(
                f"labeled embeddings must be M x {outputs.embeddings.shape[1]} like the "
                f"candidates' embeddings, got shape {labeled.shape}"
            )
    if VALIDATION in requires:
        check_probabilities(outputs.validation_probabilities)
        if len(outputs.validation_labels) != len(outputs.validation_probabilities):
            raise ModelOutputError(
                f"got {len(outputs.validation_labels)} validation labels for "
                f"{len(outputs.validation_probabilities)} validation predictions"
            )


def _check_rows(array: np.ndarray, n: int, what: str, *, ndim: int) -> None:
    array = np.asarray(array)
    if array.ndim != ndim or array.shape[0] != n:
        raise ModelOutputError(
            f"{what} must have {ndim} dimensions and {n} rows, got {array.shape}"
        )
    # In row blocks: a whole-array isfinite would allocate N x D booleans (366 MiB at 1M x 384).
    rows = max(1, 2**22 // max(1, int(np.prod(array.shape[1:]))))
    for start in range(0, len(array), rows):
        if not np.isfinite(array[start : start + rows]).all():
            raise ModelOutputError(f"{what} contain NaN or infinite values")


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
    # Two passes over the N x C array and no temporaries of its size: a NaN or inf
    # anywhere in a row makes that row's sum non-finite.
    row_sums = np.einsum("ij->i", p)  # faster than p.sum(axis=1) for few columns
    if not np.isfinite(row_sums).all():
        raise ModelOutputError(
            "the model returned NaN or infinite probabilities: check its training"
        )
    if p.min() < -atol or (np.abs(row_sums - 1) > atol).any():
        raise ModelOutputError(
            "probabilities must be non-negative and sum to 1 per row: "
            "apply softmax (or sigmoid for both columns) before returning them"
        )


def top_k(scores: np.ndarray, k: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first.

    Items tied at the cut are drawn at random with ``rng`` (by lower index
    without one). Random tie-breaking matters: when a model is unsure of
    everything many scores tie, and pools are often stored sorted by class,
    so taking the lowest indices would fill a batch with one class.
    ``argpartition`` keeps this O(N); only the k winners are sorted.
    """
    scores = np.asarray(scores)
    k = min(k, len(scores))
    if k == 0:
        return np.empty(0, dtype=int)
    winners = np.argpartition(-scores, k - 1)[:k]
    kth = scores[winners].min()
    if np.count_nonzero(scores >= kth) > k:  # items tied at the cut lie outside the partition
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        need = k - len(above)
        tied = rng.choice(tied, size=need, replace=False) if rng is not None else tied[:need]
        winners = np.concatenate([above, tied])
    return winners[np.argsort(-scores[winners], kind="stable")]


class ScoringStrategy(QueryStrategy):
    """A strategy that ranks candidates by one score each and keeps the top ``n``.

    Exposing :meth:`score` lets wrappers reuse the ranking: stochastic batch
    acquisition samples from it, the class-balanced wrapper ranks within classes.
    """

    @abstractmethod
    def score(self, outputs: ModelOutputs) -> np.ndarray:
        """One score per candidate, higher = more worth labeling."""

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        scores = self.score(outputs)
        chosen = top_k(scores, n, rng)
        return Query(chosen, scores[chosen])


def resolve_base(base: str | QueryStrategy, params: dict | None) -> QueryStrategy:
    """A wrapper's base strategy, given by name (with parameters) or as an instance."""
    from activelearn.strategies.registry import make_strategy

    if isinstance(base, QueryStrategy) and params:
        raise ConfigError("pass `base_params` only with a strategy name, not an instance")
    return make_strategy(base, **(params or {}))
