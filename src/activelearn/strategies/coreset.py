"""Core-set selection by greedy k-center (Sener & Savarese 2018, "Active Learning for
Convolutional Neural Networks: A Core-Set Approach").

Repeatedly pick the candidate farthest from everything labeled or already
picked, which 2-approximates the minimax facility-location problem: the
batch covers the embedding space with the smallest radius.

The obvious implementation updates every candidate's distance-to-cover
after each pick: one N x D matrix-vector product per pick, bound by memory
bandwidth (1.5 GB read per pick at 1M x 384). This one is *lazy* and picks
exactly the same items:

* candidates live in blocks; each block keeps the largest distance-to-cover
  it had when last brought up to date, an upper bound (the cover only grows);
* to pick, pop the block with the largest bound; if centers were added since
  its last update, apply them all at once (a matrix-matrix product, several
  times faster per distance than matrix-vector) and push it back; the first
  block popped that is up to date holds the farthest candidate.

A new center lowers the distances of the few candidates near it, so most
blocks keep their bound and are never touched for that pick; ties go to the
lower index, as with ``argmax``. Float32 throughout, memory O(N·D); distances
to the labeled set are computed once, in blocks. With nothing labeled, the
first center is a random candidate (its score is inf).
"""

from __future__ import annotations

import heapq

import numpy as np

from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    ModelOutputs,
    Query,
    QueryStrategy,
)
from activelearn.strategies.candidates import bounded
from activelearn.strategies.geometry import as_float32, min_squared_distances, squared_norms
from activelearn.strategies.registry import register

BLOCK_ROWS = 4096


def k_center_greedy(
    X: np.ndarray,
    labeled: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    block_rows: int = BLOCK_ROWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``n`` greedy k-center picks and their distance to the cover when picked."""
    X = as_float32(X)
    norms = squared_norms(X)
    if len(labeled):
        nearest = min_squared_distances(X, as_float32(labeled))
    else:
        nearest = np.full(len(X), np.inf, dtype=np.float32)
    starts = np.arange(0, len(X), block_rows)
    applied = np.zeros(len(starts), dtype=int)  # centers folded into each block so far
    heap = [(-float(nearest[s : s + block_rows].max()), b) for b, s in enumerate(starts)]
    heapq.heapify(heap)
    chosen = np.empty(n, dtype=int)
    radii = np.empty(n)
    for t in range(n):
        popped = False
        if t == 0 and not len(labeled):
            pick = int(rng.integers(len(X)))  # its block stays queued with bound inf
        else:
            while True:
                _, b = heapq.heappop(heap)
                rows = slice(starts[b], starts[b] + block_rows)
                if applied[b] == t:  # up to date: its maximum is the global one
                    pick = starts[b] + int(nearest[rows].argmax())
                    popped = True
                    break
                centers = chosen[applied[b] : t]
                d2 = norms[rows, None] - 2.0 * (X[rows] @ X[centers].T) + norms[centers]
                np.minimum(nearest[rows], d2.min(axis=1), out=nearest[rows])
                applied[b] = t
                heapq.heappush(heap, (-float(nearest[rows].max()), b))
        chosen[t], radii[t] = pick, nearest[pick]
        nearest[pick] = -1.0  # below any distance: never picked twice, even among duplicates
        if popped:  # return the winning block to the queue with its new bound
            b = pick // block_rows
            heapq.heappush(heap, (-float(nearest[starts[b] : starts[b] + block_rows].max()), b))
    return chosen, np.sqrt(np.maximum(radii, 0.0))


@register
class CoreSet(QueryStrategy):
    name = "coreset"
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        chosen, radii = k_center_greedy(outputs.embeddings, outputs.labeled_embeddings, n, rng)
        return Query(chosen, radii)
