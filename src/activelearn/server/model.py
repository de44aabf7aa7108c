"""The server's default text model, and training it away from the request path.

TF-IDF (1-2 grams) + logistic regression with balanced class weights: about
90% on IMDB with all labels and robust on the small skewed labeled sets of
early rounds (see DESIGN.md). Models are never written to disk: a version is
rebuilt from the label rows it was trained on, so restarting the server
never unpickles a file that someone could have swapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelearn.errors import DataError
from activelearn.features.tfidf import TfidfFeaturizer
from activelearn.learners.base import predict_proba
from activelearn.metrics import classification_metrics

MAX_EXAMPLES = 20  # false positives/negatives listed per version


class TextModel:
    """TF-IDF features (:mod:`activelearn.features.tfidf`) + balanced logistic regression.

    Words must appear in two training texts once there are enough texts for
    that to leave a vocabulary; small early labeled sets keep every word.
    """

    def __init__(self, seed: int, small: int = 1000) -> None:
        self.seed = seed
        self.small = small

    def fit(self, texts: list[str], labels: list[str]) -> TextModel:
        self.features = TfidfFeaturizer(
            min_df=1 if len(texts) < self.small else 2, max_features=200_000
        )
        self.classifier = LogisticRegression(
            class_weight="balanced", max_iter=1000, random_state=self.seed
        )
        self.classifier.fit(self.features.fit_transform(texts), labels)
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.classifier.classes_

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.classifier.predict_proba(self.features.transform(texts))


@dataclass
class TrainResult:
    """What a training job sends back: the model, its held-out metrics, the pool's probabilities."""

    model: TextModel
    metrics: dict[str, Any]
    pool_probabilities: np.ndarray


def train_and_score(
    train_texts: list[str],
    train_labels: list[str],
    heldout_texts: list[str],
    heldout_labels: list[str],
    pool_texts: list[str],
    classes: list[str],
    seed: int,
) -> TrainResult:
    """Fit on the training labels, evaluate on the held-out ones, score the unlabeled pool.

    A plain function of plain data so it can run in a child process.
    """
    if len(set(train_labels)) < 2:
        raise DataError(
            f"the training labels hold only {sorted(set(train_labels))}: "
            "a model needs at least two classes"
        )
    model = TextModel(seed).fit(train_texts, train_labels)
    labels = np.asarray(classes, dtype=object)
    metrics: dict[str, Any] = {}
    if heldout_texts:
        proba = probabilities(model, heldout_texts, labels)
        truth = np.asarray(heldout_labels, dtype=object)
        metrics = classification_metrics(truth, proba, labels)
        predicted = labels[proba.argmax(axis=1)]
        wrong = np.flatnonzero(predicted != truth)
        metrics["errors"] = [
            {"index": int(i), "label": str(truth[i]), "predicted": str(predicted[i])}
            for i in wrong[:MAX_EXAMPLES]
        ]
    pool = probabilities(model, pool_texts, labels) if pool_texts else np.empty((0, len(classes)))
    return TrainResult(model, metrics, pool)


def probabilities(model: TextModel, texts: list[str], classes: np.ndarray) -> np.ndarray:
    """Probabilities with columns in the project's class order (unseen classes get 0)."""
    return predict_proba(model, texts, classes)
