"""Raw texts in, class probabilities out: TF-IDF refitted on the labeled texts, then
logistic regression (the labeling server's default model, and ``tfidf_logreg``).

About 90% on IMDB with all labels. Words must appear in ``min_df`` training
texts once there are enough texts for that to leave a vocabulary; a small
early labeled set keeps every word.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from activelearn.features.tfidf import TfidfFeaturizer


class TfidfLogisticRegression(ClassifierMixin, BaseEstimator):
    """TF-IDF (1..``ngram_max``-grams, sublinear tf) + logistic regression on texts."""

    def __init__(
        self,
        ngram_max: int = 2,
        min_df: int = 2,
        max_features: int | None = 200_000,
        C: float = 10.0,
        class_weight: Any = "balanced",
        max_iter: int = 1000,
        random_state: int = 0,
        small: int = 1000,
    ) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state
        self.small = small

    def fit(self, texts: list[str], y: Any) -> TfidfLogisticRegression:
        self.features_ = TfidfFeaturizer(
            ngram_range=(1, self.ngram_max),
            min_df=1 if len(texts) < self.small else self.min_df,
            max_features=self.max_features,
        )
        self.classifier_ = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
            random_state=self.random_state,
        )  # fmt: skip
        self.classifier_.fit(self.features_.fit_transform(texts), np.asarray(y))
        self.classes_ = self.classifier_.classes_
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.classifier_.predict_proba(self.features_.transform(texts))

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]
