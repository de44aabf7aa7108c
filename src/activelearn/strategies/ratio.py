"""Error-ratio sampling, leakage-free (after the Keras IMDB active-learning tutorial).

The tutorial ("Review Classification using Active Learning", Deshpande 2021)
splits each batch between the classes in proportion to the model's false
positives and false negatives, measured on the *test* set, and draws from
pools already split by *true* label. Both leak. This version keeps the idea
and removes the leaks:

* the error counts come from the validation set;
* items are grouped by the model's *predicted* class, never by hidden labels;
* inside each predicted class the most uncertain items are taken.

For predicted class ``c`` the quota is proportional to the validation items
predicted ``c`` that were wrong. In the binary case that is exactly the
tutorial's split: predicted positives get FP / (FP + FN) of the batch (the
tutorial's share for "ones"), predicted negatives FN / (FP + FN). When the
validation set has no errors the batch is split evenly (the tutorial does so
whenever either count is zero). A group smaller than its quota passes the
rest on to the others.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ModelOutputError
from activelearn.strategies.allocation import allocate
from activelearn.strategies.base import (
    PROBABILITIES,
    VALIDATION,
    ModelOutputs,
    Query,
    QueryStrategy,
    top_k,
)
from activelearn.strategies.registry import register
from activelearn.strategies.uncertainty import uncertainty_scores


def label_columns(labels: np.ndarray, classes: np.ndarray | None, n_columns: int) -> np.ndarray:
    """Column index of each label: its position in ``classes``, or the label itself if none."""
    labels = np.asarray(labels)
    if classes is None:
        columns = labels.astype(int)
        if (columns != labels).any() or (columns < 0).any() or (columns >= n_columns).any():
            raise ModelOutputError(
                "labels are not column indices 0..C-1: pass `classes` in ModelOutputs"
            )
        return columns
    classes = np.asarray(classes)
    order = np.argsort(classes)
    pos = np.searchsorted(classes[order], labels)
    pos = np.clip(pos, 0, len(classes) - 1)
    if (classes[order][pos] != labels).any():
        raise ModelOutputError(
            f"labels {set(labels.tolist()) - set(classes.tolist())} not in classes"
        )
    return order[pos]


def validation_errors_by_prediction(outputs: ModelOutputs) -> np.ndarray:
    """Per class c: how many validation items the model predicted as c wrongly."""
    probabilities = np.asarray(outputs.validation_probabilities)
    n_classes = probabilities.shape[1]
    truth = label_columns(outputs.validation_labels, outputs.classes, n_classes)
    predicted = probabilities.argmax(axis=1)
    wrong = predicted != truth
    return np.bincount(predicted[wrong], minlength=n_classes)


@register
class ErrorRatio(QueryStrategy):
    """Split the batch by predicted class in proportion to validation errors; most uncertain first.

    ``uncertainty`` picks the ranking inside each class: "least_confidence"
    (the tutorial's), "margin" or "entropy".
    """

    name = "ratio"
    requires = frozenset({PROBABILITIES, VALIDATION})

    def __init__(self, uncertainty: str = "least_confidence") -> None:
        uncertainty_scores(np.full((1, 2), 0.5), uncertainty)  # fail early on a bad name
        self.uncertainty = uncertainty

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        probabilities = outputs.probabilities
        errors = validation_errors_by_prediction(outputs)
        predicted = probabilities.argmax(axis=1)
        groups = [np.flatnonzero(predicted == c) for c in range(probabilities.shape[1])]
        quotas = allocate(errors, n, np.array([len(g) for g in groups]))
        scores = uncertainty_scores(probabilities, self.uncertainty)
        chosen = [g[top_k(scores[g], q, rng)] for g, q in zip(groups, quotas, strict=True) if q > 0]
        indices = np.concatenate(chosen)
        indices = indices[np.lexsort((indices, -scores[indices]))]
        note = (
            "quotas by predicted class (validation errors "
            + ", ".join(f"{int(e)}" for e in errors)
            + "): "
            + ", ".join(str(int(q)) for q in quotas)
        )
        return Query(indices, scores[indices], (note,))
