"""Embedding strategies: core-set, BADGE and the clustering/cold-start ones.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_diversity.py coreset
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_diversity.py coreset \
        --size 1000000 --picks 200          # per-pick cost is constant: extrapolate linearly
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_diversity.py badge
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_diversity.py others

Inputs are random Gaussian float32 embeddings (384-d, like MiniLM) and
softmax probabilities; ``--labeled`` items form the labeled set. For
core-set, scikit-activeml and small-text run on the same data when
installed (small-text for ``--peer-picks`` picks only: its greedy core-set
recomputes every distance per pick, so its full time is extrapolated with
its own cost model, O(N·d·(k·M + k²/2)) for k picks and M labeled).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import embeddings, fmt, has, machine_notes, probabilities

from activelearn.strategies import ModelOutputs, make_strategy


def run(name: str, outputs: ModelOutputs, n: int, **params) -> tuple[float, np.ndarray]:
    strategy = make_strategy(name, **params)
    start = time.perf_counter()
    picked = strategy.query(outputs, n, np.random.default_rng(0)).indices
    return time.perf_counter() - start, picked


def coreset(args: argparse.Namespace) -> None:
    X = embeddings(args.size, args.dim)
    labeled = embeddings(args.labeled, args.dim, seed=1)
    outputs = ModelOutputs(embeddings=X, labeled_embeddings=labeled)
    seconds, ours = run("coreset", outputs, args.picks)
    print(
        f"activelearn coreset: {args.picks} of {args.size:,}x{args.dim} "
        f"({args.labeled} labeled): {fmt(seconds)} ({fmt(seconds / args.picks)} per pick)"
    )
    if args.no_peers or args.size > 200_000:
        return  # at 1M the peers would need hours
    everything = np.vstack([X, labeled])  # candidates first, so peers' indices match ours
    unlabeled = np.arange(args.size)
    labeled_idx = np.arange(args.size, args.size + args.labeled)
    if has("skactiveml"):
        from skactiveml.pool import CoreSet

        y = np.full(len(everything), np.nan)
        y[labeled_idx] = 0
        start = time.perf_counter()
        theirs = CoreSet(random_state=0).query(everything, y, batch_size=args.picks)
        seconds_peer = time.perf_counter() - start
        print(
            f"scikit-activeml CoreSet: {fmt(seconds_peer)} ({seconds_peer / seconds:.1f}x ours), "
            f"same picks in the same order: {np.array_equal(theirs, ours)}"
        )
    if has("small_text"):
        from small_text.query_strategies.coresets import greedy_coreset

        k = min(args.peer_picks, args.picks)
        start = time.perf_counter()
        theirs = greedy_coreset(everything, unlabeled, labeled_idx, k, distance_metric="euclidean")
        seconds_peer = time.perf_counter() - start
        work = lambda picks: picks * args.labeled + picks**2 / 2  # noqa: E731
        full = seconds_peer * work(args.picks) / work(k)
        print(
            f"small-text greedy_coreset: {k} picks {fmt(seconds_peer)}; "
            f"{args.picks} picks ~{fmt(full)} (extrapolated, {full / seconds:.0f}x ours); "
            f"same first {k} picks in order: {np.array_equal(theirs, ours[:k])}"
        )


def badge(args: argparse.Namespace) -> None:
    outputs = ModelOutputs(
        probabilities=probabilities(args.size, args.classes),
        embeddings=embeddings(args.size, args.dim),
    )
    seconds, _ = run("badge", outputs, args.picks)
    print(
        f"activelearn badge: {args.picks} of {args.size:,} ({args.classes} classes, "
        f"{args.dim}-d): {fmt(seconds)}; the gradient embeddings would be "
        f"{args.size * args.classes * args.dim * 4 / 2**30:.1f} GiB, never built"
    )


def others(args: argparse.Namespace) -> None:
    outputs = ModelOutputs(
        probabilities=probabilities(args.size, args.classes),
        embeddings=embeddings(args.size, args.dim),
        labeled_embeddings=embeddings(args.labeled, args.dim, seed=1),
    )
    cases = [
        ("information_density", {}),
        ("kmeans", {}),
        ("kmeans", {"minibatch": True}),
        ("cluster_margin", {}),
        ("typiclust", {}),
        ("probcover", {}),
        ("subsample", {"base": "coreset", "size": 10_000}),
        ("subsample", {"base": "coreset", "size": 10_000, "method": "nearest"}),
        ("class_balanced", {"base": "margin"}),
        ("stochastic", {"base": "entropy"}),
    ]
    for name, params in cases:
        seconds, _ = run(name, outputs, args.picks, **params)
        print(
            f"{name} {params or ''}: {args.picks} of {args.size:,}x{args.dim}: {fmt(seconds)}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["coreset", "badge", "others"])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--labeled", type=int, default=100)
    parser.add_argument("--picks", type=int, default=None)
    parser.add_argument("--peer-picks", type=int, default=100)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    if args.picks is None:
        args.picks = {"coreset": 1000, "badge": 100, "others": 100}[args.what]
    print(machine_notes())
    {"coreset": coreset, "badge": badge, "others": others}[args.what](args)


if __name__ == "__main__":
    main()
