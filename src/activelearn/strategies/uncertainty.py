"""Uncertainty sampling (Lewis & Gale 1994; Settles 2009, "Active Learning Literature Survey").

Each strategy turns the N x C probability matrix into one score per item in
a single vectorised pass and keeps the top ``n`` with ``argpartition``. All
three scores are non-negative (0 = certain), so they also serve as weights
for stochastic batch acquisition and information density.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import ModelOutputs, ScoringStrategy
from activelearn.strategies.registry import register


def least_confidence_scores(probabilities: np.ndarray) -> np.ndarray:
    """1 - max_c p(c|x): high when even the best class is unlikely."""
    return 1.0 - probabilities.max(axis=1)


def margin_scores(probabilities: np.ndarray) -> np.ndarray:
    """1 - (p_top1 - p_top2): high when the two best classes are close (Scheffer et al. 2001)."""
    if probabilities.shape[1] == 2:
        return 1.0 - np.abs(probabilities[:, 0] - probabilities[:, 1])
    top2 = np.partition(probabilities, -2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy_scores(probabilities: np.ndarray) -> np.ndarray:
    """Shannon entropy -sum_c p log p in nats (0 log 0 = 0)."""
    # float64: near p = 1/C entropy is flat (quadratic), and float32 would turn
    # thousands of nearly-uniform rows into exact ties.
    p = np.asarray(probabilities, dtype=np.float64)
    # log(p) of a zero is -inf and 0 * -inf is NaN: compute the log only where p > 0.
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    return -np.einsum("ij,ij->i", p, logp)


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


@register
class LeastConfidence(ScoringStrategy):
    name = "least_confidence"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return least_confidence_scores(outputs.probabilities)


@register
class Margin(ScoringStrategy):
    name = "margin"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return margin_scores(outputs.probabilities)


@register
class Entropy(ScoringStrategy):
    name = "entropy"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return entropy_scores(outputs.probabilities)
