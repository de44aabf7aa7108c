"""What the IMDB pseudo-label diagnostics share (pool_self_training_diag.py,
pseudo_weight_diag.py, pseudo_teacher_diag.py): the table's learner, one score
line, and a plain margin loop written out (not the library's loop) that picks
the 2,000 labels the pseudo-labels are then tried on."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def fit(X, labels, weights=None, C=1.0):
    """Balanced logistic regression, the table's learner; C = 1 is the full-data model's."""
    model = LogisticRegression(max_iter=3000, class_weight="balanced", C=C)
    return model.fit(X, labels, sample_weight=weights)


def scores(model, val, test) -> str:
    """Validation and test accuracy; the test column is only reported."""
    return f"val {model.score(val.X, val.labels):.4f} test {model.score(test.X, test.labels):.4f}"


def margin_labels(pool, rng, seed_size=100, batch=100, budget=2000) -> np.ndarray:
    """Pool positions a plain margin loop labels: ``seed_size`` random, then batches of the
    smallest margins, to ``budget``."""
    y = pool.labels
    labeled = rng.choice(len(y), seed_size, replace=False)
    while len(labeled) < budget:
        p = fit(pool.X[labeled], y[labeled]).predict_proba(pool.X)
        margin = np.abs(p[:, 1] - p[:, 0])
        margin[labeled] = np.inf
        labeled = np.concatenate([labeled, np.argsort(margin, kind="stable")[:batch]])
    return labeled
