"""Does a better guesser for the whole-pool pseudo-labels lift IMDB's refit? (TABLE.md)

    OPENBLAS_NUM_THREADS=1 ACTIVELEARN_IMDB=../shared/data/aclImdb_labeled.tar.gz \\
        python benchmarks/label_efficiency/pseudo_teacher_diag.py
    # output: results/pseudo_teacher_diag.txt

Seeds 0-2, TF-IDF. A plain margin loop (100 random, batches of 100 to 2,000,
as in pool_self_training_diag.py) chooses the labels. Then a *teacher*
trained on those labels guesses the rest of the pool, and the table's
learner (balanced logistic regression, C = 1, the full-data model's C)
refits on the labels plus every guess. Teachers: the learner itself (what
the loop does), multinomial naive Bayes, the two averaged, five bootstrap
copies of the learner averaged, and the learner at C = 0.25 and 4. How
right the guesses are is printed beside the refit: if better guesses gave a
better refit, a stronger teacher would close the last 0.2 points. Test
accuracy is only reported; nothing here is chosen on it.
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.sparse as sp
from imdb_margin import fit, margin_labels, scores
from sklearn.naive_bayes import MultinomialNB

from activelearn.catalog import load_task

for seed in [int(s) for s in sys.argv[1:]] or [0, 1, 2]:
    splits = load_task("imdb", seed=seed, features="tfidf").splits
    pool, val, test = splits.pool, splits.validation, splits.test
    y = pool.labels
    rng = np.random.default_rng(seed)
    labeled = margin_labels(pool, rng)  # rng goes on to draw the bootstraps below
    rest = np.setdiff1d(np.arange(len(y)), labeled)
    XL, XR, yL = pool.X[labeled], pool.X[rest], y[labeled]
    plain = fit(XL, yL)
    print(f"seed {seed}: 2,000 margin labels {scores(plain, val, test)}", flush=True)
    own = plain.predict_proba(XR)
    bayes = MultinomialNB(alpha=0.1).fit(XL, yL).predict_proba(XR)
    boots = [rng.choice(len(labeled), len(labeled), replace=True) for _ in range(5)]
    teachers = {
        "the learner (the loop's)": own,
        "naive Bayes (alpha 0.1)": bayes,
        "naive Bayes + the learner": (bayes + own) / 2,
        "5 bootstrap learners": np.mean([fit(XL[b], yL[b]).predict_proba(XR) for b in boots], 0),
        "the learner at C = 0.25": fit(XL, yL, C=0.25).predict_proba(XR),
        "the learner at C = 4": fit(XL, yL, C=4).predict_proba(XR),
    }
    X = sp.vstack([XL, XR])
    for name, probabilities in teachers.items():
        guesses = plain.classes_[probabilities.argmax(1)]
        refit = fit(X, np.concatenate([yL, guesses]))
        print(f"  teacher {name:<27}: guesses {np.mean(guesses == y[rest]):.1%} right; "
              f"refit {scores(refit, val, test)}", flush=True)  # fmt: skip
