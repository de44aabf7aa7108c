"""Held-out data with labels: the validation set (decisions) and the test set (reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.pool import n_rows
from activelearn.errors import DataError


@dataclass
class LabeledSet:
    """Items and their labels, kept apart from the pool."""

    X: Any
    y: np.ndarray

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y)
        if n_rows(self.X) != len(self.y):
            raise DataError(f"held-out set has {n_rows(self.X)} items but {len(self.y)} labels")


def as_labeled_set(value: tuple[Any, Any] | LabeledSet | None) -> LabeledSet | None:
    """``(X, y)`` or a LabeledSet (or nothing) as a LabeledSet."""
    if value is None or isinstance(value, LabeledSet):
        return value
    return LabeledSet(*value)
