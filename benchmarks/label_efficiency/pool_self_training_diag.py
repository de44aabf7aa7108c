"""Which pseudo-labels help 2,000 margin-chosen IMDB labels? (TABLE.md, IMDB block)

    OPENBLAS_NUM_THREADS=1 ACTIVELEARN_IMDB=../shared/data/aclImdb_labeled.tar.gz \\
        python benchmarks/label_efficiency/pool_self_training_diag.py
    # output: results/pool_self_training_diag.txt

Seed 0's split, TF-IDF + balanced logistic regression. A plain margin loop
(100 random, batches of 100 to 2,000; written out here, not the library's
loop) chooses the labels; then refits on them plus the model's guesses for
the rest of the pool, three ways: the k most confident guesses per class
(k = 1,000 to 6,000, re-guessed 3 times), every guess (the whole pool;
re-guessed up to 5 times, as hard labels or as soft ones weighted by the
model's probabilities), at C = 1, 2, 4. It prints validation and test
accuracy (the test column only reports; nothing here is chosen on it) and
the full-data model at the same C, the baseline each recipe must be held to.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from imdb_margin import fit, margin_labels
from imdb_margin import scores as _scores

from activelearn.catalog import load_task

splits = load_task("imdb", seed=0, features="tfidf").splits
pool, val, test = splits.pool, splits.validation, splits.test
y = pool.labels
rng = np.random.default_rng(0)


def scores(model) -> str:
    return _scores(model, val, test)


labeled = margin_labels(pool, rng)
rest = np.setdiff1d(np.arange(len(y)), labeled)
XL, XR = pool.X[labeled], pool.X[rest]

for C in (1, 2, 4):
    print(
        f"C={C}: full data ({len(y)} labels) {scores(fit(pool.X, y, C=C))}; "
        f"2,000 margin labels {scores(fit(XL, y[labeled], C=C))}",
        flush=True,
    )

print("\nthe k most confident guesses per class, re-guessed 3 times", flush=True)
for C in (1, 4):
    for k in (1000, 3000, 6000):
        model = fit(XL, y[labeled], C=C)
        for _ in range(3):
            p = model.predict_proba(XR)
            guess, confidence = p.argmax(1), p.max(1)
            rows = np.concatenate([
                np.flatnonzero(guess == c)[np.argsort(-confidence[guess == c])][:k]
                for c in range(2)
            ])  # fmt: skip
            model = fit(sp.vstack([XL, XR[rows]]),
                        np.concatenate([y[labeled], model.classes_[guess[rows]]]), C=C)  # fmt: skip
        right = (model.classes_[guess[rows]] == y[rest][rows]).mean()
        print(f"  C={C} k={k:>5} per class ({right:.1%} right): {scores(model)}", flush=True)

print("\nevery guess (the whole pool), re-guessed: after 1, 2, ... 5 refits", flush=True)
for C in (1, 2, 4):
    for mode in ("hard", "soft"):
        model, line = fit(XL, y[labeled], C=C), []
        for _ in range(5 if C != 2 else 1):
            p = model.predict_proba(XR)
            if mode == "hard":
                X, weights = sp.vstack([XL, XR]), None
                labels = np.concatenate([y[labeled], model.classes_[p.argmax(1)]])
            else:
                X = sp.vstack([XL, XR, XR])
                labels = np.concatenate([y[labeled], np.repeat(model.classes_, len(rest))])
                weights = np.concatenate([np.ones(len(labeled)), p[:, 0], p[:, 1]])
            model = fit(X, labels, weights, C=C)
            line.append(scores(model))
        print(f"  C={C} {mode}: " + " | ".join(line), flush=True)
