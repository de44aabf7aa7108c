"""Why does self-training hurt a randomly labeled IMDB set? (TABLE.md, IMDB block)

    OPENBLAS_NUM_THREADS=1 ACTIVELEARN_IMDB=../shared/data/aclImdb_labeled.tar.gz \\
        python benchmarks/label_efficiency/self_training_diag.py   # results/self_training_diag.txt

Seed 0's split, TF-IDF + balanced logistic regression on n random labels;
the threshold as ``self_training`` chooses it (95% precision on validation,
at least 0.6); pseudo-labels per class up to n / 2, taken three ways: the
most confident first (what ``self_training`` does), at random above the
threshold, and the most confident at weight 0.2. Prints their precision
against the hidden truth and the test accuracy before and after the refit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
from sklearn.linear_model import LogisticRegression

from activelearn.catalog import load_task
from activelearn.semi import threshold_on_validation

splits = load_task("imdb", seed=0, features="tfidf").splits
pool, validation, test = splits.pool, splits.validation, splits.test
rng = np.random.default_rng(1)


def fit(X, y, weights=None):
    model = LogisticRegression(max_iter=2000, class_weight="balanced")
    return model.fit(X, y, sample_weight=weights)


for n in (700, 1500):
    labeled = rng.choice(len(pool.labels), n, replace=False)
    model = fit(pool.X[labeled], pool.labels[labeled])
    val = model.predict_proba(validation.X)
    right = model.classes_[val.argmax(1)] == validation.labels
    threshold = threshold_on_validation(val.max(1), right, 0.95, 0.6)
    rest = np.setdiff1d(np.arange(len(pool.labels)), labeled)
    guessed = model.predict_proba(pool.X[rest])
    confidence, guess = guessed.max(1), guessed.argmax(1)
    line = [f"{n} random labels: test {model.score(test.X, test.labels):.4f}"]
    for how in ("most confident", "random above threshold", "most confident, weight 0.2"):
        rows = []
        for c in range(len(model.classes_)):
            candidates = np.flatnonzero((guess == c) & (confidence >= threshold))
            if how.startswith("random"):
                candidates = rng.permutation(candidates)
            else:
                candidates = candidates[np.argsort(-confidence[candidates], kind="stable")]
            rows.append(candidates[: n // 2])
        rows = np.concatenate(rows)
        pseudo = model.classes_[guess[rows]]
        precision = float((pseudo == pool.labels[rest][rows]).mean())
        weight = 0.2 if how.endswith("0.2") else 1.0
        weights = np.concatenate([np.ones(n), np.full(len(rows), weight)])
        refit = fit(
            sparse.vstack([pool.X[labeled], pool.X[rest][rows]]),
            np.concatenate([pool.labels[labeled], pseudo]),
            weights,
        )
        line.append(
            f"{how}: {len(rows)} at precision {precision:.3f} -> "
            f"{refit.score(test.X, test.labels):.4f}"
        )
    print(" | ".join(line), flush=True)
