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
import tracemalloc

import numpy as np
from _common import embeddings, fmt, has, machine_notes, probabilities

from activelearn.strategies import ModelOutputs, make_strategy

TRACE_MEMORY = False  # --memory: also report the peak memory a query allocates


def run(name: str, outputs: ModelOutputs, n: int, **params) -> tuple[float, np.ndarray]:
    strategy = make_strategy(name, **params)
    if TRACE_MEMORY:
        tracemalloc.start()
    start = time.perf_counter()
    picked = strategy.query(outputs, n, np.random.default_rng(0)).indices
    seconds = time.perf_counter() - start
    if TRACE_MEMORY:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {name}: peak memory allocated during the query {peak / 2**20:,.0f} MiB")
    return seconds, picked


def coreset(args: argparse.Namespace) -> None:
    X = embeddings(args.size + args.labeled, args.dim, clusters=args.clusters)
    labeled = X[: args.labeled] + 0.01  # labeled items drawn from the same distribution
    X = X[args.labeled :]
    outputs = ModelOutputs(embeddings=X, labeled_embeddings=labeled)
    seconds, ours = run("coreset", outputs, args.picks)
    data = f"{args.clusters} clusters" if args.clusters else "isotropic Gaussian"
    print(
        f"activelearn coreset: {args.picks} of {args.size:,}x{args.dim} ({data}, "
        f"{args.labeled} labeled): {fmt(seconds)} ({fmt(seconds / args.picks)} per pick)"
    )
    if args.no_peers or args.size > 200_000:
        return  # at 1M the peers would need hours
    everything = np.vstack([X, labeled])  # candidates first, so peers' indices match ours
    unlabeled = np.arange(len(X))
    labeled_idx = np.arange(len(X), len(everything))
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
        explain_divergence(X, labeled, ours, theirs)
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


def explain_divergence(X: np.ndarray, labeled: np.ndarray, ours, theirs) -> None:
    """Where two k-center pick lists first differ, and by how much the two picks' distances do.

    Both are greedy farthest-point; a difference at a near-tie in float32 vs
    float64 arithmetic is rounding, not a different algorithm.
    """
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    differ = np.flatnonzero(ours != theirs)
    if not len(differ):
        return
    t = int(differ[0])
    cover = np.vstack([labeled, X[ours[:t]]]).astype(np.float64)
    gap = [
        np.sqrt(((X[i].astype(np.float64) - cover) ** 2).sum(1).min()) for i in (ours[t], theirs[t])
    ]
    print(
        f"  first difference at pick {t}: distances to the cover (float64) "
        f"{gap[0]:.7f} (ours) vs {gap[1]:.7f} (theirs), "
        f"relative gap {abs(gap[0] - gap[1]) / gap[1]:.1e}"
    )


def badge(args: argparse.Namespace) -> None:
    outputs = ModelOutputs(
        probabilities=probabilities(args.size, args.classes),
        embeddings=embeddings(args.size, args.dim, clusters=args.clusters),
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
        embeddings=embeddings(args.size, args.dim, clusters=args.clusters),
        labeled_embeddings=embeddings(args.labeled, args.dim, seed=1),
    )
    cases = [
        ("information_density", {}),
        ("kmeans", {}),
        ("cluster_margin", {}),
        ("typiclust", {}),
        ("probcover", {"__size": 10_000}),
        ("subsample", {"base": "probcover", "size": 10_000}),
        ("subsample", {"base": "coreset", "size": 10_000}),
        ("subsample", {"base": "coreset", "size": 10_000, "method": "nearest"}),
        ("class_balanced", {"base": "margin"}),
        ("stochastic", {"base": "entropy"}),
    ]
    for name, params in cases:
        size = params.pop("__size", None)  # run on the first `size` candidates only
        subset = outputs if size is None else outputs.subset(np.arange(size))
        seconds, _ = run(name, subset, args.picks, **params)
        print(
            f"{name} {params or ''}: {args.picks} of {subset.n_candidates:,}x{args.dim}: "
            f"{fmt(seconds)}",
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
    parser.add_argument("--clusters", type=int, default=0, help="0: isotropic Gaussian data")
    parser.add_argument("--memory", action="store_true", help="trace peak memory (numpy)")
    args = parser.parse_args()
    global TRACE_MEMORY
    TRACE_MEMORY = args.memory
    if args.picks is None:
        args.picks = {"coreset": 1000, "badge": 100, "others": 100}[args.what]
    print(machine_notes())
    {"coreset": coreset, "badge": badge, "others": others}[args.what](args)


if __name__ == "__main__":
    main()
