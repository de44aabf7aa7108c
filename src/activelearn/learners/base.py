"""The learner contract.

Anything with scikit-learn's ``fit(X, y)`` and ``predict_proba(X)`` is a
learner already. Two optional methods unlock more strategies:
``embed(X) -> N x D`` (diversity, cold start) and
``predict_proba_samples(X, k) -> k x N x C`` (Monte-Carlo dropout, BALD).

Learners receive labels as given; ``predict_proba`` columns follow
``learner.classes_`` (scikit-learn's convention).
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import clone


@runtime_checkable
class Learner(Protocol):
    def fit(self, X: Any, y: np.ndarray) -> Any: ...

    def predict_proba(self, X: Any) -> np.ndarray: ...


def can_embed(learner: Any) -> bool:
    return callable(getattr(learner, "embed", None))


def can_sample(learner: Any) -> bool:
    return callable(getattr(learner, "predict_proba_samples", None))


def fit(learner: Any, X: Any, y: np.ndarray, validation: tuple[Any, Any] | None = None) -> Any:
    """Fit ``learner``, handing ``validation`` to those whose ``fit`` takes it (early stopping).

    scikit-learn estimators do not take it and are fitted on ``X, y`` alone.
    """
    if validation is not None and _accepts(learner.fit, "validation"):
        return learner.fit(X, y, validation=validation)
    return learner.fit(X, y)


def predict_proba(learner: Any, X: Any, classes: np.ndarray) -> np.ndarray:
    """``learner.predict_proba(X)`` with columns in ``classes`` order (0 for unseen classes)."""
    from activelearn.metrics import align_columns

    probabilities = np.asarray(learner.predict_proba(X))
    return align_columns(probabilities, getattr(learner, "classes_", classes), classes)


def _accepts(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def fresh_copy(learner: Any) -> Any:
    """An unfitted copy with the same settings (scikit-learn ``clone`` where it applies)."""
    try:
        return clone(learner)
    except TypeError:
        import copy

        return copy.deepcopy(learner)
