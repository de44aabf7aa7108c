"""Class bookkeeping shared by the framework learners (torch, Keras).

Kept apart from the adapters so neither framework has to be installed for the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from activelearn.errors import DataError


def resolve_classes(y: np.ndarray, declared: Iterable[Any] | None) -> np.ndarray:
    """The declared classes, else those in ``y``; a single class is an error because a
    classifier cannot know the others (early labeled sets in active learning can be that small)."""
    if declared is not None:
        return np.asarray(list(declared))
    classes = np.unique(y)
    if len(classes) < 2:
        raise DataError(
            f"the labeled set holds a single class ({classes.tolist()}): "
            "pass `classes=` to the learner so it knows the others"
        )
    return classes


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Labels as int64 class positions; a clear error for a label outside ``classes``."""
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    positions = np.minimum(np.searchsorted(sorted_classes, y), len(classes) - 1)
    unknown = sorted_classes[positions] != y
    if unknown.any():
        raise DataError(
            f"label {y[unknown][0]!r} is not among the classes {classes.tolist()}: "
            "pass every class with `classes=`"
        )
    return order[positions].astype(np.int64)
