"""Information density (Settles & Craven 2008, "An Analysis of Active Learning
Strategies for Sequence Labeling Tasks").

Uncertainty alone favours outliers; weighting it by how representative an
item is of the pool favours uncertain items in dense regions:

    score(x) = uncertainty(x) · density(x) ** beta

Settles & Craven's density is the mean cosine similarity of x to every pool
item, which looks like an N x N computation but is not: with unit vectors
x̂, mean_j cos(x, x_j) = x̂ · mean_j x̂_j. So the exact density costs one
mean and one matrix-vector product, O(N·D). It lies in [-1, 1]; it is
mapped to (1 + cos) / 2 in [0, 1] so that powers stay monotone.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import EMBEDDINGS, PROBABILITIES, ModelOutputs, ScoringStrategy
from activelearn.strategies.geometry import as_float32, squared_norms
from activelearn.strategies.registry import register
from activelearn.strategies.uncertainty import uncertainty_scores


def mean_cosine_similarity(X: np.ndarray) -> np.ndarray:
    """mean_j cos(x_i, x_j) over all rows j (including i), in O(N·D)."""
    X = as_float32(X)
    norms = np.sqrt(squared_norms(X))
    unit = X / np.where(norms > 0, norms, 1.0)[:, None]
    return unit @ unit.mean(axis=0)


@register
class InformationDensity(ScoringStrategy):
    name = "information_density"
    requires = frozenset({PROBABILITIES, EMBEDDINGS})
    rowwise = False  # density compares each candidate with all the others

    def __init__(self, uncertainty: str = "entropy", beta: float = 1.0) -> None:
        uncertainty_scores(np.full((1, 2), 0.5), uncertainty)  # fail early on a bad name
        if beta < 0:
            raise ConfigError(f"beta must be non-negative, got {beta}")
        self.uncertainty = uncertainty
        self.beta = beta

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        density = np.clip((1.0 + mean_cosine_similarity(outputs.embeddings)) / 2.0, 0.0, 1.0)
        return uncertainty_scores(outputs.probabilities, self.uncertainty) * density**self.beta
