"""Random but valid ModelOutputs holding whatever a strategy requires."""

from __future__ import annotations

import numpy as np

from activelearn.strategies import ModelOutputs
from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    PROBABILITIES,
    SAMPLES,
    VALIDATION,
)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def random_outputs(
    requires: frozenset[str],
    n: int,
    rng: np.random.Generator,
    *,
    n_classes: int = 3,
    dim: int = 4,
    n_samples: int = 4,
    n_labeled: int = 3,
) -> ModelOutputs:
    """Outputs for ``n`` candidates; sometimes with ties and duplicates, as real pools have."""
    logits = rng.normal(size=(n, n_classes)) * 3
    if n > 2 and rng.random() < 0.3:
        logits[1] = logits[0]  # an exact tie
    embeddings = rng.normal(size=(n, dim)).astype(np.float32)
    if n > 3 and rng.random() < 0.3:
        embeddings[2] = embeddings[3]  # a duplicate item
    fields: dict = {"size": n}
    if PROBABILITIES in requires:
        fields["probabilities"] = softmax(logits)
    if EMBEDDINGS in requires:
        fields["embeddings"] = embeddings
    if SAMPLES in requires:
        fields["samples"] = softmax(logits + rng.normal(size=(n_samples, n, n_classes)) * 2)
    if LABELED_EMBEDDINGS in requires:
        fields["labeled_embeddings"] = rng.normal(size=(n_labeled, dim)).astype(np.float32)
    if VALIDATION in requires:
        fields["validation_labels"] = rng.integers(n_classes, size=20)
        fields["validation_probabilities"] = softmax(rng.normal(size=(20, n_classes)))
    return ModelOutputs(**fields)
