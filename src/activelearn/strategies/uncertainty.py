"""Uncertainty sampling (Lewis & Gale 1994; Settles 2009, "Active Learning Literature Survey").

Each strategy turns the N x C probability matrix into one score per item
and keeps the top ``n``. All three scores are non-negative (0 = certain), so
they also serve as weights for stochastic batch acquisition and information
density.

The scores are computed over cache-sized row blocks
(:func:`~activelearn.strategies.checks.probability_blocks`), and the strategies
validate each block (NaN, negative values, rows not summing to 1) in the same
pass: the array is read from memory once. Least confidence and margin reduce
over transposed blocks, where the per-class maxima are contiguous vector
operations; at 1M x 10 that is 2-3x faster than ``p.max(axis=1)`` alone, so
the checks cost less than they save. The scores are bit for bit those of the
one-line numpy formulas.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import ModelOutputs, ScoringStrategy
from activelearn.strategies.checks import probability_blocks
from activelearn.strategies.registry import register

# Above this many classes margin uses np.partition per block instead of a running top two.
_RUNNING_TOP2_CLASSES = 16


def least_confidence_scores(probabilities: np.ndarray, *, validate: bool = False) -> np.ndarray:
    """1 - max_c p(c|x): high when even the best class is unlikely."""
    p = np.asarray(probabilities)
    out = np.empty(len(p), dtype=np.result_type(p.dtype, np.float32))
    for rows, block in probability_blocks(p, validate=validate, transpose=True):
        np.max(block, axis=0, out=out[rows])
    return np.subtract(1.0, out, out=out)


def margin_scores(probabilities: np.ndarray, *, validate: bool = False) -> np.ndarray:
    """1 - (p_top1 - p_top2): high when the two best classes are close (Scheffer et al. 2001)."""
    p = np.asarray(probabilities)
    out = np.empty(len(p), dtype=np.result_type(p.dtype, np.float32))
    n_classes = p.shape[1]
    if n_classes > _RUNNING_TOP2_CLASSES:
        for rows, block in probability_blocks(p, validate=validate):
            top2 = np.partition(block, -2, axis=1)[:, -2:]
            np.subtract(top2[:, 1], top2[:, 0], out=out[rows])
        return np.subtract(1.0, out, out=out)
    for rows, block in probability_blocks(p, validate=validate, transpose=True):
        if n_classes == 2:
            np.abs(block[0] - block[1], out=out[rows])
            continue
        first, second = np.maximum(block[0], block[1]), np.minimum(block[0], block[1])
        low = np.empty_like(first)
        for column in block[2:]:  # a running top two: exact, no sort
            np.minimum(first, column, out=low)
            np.maximum(second, low, out=second)
            np.maximum(first, column, out=first)
        np.subtract(first, second, out=out[rows])
    return np.subtract(1.0, out, out=out)


def entropy_scores(probabilities: np.ndarray, *, validate: bool = False) -> np.ndarray:
    """Shannon entropy -sum_c p log p in nats (0 log 0 = 0)."""
    # float64: near p = 1/C entropy is flat (quadratic), and float32 would turn
    # thousands of nearly-uniform rows into exact ties.
    p = np.asarray(probabilities, dtype=np.float64)
    out = np.empty(len(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        for rows, block in probability_blocks(p, validate=validate):
            logp = np.log(block)
            if block.min() <= 0:  # 0 log 0 = 0 (not 0 * -inf = NaN); a masked log is 25% slower
                logp[block <= 0] = 0.0
            np.einsum("ij,ij->i", block, logp, out=out[rows])
    return np.negative(out, out=out)


SCORES = {
    "least_confidence": least_confidence_scores,
    "margin": margin_scores,
    "entropy": entropy_scores,
}


def uncertainty_scores(probabilities: np.ndarray, measure: str) -> np.ndarray:
    """Scores by one of :data:`SCORES` (for strategies that let the user pick the measure)."""
    if measure not in SCORES:
        raise ConfigError(f"unknown uncertainty measure {measure!r}; use one of {sorted(SCORES)}")
    return SCORES[measure](probabilities)


class _Uncertainty(ScoringStrategy):
    """Scores one of :data:`SCORES`, validating the probabilities in the same pass."""

    validates = frozenset({"probabilities"})

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        probabilities = outputs.probabilities  # a lazy source validates what it computes
        scores = SCORES[self.name](probabilities, validate=outputs.unchecked("probabilities"))
        outputs.mark_validated("probabilities")
        return scores


@register
class LeastConfidence(_Uncertainty):
    name = "least_confidence"


@register
class Margin(_Uncertainty):
    name = "margin"


@register
class Entropy(_Uncertainty):
    name = "entropy"
