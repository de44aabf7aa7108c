"""BADGE: Batch Active learning by Diverse Gradient Embeddings (Ash et al. 2020,
"Deep Batch Active Learning by Diverse, Uncertain Gradient Lower Bounds").

Each candidate's gradient embedding is the gradient of the cross-entropy
loss with respect to the last layer's weights, taking the predicted class
as the label: g_i = (p_i - onehot(argmax p_i)) ⊗ h_i, where h_i is the
penultimate-layer embedding. Its norm grows with uncertainty; k-means++
seeding on these vectors picks a batch that is both uncertain and diverse.

g_i has C·D entries, so it is never built. For an outer product
‖a ⊗ h‖ = ‖a‖·‖h‖ and ⟨a_i ⊗ h_i, a_j ⊗ h_j⟩ = ⟨a_i, a_j⟩·⟨h_i, h_j⟩, hence

    ‖g_i - g_j‖² = ‖a_i‖²‖h_i‖² + ‖a_j‖²‖h_j‖² - 2⟨a_i, a_j⟩⟨h_i, h_j⟩,

one N x C and one N x D matrix-vector product per pick: O(n·N·(C + D)) time,
O(N·(C + D)) memory. As in the authors' code the first center is the
largest gradient; each next one is drawn with probability ∝ squared
distance to the nearest chosen center (D² sampling, Arthur & Vassilvitskii 2007).
"""

from __future__ import annotations

import numpy as np

from activelearn.strategies.base import (
    EMBEDDINGS,
    PROBABILITIES,
    ModelOutputs,
    Query,
    QueryStrategy,
)
from activelearn.strategies.candidates import bounded
from activelearn.strategies.geometry import as_float32, squared_norms
from activelearn.strategies.registry import register


def gradient_factors(probabilities: np.ndarray) -> np.ndarray:
    """a_i = p_i - onehot(argmax p_i): the probability factor of the gradient embedding."""
    a = np.array(probabilities, dtype=np.float32)
    a[np.arange(len(a)), a.argmax(axis=1)] -= 1.0
    return a


def squared_distances_to(a: np.ndarray, h: np.ndarray, norms: np.ndarray, j: int) -> np.ndarray:
    """‖g_i - g_j‖² for all i, with ``norms`` = ‖g_i‖², from the factors only."""
    return np.maximum(norms + norms[j] - 2.0 * (a @ a[j]) * (h @ h[j]), 0.0)


def kmeans_pp(
    a: np.ndarray, h: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeding on the implicit vectors a_i ⊗ h_i; returns picks and their D²."""
    norms = squared_norms(a) * squared_norms(h)
    chosen = np.empty(n, dtype=int)
    weights = np.empty(n)
    first = int(np.lexsort((np.arange(len(norms)), -norms))[0])
    chosen[0], weights[0] = first, norms[first]
    nearest = squared_distances_to(a, h, norms, first).astype(np.float64)
    nearest[first] = 0.0
    for t in range(1, n):
        total = nearest.sum()
        if total > 0:
            pick = int(rng.choice(len(nearest), p=nearest / total))
        else:  # every candidate left duplicates a center: any of them will do
            free = np.ones(len(nearest), dtype=bool)
            free[chosen[:t]] = False
            pick = int(rng.choice(np.flatnonzero(free)))
        chosen[t], weights[t] = pick, nearest[pick]
        np.minimum(nearest, squared_distances_to(a, h, norms, pick), out=nearest)
        nearest[chosen[: t + 1]] = 0.0
    return chosen, weights


@register
class BADGE(QueryStrategy):
    name = "badge"
    requires = frozenset({PROBABILITIES, EMBEDDINGS})

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        a = gradient_factors(outputs.probabilities)
        h = as_float32(outputs.embeddings)
        chosen, weights = kmeans_pp(a, h, n, rng)
        return Query(chosen, weights)
