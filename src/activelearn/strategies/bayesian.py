"""Bayesian uncertainty from Monte-Carlo samples ``K x N x C``.

The samples are K stochastic forward passes (MC dropout, Gal & Ghahramani
2016) or K committee members' probabilities. Every score is accumulated
over the K samples one at a time, so memory stays O(N·C) beyond the input
and time is linear in K.

* ``bald``: mutual information between the prediction and the model
  parameters, H[mean_k p_k] - mean_k H[p_k] (Houlsby et al. 2011, "Bayesian
  Active Learning for Classification and Preference Learning"; Gal et al.
  2017, "Deep Bayesian Active Learning with Image Data"). High where the
  samples are each confident but disagree.
* ``mean_std``: the class-averaged standard deviation of p(c) over samples
  (Kampffmeyer et al. 2016).
* ``variation_ratios``: 1 - max_c mean_k p_k(c), Freeman's (1965) variation
  ratio in the form Gal et al. (2017) use.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import SAMPLES, ModelOutputs, ScoringStrategy
from activelearn.strategies.registry import register
from activelearn.strategies.uncertainty import entropy_scores


def mean_probabilities(samples: np.ndarray) -> np.ndarray:
    """mean_k p_k, N x C, summed one sample at a time."""
    total = np.zeros(samples.shape[1:], dtype=np.float64)
    for sample in samples:
        total += sample
    return total / len(samples)


def bald_scores(samples: np.ndarray) -> np.ndarray:
    """H[mean_k p_k] - mean_k H[p_k]; clipped at 0 against rounding."""
    expected_entropy = np.zeros(samples.shape[1])
    for sample in samples:
        expected_entropy += entropy_scores(sample)
    expected_entropy /= len(samples)
    return np.maximum(entropy_scores(mean_probabilities(samples)) - expected_entropy, 0.0)


def mean_std_scores(samples: np.ndarray) -> np.ndarray:
    """mean_c std_k p_k(c), with the population standard deviation."""
    mean = mean_probabilities(samples)
    squares = np.zeros_like(mean)
    for sample in samples:
        squares += (sample - mean) ** 2
    return np.sqrt(squares / len(samples)).mean(axis=1)


def variation_ratio_scores(samples: np.ndarray) -> np.ndarray:
    """1 - max_c mean_k p_k(c)."""
    return 1.0 - mean_probabilities(samples).max(axis=1)


class _SampleScore(ScoringStrategy):
    requires = frozenset({SAMPLES})

    def __init__(self, n_samples: int | None = None) -> None:
        """``n_samples``: Monte-Carlo passes or committee members to use; ``None`` takes
        every member of a committee, or the learner's default number of dropout passes."""
        if n_samples is not None and (isinstance(n_samples, bool) or n_samples < 2):
            raise ConfigError(f"n_samples must be at least 2 (or unset), got {n_samples!r}")
        self.n_samples = n_samples


@register
class BALD(_SampleScore):
    name = "bald"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return bald_scores(outputs.samples)


@register
class MeanStd(_SampleScore):
    name = "mean_std"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return mean_std_scores(outputs.samples)


@register
class VariationRatios(_SampleScore):
    name = "variation_ratios"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return variation_ratio_scores(outputs.samples)
