"""Stochastic batch acquisition (Kirsch et al. 2023, "Stochastic Batch Acquisition:
A Simple Baseline for Deep Active Learning", TMLR).

Taking the top ``n`` scores fills a batch with near-duplicates: the scores
of a batch's items are computed as if each were the only one acquired.
Sampling ``n`` items *without replacement* with probabilities derived from
the scores is as cheap as top-k and, in Kirsch et al.'s experiments, as good
as far costlier batch-aware methods (BatchBALD, BADGE). Three variants:

* ``power``:    p_i ∝ s_i ** beta       (scores must be non-negative)
* ``softmax``:  p_i ∝ exp(beta * s_i)
* ``softrank``: p_i ∝ rank_i ** -beta   (rank 1 = highest score; needs no scale)

Sampling uses the Gumbel-top-k trick: add Gumbel noise to the log-weights
and keep the ``n`` largest, which is exactly sequential sampling without
replacement. Any :class:`ScoringStrategy` can serve as the base. ``power``
and ``softmax`` weights are row-wise, so the batch is drawn part by part over
a pool scored in chunks (memory: one part and the leaders).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activelearn.errors import ConfigError, ModelOutputError
from activelearn.strategies.base import (
    ModelOutputs,
    Query,
    QueryStrategy,
    ScoringStrategy,
    resolve_base,
    top_k,
)
from activelearn.strategies.registry import register
from activelearn.strategies.streaming import GumbelNoise, scored_top_k

MODES = ("power", "softmax", "softrank")


def log_weights(scores: np.ndarray, mode: str, beta: float) -> np.ndarray:
    """Log of the unnormalised sampling weights for ``scores``."""
    scores = np.asarray(scores, dtype=np.float64)
    if mode == "power":
        if (scores < 0).any():
            raise ModelOutputError(
                "power sampling needs non-negative scores; use mode='softmax' or 'softrank'"
            )
        if beta == 0:  # s ** 0 = 1 for every item, 0 ** 0 included (not 0 * log 0 = NaN)
            return np.zeros(len(scores))
        with np.errstate(divide="ignore"):
            return beta * np.log(scores)
    if mode == "softmax":
        return beta * scores
    ranks = np.empty(len(scores))
    ranks[np.lexsort((np.arange(len(scores)), -scores))] = np.arange(1, len(scores) + 1)
    return -beta * np.log(ranks)


@register
class StochasticBatch(QueryStrategy):
    """Sample the batch from a base strategy's scores instead of taking its top ``n``."""

    name = "stochastic"

    def __init__(
        self,
        base: str | QueryStrategy = "entropy",
        mode: str = "power",
        beta: float = 1.0,
        base_params: dict[str, Any] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"stochastic mode must be one of {MODES}, got {mode!r}")
        if beta < 0:
            raise ConfigError(f"beta must be non-negative, got {beta}")
        self.base = resolve_base(base, base_params)
        if not isinstance(self.base, ScoringStrategy):
            raise ConfigError(
                f"stochastic sampling needs a strategy that scores every candidate; "
                f"{self.base.name!r} selects a batch jointly"
            )
        self.mode = mode
        self.beta = beta
        self.requires = self.base.requires
        self.validates = self.base.validates  # the base validates what it scores

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if self.mode == "softrank":  # ranks compare every candidate: all scores at once
            scores = self.base.scores(outputs)
            perturbed = log_weights(scores, self.mode, self.beta) + rng.gumbel(size=len(scores))
            chosen = top_k(perturbed, n, rng)
            return Query(chosen, scores[chosen])
        # Part by part: the Gumbel noise of consecutive parts is the same stream as one
        # draw for the whole pool, so the picks equal the all-at-once ones.
        top = scored_top_k(outputs, self.base, n, GumbelNoise(self.mode, self.beta, rng))
        chosen, _ = top.finish(rng)
        return Query(chosen, top.picked_values)
