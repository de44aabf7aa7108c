"""Top-k over scores that arrive part by part: pools scored in chunks, or in shards.

:class:`StreamingTopK` keeps the leaders of everything seen so far, and every
item tied with the current k-th score, so that :meth:`StreamingTopK.finish`
applies :func:`~activelearn.strategies.base.top_k`'s rules (ties at the cut
drawn with the query's generator, then best first, equal scores by index) to
exactly the items ``top_k`` would have seen: the picks over a streamed or
sharded pool equal the in-memory picks for the same generator, ties included.
Memory is O(k + items tied at the cut), whatever the pool's size.
"""

from __future__ import annotations

import numpy as np

from activelearn.strategies.base import top_k


class StreamingTopK:
    """The ``k`` largest scores of a stream (NaN scores are never kept).

    Parts must arrive in increasing index order (``add`` numbers them
    consecutively unless given their indices); :meth:`extend` takes another
    accumulator's leaders, for the driver merging shards in shard order.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.seen = 0
        self._indices = np.empty(0, dtype=np.int64)
        self._scores: np.ndarray | None = None
        self._whole: np.ndarray | None = None  # a lone first part, kept unpruned (one pass)

    def add(self, scores: np.ndarray, indices: np.ndarray | None = None) -> None:
        scores = np.asarray(scores)
        if indices is None and self.seen == 0 and self._scores is None:
            self._whole = scores
            self.seen = len(scores)
            return
        self._flush_whole()
        if indices is None:
            indices = np.arange(self.seen, self.seen + len(scores))
        self.seen += len(scores)
        keep = self._leaders(scores)
        self._merge(np.asarray(indices)[keep], scores[keep])

    def extend(self, indices: np.ndarray, scores: np.ndarray, seen: int) -> None:
        """Merge leaders computed elsewhere (a shard's ``leaders()``) over ``seen`` items."""
        self._flush_whole()
        self.seen += seen
        self._merge(np.asarray(indices, dtype=np.int64), np.asarray(scores))

    def leaders(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of every item that can still be picked, in index order."""
        self._flush_whole()
        return self._indices, self._scores if self._scores is not None else np.empty(0)

    def finish(self, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
        """The picks (best first) and their scores, as ``top_k`` over all scores seen."""
        if self._whole is not None:
            chosen = top_k(self._whole, self.k, rng)
            return chosen, self._whole[chosen]
        indices, scores = self.leaders()
        local = top_k(scores, self.k, rng)
        return indices[local], scores[local]

    # -- internals --------------------------------------------------------------------------

    def _flush_whole(self) -> None:
        if self._whole is not None:
            whole, self._whole, self.seen = self._whole, None, 0
            self.add(whole, np.arange(len(whole)))

    def _threshold(self) -> float:
        """The k-th best score kept so far (-inf until k are kept)."""
        if self._scores is None or len(self._scores) < self.k:
            return -np.inf
        return float(-np.partition(-self._scores, self.k - 1)[self.k - 1])

    def _leaders(self, scores: np.ndarray) -> np.ndarray:
        """Positions in ``scores`` that may belong to the top k (ties at the cut included)."""
        cut = self._threshold()
        if len(scores) > self.k:
            cut = max(cut, float(-np.partition(-scores, self.k - 1)[self.k - 1]))
        return np.flatnonzero(scores >= cut)

    def _merge(self, indices: np.ndarray, scores: np.ndarray) -> None:
        if self._scores is None:
            self._indices, self._scores = indices.astype(np.int64), scores
        else:
            self._indices = np.concatenate([self._indices, indices])
            self._scores = np.concatenate([self._scores, scores])
        if len(self._scores) > self.k:
            keep = self._scores >= self._threshold()
            self._indices, self._scores = self._indices[keep], self._scores[keep]
