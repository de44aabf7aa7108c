"""Mix a strategy with random sampling.

A ``fraction`` of the batch comes from a base strategy, the rest is drawn at
random from the candidates it did not pick. The random share keeps the
labeled set representative and guards against a base strategy's blind spots
(the project's CIFAR-10 experiment: e.g. 30% margin, 70% random). Indices
come base picks first; random picks have score NaN. Memory is what the base
strategy needs plus the batch: the random share is drawn without listing the
pool's other candidates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import ModelOutputs, Query, QueryStrategy, resolve_base
from activelearn.strategies.candidates import choose_excluding
from activelearn.strategies.registry import register


@register
class Mix(QueryStrategy):
    name = "mix"

    def __init__(
        self,
        base: str | QueryStrategy = "margin",
        fraction: float = 0.5,
        base_params: dict[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ConfigError(f"mix fraction must be between 0 and 1, got {fraction}")
        self.base = resolve_base(base, base_params)
        self.fraction = fraction
        self.requires = self.base.requires
        self.validates = self.base.validates  # the base validates what it scores

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        n_base = int(round(self.fraction * n))
        if n_base > 0:
            picked = self.base.query(outputs, n_base, rng)
        else:
            picked = Query(np.empty(0, dtype=int), np.empty(0))
        # The same draws as rng.choice over the unpicked candidates, without listing them.
        randoms = choose_excluding(
            rng, outputs.n_candidates, picked.indices, n - len(picked.indices)
        )
        indices = np.concatenate([picked.indices, randoms])
        scores = np.concatenate([picked.scores.astype(float), np.full(len(randoms), np.nan)])
        note = f"{len(picked.indices)} from {self.base.name}, {len(randoms)} at random"
        return Query(indices, scores, (*picked.notes, note))
