"""Bounded candidate sets for strategies that compare candidates with each other.

Core-set, BADGE, k-means, TypiClust, ProbCover and cluster-margin need every
candidate's embedding at once (and some, pairwise work among them), so a
pool of 10 million items on disk would have to sit in memory as one N x D
array. When a pool sets ``max_candidates`` (on-disk pools do:
:func:`activelearn.data.ondisk.ondisk_pool`) and holds more, these strategies
first pre-select that many candidates by a method whose memory does not grow
with the pool, then run exactly on those, and say so in the query's notes:

* ``uncertainty``: the lowest margins, by a streamed top-M over the pool's parts
  (the usual choice when a model exists: Citovsky et al. 2021 take the most
  uncertain before clustering; BADGE's gradient norms grow with uncertainty);
* ``random``: M candidates drawn uniformly (for cold start, or for
  representativeness: k-means, TypiClust);
* ``nearest``: the nearest candidates of each labeled item, found by a streamed
  k-nearest-neighbour pass over the embeddings (SEALS: Coleman et al. 2022),
  topped up at random.

``auto`` (the default) is ``uncertainty`` for strategies that read
probabilities when a model exists, ``random`` otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    PROBABILITIES,
    ModelOutputs,
    Query,
)
from activelearn.strategies.geometry import as_float32, squared_norms
from activelearn.strategies.streaming import scored_top_k

Select = Callable[[Any, ModelOutputs, int, np.random.Generator], Query]
_KNN_BLOCK = 2048  # candidate rows per distance block: labeled x 2048 float32


def bounded(select: Select) -> Select:
    """Wrap a ``select`` so it runs on at most ``outputs.candidate_limit`` candidates."""

    @functools.wraps(select)
    def wrapper(self: Any, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        limit, total = outputs.candidate_limit, outputs.n_candidates
        if limit is None or total <= max(limit, n):
            return select(self, outputs, n, rng)
        candidates, how = preselect(outputs, self.requires, max(limit, n), rng)
        picked = select(self, outputs.subset(candidates), n, rng)
        note = (
            f"{self.name} ran on {len(candidates):,} of {total:,} candidates pre-selected "
            f"by {how} (the pool holds more than max_candidates={limit:,})"
        )
        return Query(candidates[picked.indices], picked.scores, (*picked.notes, note))

    return wrapper


def preselect(
    outputs: ModelOutputs, requires: frozenset[str], size: int, rng: np.random.Generator
) -> tuple[np.ndarray, str]:
    """``size`` candidate indices (sorted) by ``outputs.preselect``, and how they were found."""
    method = outputs.preselect
    if method == "auto":
        wants = PROBABILITIES in requires and outputs.available(PROBABILITIES)
        method = "uncertainty" if wants else "random"
    if method == "uncertainty" and outputs.available(PROBABILITIES):
        return _most_uncertain(outputs, size, rng), f"uncertainty (the {size:,} lowest margins)"
    if method == "nearest" and _has_labeled_embeddings(outputs):
        chosen = _nearest_to_labeled(outputs, size)
        how = f"{len(chosen):,} nearest neighbours of the labeled set"
        if len(chosen) < size:
            extra = choose_excluding(rng, outputs.n_candidates, chosen, size - len(chosen))
            chosen = np.sort(np.concatenate([chosen, extra]))
            how += f", {len(extra):,} random"
        return chosen, how
    why = "" if method == "random" else f" ({method} needs what this query lacks)"
    return np.sort(rng.choice(outputs.n_candidates, size, replace=False)), "random" + why


def choose_excluding(
    rng: np.random.Generator, total: int, taken: np.ndarray, size: int
) -> np.ndarray:
    """``rng.choice`` of ``size`` among ``range(total)`` minus ``taken``, without building
    the N-long list of the others: the same draws as ``rng.choice(rest, size,
    replace=False)`` with ``rest = np.setdiff1d(np.arange(total), taken)``."""
    taken = np.unique(np.asarray(taken, dtype=np.int64))
    positions = rng.choice(total - len(taken), size=size, replace=False)
    # The free index at position q is q plus the number of taken indices before it.
    shifts = taken - np.arange(len(taken))
    return positions + np.searchsorted(shifts, positions, side="right")


def _most_uncertain(outputs: ModelOutputs, size: int, rng: np.random.Generator) -> np.ndarray:
    from activelearn.strategies.uncertainty import Margin

    chosen, _ = scored_top_k(outputs, Margin(), size).finish(rng)
    return np.sort(chosen)


def _has_labeled_embeddings(outputs: ModelOutputs) -> bool:
    if not (outputs.available(EMBEDDINGS) and outputs.available(LABELED_EMBEDDINGS)):
        return False
    return len(outputs.labeled_embeddings) > 0


def _nearest_to_labeled(outputs: ModelOutputs, size: int) -> np.ndarray:
    """The union of each labeled item's nearest candidates, closest first, at most ``size``:
    one streamed pass over the candidates' embeddings, memory O(labeled x k)."""
    labeled = as_float32(outputs.labeled_embeddings)
    k = max(1, -(-size // len(labeled)))
    best_d = np.full((len(labeled), 0), np.inf, dtype=np.float32)
    best_i = np.empty((len(labeled), 0), dtype=np.int64)
    labeled_norms = squared_norms(labeled)
    offset = 0
    for part in outputs.chunks(frozenset({EMBEDDINGS})):
        X = as_float32(part.embeddings)
        for start in range(0, len(X), _KNN_BLOCK):
            block = X[start : start + _KNN_BLOCK]
            d2 = labeled_norms[:, None] - 2.0 * (labeled @ block.T) + squared_norms(block)
            index = np.broadcast_to(np.arange(len(block)) + offset + start, d2.shape)
            best_d = np.concatenate([best_d, d2], axis=1)
            best_i = np.concatenate([best_i, index], axis=1)
            if best_d.shape[1] > k:
                keep = np.argpartition(best_d, k - 1, axis=1)[:, :k]
                best_d = np.take_along_axis(best_d, keep, axis=1)
                best_i = np.take_along_axis(best_i, keep, axis=1)
        offset += len(X)
    order = np.argsort(best_d, axis=None, kind="stable")
    flat = best_i.ravel()[order]
    _, first = np.unique(flat, return_index=True)
    return np.sort(flat[np.sort(first)][:size])
