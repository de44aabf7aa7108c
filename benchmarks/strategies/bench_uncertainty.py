"""Uncertainty query time vs pool size, next to a plain numpy baseline and the peers.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_uncertainty.py

Times the strategy's ``select`` (scoring + top-n: the part that is the
strategy's own work) and ``query`` (``select`` plus input validation), the
baseline "score + argpartition" in plain numpy, and, when installed, modAL,
small-text and scikit-activeml on the same probabilities. A peer whose
time at the previous size predicts more than ``--peer-budget`` seconds is
not run; its figure is extrapolated linearly (marked "~"). Also checks that peers pick the
same items (as sets: peers return them unordered).
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
from _common import FixedProba, best_of, fmt, has, machine_notes, probabilities

from activelearn.strategies import ModelOutputs, make_strategy

BATCH = 100


def baseline(name: str, p: np.ndarray, n: int) -> np.ndarray:
    """What anyone would write: one vectorised score, argpartition, no checks, no tie rules."""
    if name == "least_confidence":
        score = 1.0 - p.max(axis=1)
    elif name == "margin":
        top2 = np.partition(p, -2, axis=1)[:, -2:]
        score = top2[:, 0] - top2[:, 1]
    else:
        score = -(p * np.log(p)).sum(axis=1)  # assumes p > 0, as the benchmark's are
    return np.argpartition(-score, n - 1)[:n]


def peer_runners(p: np.ndarray) -> dict[str, dict[str, object]]:
    """name -> {strategy: callable returning picked indices} for the installed peers."""
    X = np.arange(len(p))[:, None]
    clf = FixedProba(p)
    runners: dict[str, dict[str, object]] = {}
    if has("modAL"):
        from modAL.uncertainty import entropy_sampling, margin_sampling, uncertainty_sampling

        runners["modAL"] = {
            "least_confidence": lambda: uncertainty_sampling(clf, X, BATCH)[0],
            "margin": lambda: margin_sampling(clf, X, BATCH)[0],
            "entropy": lambda: entropy_sampling(clf, X, BATCH)[0],
        }
    if has("small_text"):
        from small_text.query_strategies import BreakingTies, LeastConfidence, PredictionEntropy

        unlabeled, labeled = np.arange(len(p)), np.empty(0, dtype=int)

        def small_text(strategy):
            return lambda: strategy.query(clf, X, unlabeled, labeled, None, n=BATCH)

        runners["small-text"] = {
            "least_confidence": small_text(LeastConfidence()),
            "margin": small_text(BreakingTies()),
            "entropy": small_text(PredictionEntropy()),
        }
    if has("skactiveml"):
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import UncertaintySampling

        sk_clf = SklearnClassifier(FixedProba(p), classes=np.arange(p.shape[1]))
        sk_clf.fit(X[:2], np.array([0, 1]))
        y = np.full(len(p), np.nan)

        def skal(method):
            strategy = UncertaintySampling(method=method, random_state=0)
            return lambda: strategy.query(X, y, sk_clf, fit_clf=False, batch_size=BATCH)

        runners["scikit-activeml"] = {
            "least_confidence": skal("least_confident"),
            "margin": skal("margin_sampling"),
            "entropy": skal("entropy"),
        }
    return runners


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--peer-budget",
        type=float,
        default=20.0,
        help="seconds: a peer predicted to take longer is extrapolated, not run",
    )
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    print(machine_notes())
    print(f"batch {BATCH}, {args.classes} classes, float64 probabilities, best of {args.repeats}")
    rng = np.random.default_rng(0)
    slow_peer_rate: dict[tuple[str, str], tuple[float, int]] = {}
    for size in args.sizes:
        p = probabilities(size, args.classes)
        outputs = ModelOutputs(probabilities=p)
        peers = {} if args.no_peers else peer_runners(p)
        for name in ("least_confidence", "margin", "entropy"):
            strategy = make_strategy(name)
            t_base, base_idx = best_of(partial(baseline, name, p, BATCH), args.repeats)
            t_select, ours = best_of(partial(strategy.select, outputs, BATCH, rng), args.repeats)
            t_query, _ = best_of(partial(strategy.query, outputs, BATCH, rng), args.repeats)
            same = set(ours.indices.tolist()) == set(base_idx.tolist())
            line = (
                f"{size:>9,} {name:<17} baseline {fmt(t_base):>9}  select {fmt(t_select):>9} "
                f"({t_select / t_base:.2f}x)  query {fmt(t_query):>9} "
                f"({t_query / t_base:.2f}x)  same picks as baseline: {same}"
            )
            print(line, flush=True)
            for peer, strategies in peers.items():
                key = (peer, name)
                if key in slow_peer_rate and slow_peer_rate[key][0] * size > args.peer_budget:
                    rate, measured_at = slow_peer_rate[key]
                    print(
                        f"{'':>9} {'':<17}   {peer:<16} ~{fmt(rate * size):>8} "
                        f"(extrapolated linearly from {measured_at:,}: not run)"
                    )
                    continue
                t_peer, picked = best_of(strategies[name], 1 if size > 10_000 else 3)
                picked = np.asarray(picked).ravel().astype(int)
                same = set(picked.tolist()) == set(ours.indices.tolist())
                print(
                    f"{'':>9} {'':<17}   {peer:<16} {fmt(t_peer):>9} "
                    f"({t_peer / t_select:.1f}x ours)  same picks: {same}",
                    flush=True,
                )
                slow_peer_rate[key] = (t_peer / size, size)


if __name__ == "__main__":
    main()
