"""Random sampling: the baseline every other strategy must beat."""

from __future__ import annotations

import numpy as np

from activelearn.strategies.base import ModelOutputs, Query, QueryStrategy
from activelearn.strategies.registry import register


@register
class RandomSampling(QueryStrategy):
    name = "random"
    requires = frozenset()

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        chosen = rng.choice(outputs.n_candidates, size=n, replace=False)
        return Query(chosen, np.zeros(n))
