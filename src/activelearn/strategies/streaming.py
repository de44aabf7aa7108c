"""Top-k over scores that arrive part by part: pools scored in chunks, or in shards.

:class:`StreamingTopK` keeps the leaders of everything seen so far, and every
item tied with the current k-th score, so that :meth:`StreamingTopK.finish`
applies :func:`~activelearn.strategies.base.top_k`'s rules (ties at the cut
drawn with the query's generator, then best first, equal scores by index) to
exactly the items ``top_k`` would have seen: the picks over a streamed or
sharded pool equal the in-memory picks for the same generator, ties included.
Memory is O(k + items tied at the cut), whatever the pool's size (at most twice that
between prunes, which run when the kept items have doubled).
"""

from __future__ import annotations

from typing import Any

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
        # Kept parts (indices, scores, values), pruned to the leaders when they have doubled
        # since the last prune: many ties at the cut cost O(N log N), not O(N^2).
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
        self._size = 0
        self._pruned_size = 0
        self._cut = -np.inf  # the k-th best score at the last prune: never above the true cut
        self._whole: tuple[np.ndarray, np.ndarray | None] | None = None  # a lone first part

    def add(
        self,
        scores: np.ndarray,
        indices: np.ndarray | None = None,
        values: np.ndarray | None = None,
    ) -> None:
        """Scores of the next part (``indices``: theirs, default the next consecutive ones);
        ``values`` ride along with them and come back for the picks."""
        scores = np.asarray(scores)
        if indices is None and self.seen == 0 and not self._parts:
            self._whole = (scores, values)  # pruned only if a second part comes: one pass
            self.seen = len(scores)
            return
        self._flush_whole()
        if indices is None:
            indices = np.arange(self.seen, self.seen + len(scores))
        self.seen += len(scores)
        keep = self._leaders(scores)
        self._merge(
            np.asarray(indices)[keep], scores[keep], None if values is None else values[keep]
        )

    def extend(
        self, indices: np.ndarray, scores: np.ndarray, seen: int, values: np.ndarray | None = None
    ) -> None:
        """Merge leaders computed elsewhere (a shard's :meth:`leaders`) over ``seen`` items."""
        self._flush_whole()
        self.seen += seen
        self._merge(np.asarray(indices, dtype=np.int64), np.asarray(scores), values)

    def leaders(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Indices, scores and values of every item that can still be picked, in index order."""
        self._flush_whole()
        self._prune()
        if not self._parts:
            return np.empty(0, dtype=np.int64), np.empty(0), None
        return self._parts[0]

    def finish(
        self, rng: np.random.Generator | None, k: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` (default: the ``k`` given; at most that) best first, and their
        scores: what ``top_k`` over all scores seen picks. :attr:`picked_values` then
        holds the picks' values."""
        k = self.k if k is None else min(k, self.k)
        if self._whole is not None:
            scores, values = self._whole
            chosen = top_k(scores, k, rng)
            self.picked_values = None if values is None else values[chosen]
            return chosen, scores[chosen]
        indices, scores, values = self.leaders()
        local = top_k(scores, k, rng)
        self.picked_values = None if values is None else values[local]
        return indices[local], scores[local]

    # -- internals --------------------------------------------------------------------------

    def _flush_whole(self) -> None:
        if self._whole is not None:
            (scores, values), self._whole, self.seen = self._whole, None, 0
            self.add(scores, np.arange(len(scores)), values)

    def _kth(self, scores: np.ndarray) -> float:
        return float(-np.partition(-scores, self.k - 1)[self.k - 1])

    def _leaders(self, scores: np.ndarray) -> np.ndarray:
        """Positions in ``scores`` that may belong to the top k (ties at the cut included)."""
        cut = self._cut
        if len(scores) > self.k:
            cut = max(cut, self._kth(scores))
        return np.flatnonzero(scores >= cut)

    def _merge(self, indices: np.ndarray, scores: np.ndarray, values: np.ndarray | None) -> None:
        self._parts.append((indices.astype(np.int64), scores, values))
        self._size += len(scores)
        if self._size > 2 * max(self.k, self._pruned_size):
            self._prune()

    def _prune(self) -> None:
        """Concatenate the kept parts and drop what can no longer reach the top k."""
        if len(self._parts) > 1:
            indices = np.concatenate([part[0] for part in self._parts])
            scores = np.concatenate([part[1] for part in self._parts])
            parts_values = [part[2] for part in self._parts]
            values = None
            if all(v is not None for v in parts_values):
                values = np.concatenate(parts_values)
            self._parts = [(indices, scores, values)]
        if not self._parts:
            return
        indices, scores, values = self._parts[0]
        if len(scores) > self.k:
            self._cut = max(self._cut, self._kth(scores))
            keep = scores >= self._cut
            self._parts = [(indices[keep], scores[keep], None if values is None else values[keep])]
        self._size = self._pruned_size = len(self._parts[0][1])


class GumbelNoise:
    """Stochastic batch acquisition's perturbation, applied part by part: log-weights of
    the scores plus Gumbel noise drawn in candidate order from ``rng``."""

    def __init__(self, mode: str, beta: float, rng: np.random.Generator) -> None:
        self.mode, self.beta, self.rng = mode, beta, rng

    def perturb(self, scores: np.ndarray) -> np.ndarray:
        from activelearn.strategies.stochastic import log_weights

        return log_weights(scores, self.mode, self.beta) + self.rng.gumbel(size=len(scores))


def scored_top_k(
    outputs: Any, strategy: Any, k: int, noise: GumbelNoise | None = None
) -> StreamingTopK:
    """The leaders of ``strategy``'s scores over every candidate, part by part (or shard
    by shard when the outputs' pool is scored on a cluster: ``outputs.shards()``).

    With ``noise`` the ranking key is the perturbed score and the raw scores ride along
    (``picked_values`` after ``finish``).
    """
    shards = outputs.shards()
    if shards is not None and shards.can_score(strategy, noise):
        return shards.top_k(strategy, k, noise)
    top = StreamingTopK(k)
    for scores in strategy.score_parts(outputs):
        if noise is None:
            top.add(scores)
        else:
            top.add(noise.perturb(scores), values=scores)
    return top


def class_leaders(outputs: Any, strategy: Any, k: int) -> tuple[list[StreamingTopK], np.ndarray]:
    """Per predicted class, the leaders of ``strategy``'s scores (at most ``k`` kept per
    class), and how many candidates each class holds: class-balanced quotas, streamed."""
    shards = outputs.shards()
    if shards is not None and shards.can_score(strategy, None):
        return shards.class_leaders(strategy, k)
    tops: list[StreamingTopK] = []
    counts = np.zeros(0, dtype=int)
    offset = 0
    for part in outputs.chunks(strategy.requires | {"probabilities"}):
        predicted = part.probabilities.argmax(axis=1)
        scores = strategy.score(part)
        if not tops:
            tops = [StreamingTopK(k) for _ in range(part.probabilities.shape[1])]
            counts = np.zeros(len(tops), dtype=int)
        for c, top in enumerate(tops):
            members = np.flatnonzero(predicted == c)
            counts[c] += len(members)
            top.add(scores[members], members + offset)
        offset += len(predicted)
    return tops, counts
