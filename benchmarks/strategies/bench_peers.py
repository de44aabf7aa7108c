"""The issue-11 table: uncertainty queries end to end and score + select, next to numpy
and the peers, in one process, at 10k / 100k / 1M.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src /work/benchvenv/bin/python \\
        benchmarks/strategies/bench_peers.py --sizes 10000 100000 1000000

End to end: a fitted scikit-learn LogisticRegression over ``--features`` float64
features (10 classes) scores the pool, then the strategy picks ``--batch`` items.
activelearn goes through the loop's outputs provider (``pool_outputs``: predictions
in parts of ``score_batch_size``, validated, scored part by part, streamed top-k),
exactly what ``ActiveLearningLoop`` runs each round. Score + select: the same
probabilities handed over as an array (activelearn's ``query``, which validates them).

The contenders run round-robin within each repeat, each going first in turn, so
the machine's load (and whatever the previous contender left in the caches) falls
on all of them alike; the table gives min / median seconds over ``--repeats``. A peer
predicted (from the previous size) to take longer than ``--peer-budget`` seconds is
not run: its figure is extrapolated linearly and marked "~". Every contender's picks
are compared as sets with numpy's.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
from _common import FixedProba, has, machine_notes
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from activelearn.data.pool import Pool
from activelearn.loop import ActiveLearningLoop
from activelearn.outputs import pool_outputs
from activelearn.strategies import ModelOutputs, make_strategy

NAMES = ("least_confidence", "margin", "entropy")


def numpy_scores(name: str, p: np.ndarray) -> np.ndarray:
    """What anyone would write: one vectorised score, no checks."""
    if name == "least_confidence":
        return 1.0 - p.max(axis=1)
    if name == "margin":
        top2 = np.partition(p, -2, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    return -(p * np.log(p)).sum(axis=1)  # assumes p > 0, as a softmax's are


def numpy_pick(name: str, p: np.ndarray, n: int) -> np.ndarray:
    return np.argpartition(-numpy_scores(name, p), n - 1)[:n]


def contenders(name: str, clf, X, n: int, loop) -> dict[str, dict[str, Callable]]:
    """contender -> {"e2e": fn(), "select": fn(p)} returning picked indices."""
    strategy = make_strategy(name)
    candidates = np.arange(len(X))
    generator = np.random.default_rng(0)  # made once, as a loop makes one per round

    def ours_e2e():
        outputs = pool_outputs(loop, strategy, candidates)
        return strategy.query(outputs, n, generator).indices

    def ours_select(p):
        return strategy.query(ModelOutputs(probabilities=p), n, generator).indices

    out = {
        "numpy": {
            "e2e": lambda: numpy_pick(name, clf.predict_proba(X), n),
            "select": lambda p: numpy_pick(name, p, n),
        },
        "activelearn": {"e2e": ours_e2e, "select": ours_select},
    }
    if has("modAL"):
        from modAL import uncertainty as mu

        fn = {"least_confidence": mu.uncertainty_sampling, "margin": mu.margin_sampling,
              "entropy": mu.entropy_sampling}[name]  # fmt: skip
        score = {"least_confidence": mu._proba_uncertainty, "margin": mu._proba_margin,
                 "entropy": mu._proba_entropy}[name]  # fmt: skip
        from modAL.utils.selection import multi_argmax

        sign = -1 if name == "margin" else 1

        # score + select: modAL's own scoring of given probabilities, then its selection
        out["modAL"] = {
            "e2e": lambda: fn(clf, X, n)[0],
            # as margin_sampling does: the smallest margins, the largest other scores
            "select": lambda p: multi_argmax(sign * score(p), n_instances=n)[0],
        }
    if has("small_text"):
        from small_text.query_strategies import BreakingTies, LeastConfidence, PredictionEntropy

        st = {"least_confidence": LeastConfidence, "margin": BreakingTies,
              "entropy": PredictionEntropy}[name]()  # fmt: skip
        unlabeled, labeled = np.arange(len(X)), np.empty(0, dtype=int)
        out["small-text"] = {
            "e2e": lambda: st.query(clf, X, unlabeled, labeled, None, n=n),
            "select": lambda p: st.query(
                FixedProba(p), _rows(len(p)), unlabeled, labeled, None, n=n
            ),
        }
    if has("skactiveml"):
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import UncertaintySampling

        method = {"least_confidence": "least_confident", "margin": "margin_sampling",
                  "entropy": "entropy"}[name]  # fmt: skip
        sk = SklearnClassifier(clf, classes=np.arange(10))
        sk.fit(X[:20], clf.predict(X[:20]))
        sk.estimator_ = clf  # the fitted model itself, not the refit above
        y = np.full(len(X), np.nan)
        us = UncertaintySampling(method=method, random_state=0)

        def sk_select(p):
            fixed = SklearnClassifier(FixedProba(p), classes=np.arange(p.shape[1]))
            fixed.fit(_rows(2), np.array([0, 1]))
            return us.query(_rows(len(p)), y, fixed, fit_clf=False, batch_size=n)

        out["scikit-activeml"] = {
            "e2e": lambda: us.query(X, y, sk, fit_clf=False, batch_size=n),
            "select": sk_select,
        }
    return out


def _rows(n: int) -> np.ndarray:
    return np.arange(n)[:, None]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer-budget", type=float, default=20.0)
    parser.add_argument("--strategies", nargs="+", default=list(NAMES))
    args = parser.parse_args()
    threadpool_limits(1)
    print(machine_notes(), "| load average", os.getloadavg())
    print(f"batch {args.batch}, 10 classes, LogisticRegression over {args.features} features; "
          f"min / median of {args.repeats}, round-robin")  # fmt: skip
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, args.features))
    rate: dict[tuple, float] = {}
    for size in args.sizes:
        y = rng.integers(10, size=size)
        X = centres[y] * 0.3 + rng.normal(size=(size, args.features))
        clf = LogisticRegression(max_iter=200).fit(X[:2000], y[:2000])
        p = clf.predict_proba(X)
        pool = Pool(X, hidden_labels=y)
        # threads=None: the process is pinned to one BLAS thread for every contender above;
        # the loop's own per-call limit (threads="auto" below 20k rows) costs 0.1-0.9 ms here.
        loop = ActiveLearningLoop(pool, clf, "margin", threads=None)
        loop.fitted = True
        for name in args.strategies:
            runs = contenders(name, clf, X, args.batch, loop)
            for mode in ("e2e", "select"):
                times: dict[str, list[float]] = {c: [] for c in runs}
                picks: dict[str, set] = {}
                skipped = {
                    c for c in runs if rate.get((c, name, mode), 0) * size > args.peer_budget
                }
                for repeat in range(args.repeats):
                    order = list(runs.items())
                    shift = repeat % len(order)  # each contender goes first in turn
                    for c, fns in order[shift:] + order[:shift]:
                        if c in skipped or (c not in ("numpy", "activelearn") and len(times[c]) >= 1
                                            and times[c][0] > 2.0):  # fmt: skip
                            continue
                        start = time.perf_counter()
                        picked = fns["e2e"]() if mode == "e2e" else fns["select"](p)
                        times[c].append(time.perf_counter() - start)
                        picks[c] = set(np.asarray(picked).ravel().astype(int).tolist())
                base = float(np.median(times["numpy"]))
                for c in runs:
                    if c in skipped:
                        guess = rate[(c, name, mode)] * size
                        print(f"{size:>9,} {name:<17} {mode:<6} {c:<16} ~{guess * 1e3:11.0f} ms "
                              "(extrapolated linearly, not run)")  # fmt: skip
                        continue
                    t = np.array(times[c])
                    rate[(c, name, mode)] = t.min() / size
                    same = picks[c] == picks["numpy"]
                    print(f"{size:>9,} {name:<17} {mode:<6} {c:<16} {t.min() * 1e3:11.3f} / "
                          f"{np.median(t) * 1e3:.3f} ms  ({np.median(t) / base:5.2f}x numpy, "
                          f"n={len(t)})  same picks: {same}", flush=True)  # fmt: skip
    print("load average at the end", os.getloadavg())


if __name__ == "__main__":
    main()
