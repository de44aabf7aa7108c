"""Split a batch of ``n`` into integer quotas, for strategies that sample per group."""

from __future__ import annotations

import numpy as np


def allocate(weights: np.ndarray, n: int, capacities: np.ndarray) -> np.ndarray:
    """Integer quotas proportional to ``weights``, each at most its capacity, summing to ``n``.

    Largest-remainder rounding keeps the split deterministic; what a full group
    cannot take goes to the others in proportion to their weights (or, when
    their weights are all zero, evenly). ``n`` must not exceed the total capacity.
    """
    weights = np.asarray(weights, dtype=float)
    capacities = np.asarray(capacities, dtype=int)
    if n > capacities.sum():
        raise ValueError(f"cannot place {n} items in groups holding {capacities.sum()}")
    quotas = np.zeros(len(weights), dtype=int)
    remaining = n
    while remaining > 0:
        open_ = quotas < capacities
        w = np.where(open_, weights, 0.0)
        if w.sum() <= 0:
            w = open_.astype(float)
        share = remaining * w / w.sum()
        extra = np.minimum(np.floor(share).astype(int), capacities - quotas)
        leftover = remaining - extra.sum()
        # Hand out what rounding left to the largest remainders, ties to the lower group.
        order = np.lexsort((np.arange(len(w)), -(share - np.floor(share))))
        for g in order:
            if leftover == 0:
                break
            if open_[g] and quotas[g] + extra[g] < capacities[g]:
                extra[g] += 1
                leftover -= 1
        quotas += extra
        remaining = n - quotas.sum()
    return quotas
