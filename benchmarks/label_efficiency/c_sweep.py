"""Does logistic regression's C move the IMDB TF-IDF ratio to the full-data model?

    OPENBLAS_NUM_THREADS=1 ACTIVELEARN_IMDB=../shared/data/aclImdb_labeled.tar.gz \\
        python benchmarks/label_efficiency/c_sweep.py      # results/c_sweep.txt

The same split as the experiments (seed 0): 2,000 random pool labels and the
whole pool, balanced class weights, C from 0.25 to 64; validation and test
accuracy. The recipe's default is C = 1.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelearn.catalog import load_task

splits = load_task("imdb", seed=0, features="tfidf").splits
pool, validation, test = splits.pool, splits.validation, splits.test
chosen = np.random.default_rng(0).choice(len(pool.labels), 2000, replace=False)
for name, rows in (("2,000 random", chosen), ("full pool", np.arange(len(pool.labels)))):
    for C in (0.25, 1, 4, 16, 64):
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        model.fit(pool.X[rows], pool.labels[rows])
        val, acc = model.score(validation.X, validation.labels), model.score(test.X, test.labels)
        print(f"{name:13} C={C:<5} validation {val:.4f} test {acc:.4f}", flush=True)
