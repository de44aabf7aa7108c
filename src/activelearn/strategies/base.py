"""The strategy contract: arrays in, pool indices out.

Strategies never import a framework. The loop computes what a strategy
declares in ``requires`` (class probabilities, embeddings, Monte-Carlo
samples, the labeled set's embeddings, validation predictions) for the
unlabeled candidates and hands it over as :class:`ModelOutputs`. That keeps
strategies testable with hand-made arrays and usable with any model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from activelearn.errors import ConfigError, ModelOutputError
from activelearn.strategies.checks import (
    check_probabilities,
    check_probability_shape,
    check_rows,
)

# Names of the inputs a strategy may require; the loop knows how to compute each.
PROBABILITIES = "probabilities"  # N x C class probabilities of the candidates
EMBEDDINGS = "embeddings"  # N x D embeddings of the candidates (learner.embed)
SAMPLES = "samples"  # K x N x C Monte-Carlo samples (learner.predict_proba_samples)
LABELED_EMBEDDINGS = "labeled_embeddings"  # M x D embeddings of the labeled items
VALIDATION = "validation"  # validation labels and probabilities

PER_ROW = frozenset({PROBABILITIES, EMBEDDINGS, SAMPLES})  # one value per candidate
PER_ROW_FIELDS = ("probabilities", "embeddings", "samples")
# The ModelOutputs fields each input fills.
FIELDS = {
    PROBABILITIES: ("probabilities",),
    EMBEDDINGS: ("embeddings",),
    SAMPLES: ("samples",),
    LABELED_EMBEDDINGS: ("labeled_embeddings",),
    VALIDATION: ("validation_labels", "validation_probabilities"),
}
# The labeled items' labels come with their embeddings (used by some strategies, never required).
_NEED_OF = {name: need for need, names in FIELDS.items() for name in names}
_NEED_OF["labeled_labels"] = LABELED_EMBEDDINGS

# What to tell a user whose learner cannot provide an input a strategy needs.
_HOW_TO_PROVIDE = {
    PROBABILITIES: "the learner must implement `predict_proba(X)`",
    EMBEDDINGS: (
        "use dense features that serve as embeddings (--features minilm, pixels, "
        "efficientnet_lite0, or "
        "`embeddings=` in Python) or a learner with an `embed` method (mlp, cnn, bilstm)"
    ),
    SAMPLES: (
        "use a learner that gives Monte-Carlo samples: --learner committee, or a network "
        "with dropout (mlp, cnn, bilstm); in Python, `predict_proba_samples(X, k)`"
    ),
    LABELED_EMBEDDINGS: (
        "the labeled items' embeddings are needed too (an empty 0 x D array when nothing "
        "is labeled yet): " + "dense features or a learner with an `embed` method"
    ),
    VALIDATION: (
        "give the loop a validation set (--validation-size above 0, --validation-data, "
        "or `validation=` in Python)"
    ),
}


class MissingOutputError(ModelOutputError):
    """A strategy needs an input (embeddings, MC samples, ...) that was not provided."""


class OutputSource(Protocol):
    """Computes model outputs for candidates on demand: the loop's provider.

    ``compute(need, rows)`` returns the fields of ``need`` (see :data:`FIELDS`)
    for candidate rows ``rows`` (``None`` for inputs that are not per
    candidate), already validated, and may return more fields computed in the
    same pass (probabilities and embeddings from one forward pass).
    """

    chunk_size: int
    # Fields whose values the source leaves to the strategy to validate (it checks
    # their shapes): those the strategy validates while it scores them.
    unvalidated: frozenset[str]

    def provides(self, need: str) -> bool: ...

    def compute(self, need: str, rows: np.ndarray | None) -> dict[str, np.ndarray]: ...


class ModelOutputs:
    """What the model says about the unlabeled candidates (and, optionally, the rest).

    Built from arrays (tests, users with their own model) or lazily from an
    :class:`OutputSource` (the loop): a field is computed the first time a
    strategy reads it, only for the candidates it reads it for, so a wrapper
    that narrows the candidates first (``subsample``) runs the model on those
    alone, and a strategy that never reads embeddings never pays for them.
    ``classes`` orders the columns; ``ids`` are the candidates' item ids.
    ``candidate_limit`` (set for on-disk pools) is how many candidates strategies
    that compare candidates with each other may hold in memory; above it they
    pre-select that many by ``preselect`` (:mod:`activelearn.strategies.candidates`).
    """

    def __init__(
        self,
        probabilities: np.ndarray | None = None,
        embeddings: np.ndarray | None = None,
        samples: np.ndarray | None = None,
        labeled_embeddings: np.ndarray | None = None,
        labeled_labels: np.ndarray | None = None,
        validation_labels: np.ndarray | None = None,
        validation_probabilities: np.ndarray | None = None,
        classes: np.ndarray | None = None,
        size: int | None = None,  # number of candidates, for strategies that need no arrays
        ids: np.ndarray | None = None,
        *,
        source: OutputSource | None = None,
        rows: np.ndarray | None = None,
        candidate_limit: int | None = None,
        preselect: str = "auto",
    ) -> None:
        self._values: dict[str, Any] = {
            "probabilities": probabilities,
            "embeddings": embeddings,
            "samples": samples,
            "labeled_embeddings": labeled_embeddings,
            "labeled_labels": labeled_labels,
            "validation_labels": validation_labels,
            "validation_probabilities": validation_probabilities,
        }
        self._validated: set[str] = set()
        self.candidate_limit = candidate_limit
        self.preselect = preselect
        self.classes = classes
        self.ids = ids
        self.n_labeled: int | None = None  # how many items are labeled (the loop sets it)
        self._source = source
        self._rows = rows
        if source is not None and rows is None and size is not None:
            self._rows = np.arange(size)
        self.size = size if rows is None else len(rows)

    def _get(self, name: str) -> Any:
        value = self._values[name]
        if value is None and self._source is not None:
            need = _NEED_OF[name]
            if self._source.provides(need):
                rows = self._rows if need in PER_ROW else None
                for key, array in self._source.compute(need, rows).items():
                    if self._values.get(key) is None:
                        self._values[key] = array
                        if key not in getattr(self._source, "unvalidated", ()):
                            self._validated.add(key)  # the source validated it
                value = self._values[name]
        return value

    probabilities = property(lambda self: self._get("probabilities"))
    embeddings = property(lambda self: self._get("embeddings"))
    samples = property(lambda self: self._get("samples"))
    labeled_embeddings = property(lambda self: self._get("labeled_embeddings"))
    labeled_labels = property(lambda self: self._get("labeled_labels"))
    validation_labels = property(lambda self: self._get("validation_labels"))
    validation_probabilities = property(lambda self: self._get("validation_probabilities"))

    def available(self, need: str) -> bool:
        """Whether ``need`` is given or can be computed (without computing it)."""
        given = all(self._values[name] is not None for name in FIELDS[need])
        return given or (self._source is not None and self._source.provides(need))

    def computed(self, name: str) -> bool:
        return self._values[name] is not None

    def unchecked(self, name: str) -> bool:
        """Whether the values of ``name`` still need validating (by a strategy that
        validates while it scores: :attr:`QueryStrategy.validates`)."""
        return name not in self._validated

    def mark_validated(self, name: str) -> None:
        self._validated.add(name)

    @property
    def n_candidates(self) -> int:
        if self.size is not None:
            return self.size
        for name in ("probabilities", "embeddings"):
            if self._values[name] is not None:
                return self._values[name].shape[0]
        if self._values["samples"] is not None:
            return self._values["samples"].shape[1]
        raise ModelOutputError("ModelOutputs needs `size` or an array of candidate outputs")

    def subset(self, indices: np.ndarray) -> ModelOutputs:
        """The same outputs restricted to candidates ``indices`` (for wrappers).

        Arrays already computed are sliced; the rest is computed for these
        candidates only when read. Labeled and validation arrays are kept.
        """
        indices = np.asarray(indices, dtype=int)
        values = dict(self._values)
        for name in ("probabilities", "embeddings"):
            if values[name] is not None:
                values[name] = values[name][indices]
        if values["samples"] is not None:
            values["samples"] = values["samples"][:, indices]
        out = ModelOutputs(
            **values,
            classes=self.classes,
            size=None if self.size is None else len(indices),
            ids=None if self.ids is None else self.ids[indices],
            source=self._source,
            rows=None if self._rows is None else self._rows[indices],
            candidate_limit=self.candidate_limit,
            preselect=self.preselect,
        )
        out._validated = set(self._validated)
        out.n_labeled = self.n_labeled
        return out

    def shards(self) -> Any:
        """The pool's shards when a cluster scores it (``Shards``), else ``None``: set
        only while nothing per candidate has been computed here."""
        make = getattr(self._source, "shards", None)
        if make is None or any(self._values[name] is not None for name in PER_ROW_FIELDS):
            return None
        return make(self._rows)

    def chunks(self, requires: frozenset[str]) -> Iterator[ModelOutputs]:
        """Consecutive parts of the candidates, for row-wise scores over a lazy source:
        only one part's probabilities or Monte-Carlo samples are in memory at a time.
        Yields ``self`` when everything required is already at hand."""
        needed = [name for need in requires & PER_ROW for name in FIELDS[need]]
        step = self._source.chunk_size if self._source is not None else 0
        n = self.n_candidates
        if step == 0 or n <= step or all(self._values[name] is not None for name in needed):
            yield self
            return
        for start in range(0, n, step):
            yield self.subset(np.arange(start, min(n, start + step)))


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
    # Monte-Carlo samples to ask for (strategies that need samples; None: all a committee
    # has, or the learner's default number of dropout passes).
    n_samples: int | None = None

    # Fields ``select`` validates itself as it first reads them (fused with scoring, so a
    # large array is read from memory once); ``query`` then checks only their shapes.
    validates: frozenset[str] = frozenset()

    def query(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if n < 0:
            raise ValueError(f"cannot query a negative number of items ({n})")
        check_outputs(outputs, self.requires, self.name, deferred=self.validates)
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
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("requires", "validates")
        )
        return f"{type(self).__name__}({params})"


def wanted_samples(strategy: QueryStrategy) -> int | None:
    """``n_samples`` of a strategy, or of the strategy a wrapper wraps."""
    current: Any = strategy
    while current is not None:
        if current.n_samples is not None:
            return current.n_samples
        current = getattr(current, "base", None)
    return None


def check_outputs(
    outputs: ModelOutputs,
    requires: frozenset[str],
    name: str,
    *,
    deferred: frozenset[str] = frozenset(),
) -> None:
    """Raise unless ``outputs`` holds (or can compute) every input in ``requires``.

    Arrays handed in are validated here, once per array; arrays a lazy source
    computes are validated by the source as it computes them, part by part.
    Fields in ``deferred`` get their shape checked here and their values by
    the strategy, in the same pass that scores them (``checks.probability_blocks``).
    """
    for need in sorted(requires):
        if not outputs.available(need):
            raise MissingOutputError(
                f"strategy {name!r} needs {need} but none were given: {_HOW_TO_PROVIDE[need]}"
            )
    n = outputs.n_candidates
    for need in sorted(requires):
        for field_name in FIELDS[need]:
            if outputs.computed(field_name) and field_name not in outputs._validated:
                values = field_name not in deferred
                validate_field(field_name, outputs._values[field_name], n, values=values)
                if values:
                    outputs._validated.add(field_name)
    if (
        EMBEDDINGS in requires
        and outputs.computed("embeddings")
        and outputs.computed("labeled_embeddings")
    ):
        labeled = np.asarray(outputs.labeled_embeddings)
        width = outputs.embeddings.shape[1]
        if labeled.ndim != 2 or labeled.shape[1] != width:
            raise ModelOutputError(
                f"labeled embeddings must be M x {width} like the candidates' embeddings, "
                f"got shape {labeled.shape}"
            )
    validation = outputs._values["validation_labels"], outputs._values["validation_probabilities"]
    if (
        VALIDATION in requires
        and validation[0] is not None
        and len(validation[0]) != len(validation[1])
    ):
        raise ModelOutputError(
            f"got {len(validation[0])} validation labels for {len(validation[1])} validation "
            "predictions"
        )


def validate_field(name: str, array: Any, n: int | None, *, values: bool = True) -> None:
    """Raise :class:`ModelOutputError` unless ``array`` is a valid ``name`` for ``n`` rows.

    ``values=False`` checks the shape of probabilities only: for a strategy that
    checks their values while it scores them.
    """
    if name in ("probabilities", "validation_probabilities"):
        if values:
            check_probabilities(array)
        else:
            check_probability_shape(array)
        if name == "probabilities" and n is not None and len(array) != n:
            raise ModelOutputError(f"got probabilities for {len(array)} items, expected {n}")
    elif name == "embeddings":
        check_rows(array, n, "embeddings", ndim=2)
    elif name == "labeled_embeddings":
        check_rows(array, None, "labeled embeddings", ndim=2)
    elif name == "samples":
        samples = np.asarray(array)
        if samples.ndim != 3 or samples.shape[0] < 1 or (n is not None and samples.shape[1] != n):
            raise ModelOutputError(
                f"samples must be K x N x C with N = {n} candidates, got shape {samples.shape}"
            )
        check_probabilities(samples.reshape(-1, samples.shape[-1]))


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
    else:  # equal scores inside the batch in index order, not argpartition's (which varies)
        winners.sort()
    return winners[np.argsort(-scores[winners], kind="stable")]


class ScoringStrategy(QueryStrategy):
    """A strategy that ranks candidates by one score each and keeps the top ``n``.

    Exposing :meth:`score` lets wrappers reuse the ranking: stochastic batch
    acquisition samples from it, the class-balanced wrapper ranks within classes.
    """

    # True when each candidate's score depends on its own outputs alone, so the scores
    # can be computed part by part (information density, which compares candidates, is not).
    rowwise: ClassVar[bool] = True

    @abstractmethod
    def score(self, outputs: ModelOutputs) -> np.ndarray:
        """One score per candidate, higher = more worth labeling."""

    def score_parts(self, outputs: ModelOutputs) -> Iterator[np.ndarray]:
        """:meth:`score` over consecutive parts of the candidates (one part unless the
        source is lazy and the scores are row-wise)."""
        if not self.rowwise:
            yield self.score(outputs)
            return
        for part in outputs.chunks(self.requires):
            yield self.score(part)

    def scores(self, outputs: ModelOutputs) -> np.ndarray:
        """:meth:`score` over every candidate, part by part when the source is lazy."""
        parts = list(self.score_parts(outputs))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        """The top ``n`` scores, streamed: memory holds one part's scores and the
        leaders, never all N scores, and the picks equal :func:`top_k`'s over all."""
        from activelearn.strategies.streaming import scored_top_k

        chosen, scores = scored_top_k(outputs, self, n).finish(rng)
        return Query(chosen, scores)


def resolve_base(base: str | QueryStrategy, params: dict | None) -> QueryStrategy:
    """A wrapper's base strategy, given by name (with parameters) or as an instance."""
    from activelearn.strategies.registry import make_strategy

    if isinstance(base, QueryStrategy) and params:
        raise ConfigError("pass `base_params` only with a strategy name, not an instance")
    return make_strategy(base, **(params or {}))
