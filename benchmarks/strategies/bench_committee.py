"""Committee and Bayesian scores: cost should grow linearly with the number of samples K.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_committee.py

For K in 2..32 Monte-Carlo samples (or committee members) on a 100k x 10
pool, times each strategy's query and prints time / K, which stays flat when
the cost is linear. scikit-activeml's and small-text's BALD take models
rather than samples, so they are not compared here.
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
from _common import best_of, fmt, machine_notes

from activelearn.strategies import ModelOutputs, make_strategy

NAMES = ("bald", "kl_consensus", "vote_entropy", "mean_std", "variation_ratios")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_notes())
    print(f"{args.size:,} candidates, {args.classes} classes, batch 100, best of {args.repeats}")
    rng = np.random.default_rng(0)
    for k in args.ks:
        logits = rng.normal(size=(k, args.size, args.classes))
        samples = np.exp(logits - logits.max(axis=2, keepdims=True))
        samples /= samples.sum(axis=2, keepdims=True)
        outputs = ModelOutputs(samples=samples)
        cells = []
        for name in NAMES:
            strategy = make_strategy(name)
            seconds, _ = best_of(partial(strategy.query, outputs, 100, rng), args.repeats)
            cells.append(f"{name} {fmt(seconds)} ({fmt(seconds / k)}/K)")
        print(f"K={k:>2}: " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    main()
