"""Per-round evaluation metrics, computed from probabilities in one place."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, log_loss, precision_recall_fscore_support


def classification_metrics(
    y_true: np.ndarray, probabilities: np.ndarray, classes: np.ndarray
) -> dict[str, Any]:
    """Accuracy, precision/recall/F1 (overall, macro and per class) and log loss;
    false positives/negatives for two classes.

    With two classes the second class (``classes[1]``, e.g. 1 or "pos") is the
    positive one, as in scikit-learn. With more, precision/recall/F1 are
    macro averages and ``fp``/``fn`` are totals over classes (equal to each other).
    Macro averages run over the classes the evaluation set holds: a declared class
    with no item there would add an F1 of 0 that says nothing about the model.
    """
    y_true = np.asarray(y_true)
    predicted = classes[np.argmax(probabilities, axis=1)]
    binary = len(classes) == 2
    present = np.isin(classes, y_true)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true,
        predicted,
        labels=classes if binary or not present.any() else classes[present],
        pos_label=classes[1] if binary else 1,
        average="binary" if binary else "macro",
        zero_division=0,
    )
    class_f1 = precision_recall_fscore_support(
        y_true, predicted, labels=classes, average=None, zero_division=0
    )[2]
    matrix = confusion_matrix(y_true, predicted, labels=classes)
    if binary:
        fp, fn = int(matrix[0, 1]), int(matrix[1, 0])
    else:
        fp = fn = int(matrix.sum() - np.trace(matrix))
    clipped = np.clip(probabilities, 1e-7, 1.0)
    return {
        "accuracy": float(np.mean(predicted == y_true)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "macro_f1": float(np.mean(class_f1[present])) if present.any() else 0.0,
        "class_f1": {str(c): float(f) for c, f in zip(classes.tolist(), class_f1, strict=True)},
        "fp": fp,
        "fn": fn,
        "loss": float(log_loss(y_true, clipped / clipped.sum(1, keepdims=True), labels=classes)),
    }


def align_columns(probabilities: np.ndarray, model_classes: Any, classes: np.ndarray) -> np.ndarray:
    """Reorder a model's probability columns to ``classes``; classes it never saw get 0."""
    model_classes = np.asarray(model_classes)
    if len(model_classes) == len(classes) and (model_classes == classes).all():
        return probabilities
    out = np.zeros((probabilities.shape[0], len(classes)), dtype=probabilities.dtype)
    where = {c: i for i, c in enumerate(classes.tolist())}
    for j, c in enumerate(model_classes.tolist()):
        out[:, where[c]] = probabilities[:, j]
    return out
