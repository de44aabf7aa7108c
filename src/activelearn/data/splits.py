"""Stratified splits and initial seed selection.

Every function takes an explicit ``numpy.random.Generator`` so that a run is
reproducible from its seed and two calls never share hidden global state.
Sizes may be fractions of all items (``0 < size < 1``) or item counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from activelearn.data.pool import Pool
from activelearn.errors import ConfigError, DataError

_SHOWN = 5  # classes named in a message


def _count(size: float, n: int, what: str) -> int:
    """An item count from a fraction of ``n`` or from a count."""
    if isinstance(size, (bool, np.bool_)) or size < 0:
        raise ConfigError(f"{what} must be a fraction in [0, 1) or a count >= 0, got {size!r}")
    if isinstance(size, (int, np.integer)):
        count = int(size)
    elif size < 1:
        count = int(round(size * n))
    else:
        raise ConfigError(
            f"{what}={size!r}: pass a fraction below 1 (like 0.1) or an integer count (like 1000)"
        )
    if count > n:
        raise ConfigError(f"{what}={size!r} asks for {count} items but there are only {n}")
    return count


def _largest_remainder(total: int, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` and stay within ``caps``."""
    share = total * weights / weights.sum()
    counts = np.minimum(np.floor(share).astype(int), caps)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    while counts.sum() < total:
        room = order[counts[order] < caps[order]]
        extra = min(total - counts.sum(), len(room))
        counts[room[:extra]] += 1
    return counts


def stratified_split(
    labels: Sequence[Any], sizes: Sequence[float], rng: np.random.Generator
) -> list[np.ndarray]:
    """Split positions ``0..n-1`` into ``len(sizes) + 1`` parts with the class mix of ``labels``.

    Part ``k`` gets ``sizes[k]`` items (exactly, summed over classes); the last
    part gets the rest. Each class is spread over the parts in proportion, so
    a validation set of a skewed data set is skewed the same way. A class with
    fewer items than there are parts cannot be stratified and is an error
    (drop or merge the class, or ask for fewer parts).
    """
    labels = np.asarray(labels)
    n = len(labels)
    if n == 0:
        raise DataError("cannot split an empty data set")
    counts = [_count(size, n, f"sizes[{k}]") for k, size in enumerate(sizes)]
    if sum(counts) > n:
        raise ConfigError(f"the requested sizes {list(sizes)} add up to more than the {n} items")
    classes, inverse, per_class = np.unique(labels, return_inverse=True, return_counts=True)
    n_parts = 1 + sum(1 for c in counts if c > 0)
    too_few = [
        (c, k) for c, k in zip(classes.tolist(), per_class.tolist(), strict=True) if k < n_parts
    ]
    if too_few and n >= 20 and len(classes) > n / 2 and _numbers(classes):
        # a number per item, not a class per label
        raise DataError(
            f"cannot stratify: the labels take {len(classes)} distinct values for {n} items, "
            "so they look like a numeric feature, not classes: check the label column "
            "(--label-column)"
        )
    if too_few:
        listed = ", ".join(f"{c!r} ({k} items)" for c, k in too_few[:_SHOWN])
        more = f" and {len(too_few) - _SHOWN} more" if len(too_few) > _SHOWN else ""
        raise DataError(
            f"cannot stratify into {n_parts} parts: classes {listed}{more} have fewer items than "
            "parts; collect more items of those classes, merge or drop them, or ask for fewer parts"
        )
    members = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(classes))]
    remaining = per_class.copy()
    taken = np.zeros(len(classes), dtype=int)
    parts = []
    for count in counts:
        per_part = _largest_remainder(count, per_class.astype(float), remaining)
        parts.append(
            np.concatenate(
                [m[t : t + k] for m, t, k in zip(members, taken, per_part, strict=True)]
            ).astype(int)
        )
        taken += per_part
        remaining -= per_part
    parts.append(np.concatenate([m[t:] for m, t in zip(members, taken, strict=True)]).astype(int))
    return [np.sort(part) for part in parts]


def _numbers(values: np.ndarray) -> bool:
    """Whether every value reads as a number (labels that are really a measurement)."""
    try:
        np.asarray(values.tolist(), dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def select_seed(
    pool: Pool, size: int, rng: np.random.Generator, *, balanced: bool = True
) -> np.ndarray:
    """Pool positions of an initial labeled seed, drawn from the unlabeled items.

    Reads the pool's hidden labels, so this is for simulations; with people as
    the oracle, have them label a random sample instead. ``balanced`` draws
    ``size // C`` items per class (the remainder goes to randomly chosen
    classes); otherwise the seed is a uniform random sample. A seed that holds
    a single class is an error, because no classifier can be trained on it.
    Label the seed with ``pool.add_labels(idx, pool.hidden_labels[idx])``.
    """
    if pool.hidden_labels is None:
        raise DataError(
            "choosing a seed from hidden labels needs a pool with hidden labels; "
            "with people as the oracle, have them label a random sample first"
        )
    candidates = pool.unlabeled_indices
    if not isinstance(size, (int, np.integer)) or size < 2:
        raise ConfigError(
            f"seed size must be an integer >= 2 (one item per class at least), got {size!r}"
        )
    if size > len(candidates):
        raise DataError(f"seed size {size} exceeds the {len(candidates)} unlabeled items")
    labels = pool.hidden_labels[candidates]
    if not balanced:
        seed = rng.choice(candidates, size=size, replace=False)
        if len(np.unique(pool.hidden_labels[seed])) < 2:
            raise DataError(
                f"the random seed of {size} items holds only one class; "
                "use a balanced seed or a larger one"
            )
        return np.sort(seed)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise DataError(f"the unlabeled items hold only the class {classes[0]!r}: a seed needs two")
    quota = np.full(len(classes), size // len(classes))
    quota[rng.choice(len(classes), size=size % len(classes), replace=False)] += 1
    short = [
        (c, q, int(np.sum(labels == c)))
        for c, q in zip(classes.tolist(), quota.tolist(), strict=True)
        if np.sum(labels == c) < q
    ]
    if short:
        listed = ", ".join(f"{c!r} needs {q}, has {k}" for c, q, k in short)
        raise DataError(
            f"a balanced seed of {size} cannot be drawn: {listed}; "
            "ask for a smaller seed or pass balanced=False"
        )
    if np.count_nonzero(quota) < 2:
        raise DataError(f"a seed of {size} items would hold only one class: make it larger")
    seed = np.concatenate(
        [
            rng.choice(candidates[labels == c], size=q, replace=False)
            for c, q in zip(classes, quota, strict=True)
        ]
    )
    return np.sort(seed)
