"""IMDB load, TF-IDF and token-id timings, and a full-data sanity accuracy.

Usage (from the repository root):
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/features/bench_imdb_features.py ARCHIVE
Fits TF-IDF on the 22,500-review pool (train minus a 10% validation split),
trains logistic regression on all pool labels and reports test accuracy
(DESIGN.md expects about 90.5% for TF-IDF 1-2 grams on all 25k).
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelearn.data import load_imdb, make_pool
from activelearn.features import TextVectorizer, TfidfFeaturizer


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - t0:.1f} s")
    return result


def main() -> None:
    train, test = timed("load_imdb", lambda: load_imdb(sys.argv[1], download=False))
    featurizer = TfidfFeaturizer()
    splits = timed(
        "make_pool + TF-IDF fit/transform",
        lambda: make_pool(train, np.random.default_rng(0), test=test, featurizer=featurizer),
    )
    print(f"TF-IDF vocabulary: {featurizer.vocabulary_size} terms, pool {splits.pool.X.shape}")
    model = timed(
        "logistic regression (all pool labels)",
        lambda: LogisticRegression(C=10, max_iter=1000).fit(
            splits.pool.X, splits.pool.hidden_labels
        ),
    )
    for name, part in (("validation", splits.validation), ("test", splits.test)):
        print(f"{name} accuracy: {np.mean(model.predict(part.X) == part.labels):.4f}")
    vectorizer = TextVectorizer()
    ids = timed("TextVectorizer fit+transform (25k)", lambda: vectorizer.fit_transform(train.X))
    print(f"token ids {ids.shape} {ids.dtype}; OOV share {np.mean(ids == 1):.3f}")


if __name__ == "__main__":
    main()
