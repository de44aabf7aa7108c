"""Does weighting the whole-pool pseudo-labels close IMDB's last 0.2 points? (TABLE.md)

    OPENBLAS_NUM_THREADS=1 ACTIVELEARN_IMDB=../shared/data/aclImdb_labeled.tar.gz \\
        python benchmarks/label_efficiency/pseudo_weight_diag.py
    # output: results/pseudo_weight_diag.txt

Seeds 0-2, TF-IDF + balanced logistic regression at C = 1 (the table's
learner). A plain margin loop (100 random, batches of 100 to 2,000; as in
pool_self_training_diag.py) chooses the labels; the refit takes every guess
for the rest of the pool with sample weight ``w`` (the labels keep weight 1).
Scaling every weight by ``w`` is the same as scaling C by ``w``, so a large
``w`` is mostly a weaker penalty: the full-data model is printed at the C
values that match, the baseline such a refit must then be held to. Test
accuracy is only reported; nothing here is chosen on it.
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.sparse as sp
from imdb_margin import fit, margin_labels, scores

from activelearn.catalog import load_task

for seed in [int(s) for s in sys.argv[1:]] or [0, 1, 2]:
    splits = load_task("imdb", seed=seed, features="tfidf").splits
    pool, val, test = splits.pool, splits.validation, splits.test
    y = pool.labels

    labeled = margin_labels(pool, np.random.default_rng(seed))
    rest = np.setdiff1d(np.arange(len(y)), labeled)
    plain = fit(pool.X[labeled], y[labeled])
    guesses = plain.classes_[plain.predict_proba(pool.X[rest]).argmax(1)]
    X, labels = sp.vstack([pool.X[labeled], pool.X[rest]]), np.concatenate([y[labeled], guesses])
    print(f"seed {seed}: 2,000 margin labels {scores(plain, val, test)}", flush=True)
    for C in (1, 4, 10):
        full = fit(pool.X, y, C=C)
        print(f"  full data ({len(y)} labels) C={C:<2}: {scores(full, val, test)}", flush=True)
    for w in (0.3, 1, 3, 10):
        weights = np.concatenate([np.ones(len(labeled)), np.full(len(rest), float(w))])
        refit = fit(X, labels, weights)
        print(f"  whole-pool refit, pseudo-label weight {w:<4}: {scores(refit, val, test)}",
              flush=True)  # fmt: skip
