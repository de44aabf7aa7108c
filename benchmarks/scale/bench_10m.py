"""A 10M-item pool on disk: margin queries, Ray shards, core-set and BADGE with pre-selection.

    export OPENBLAS_NUM_THREADS=1 PYTHONPATH=src
    python benchmarks/scale/bench_10m.py data      # writes DIR (default /tmp/activelearn-scale)
    python benchmarks/scale/bench_10m.py margin    # on disk 10M vs in memory 1M, one process
    python benchmarks/scale/bench_10m.py rss margin            # peak RSS of one 10M query
    unshare -n sh -c 'ip link set lo up && python benchmarks/scale/bench_10m.py ray'
    python benchmarks/scale/bench_10m.py rss coreset           # or badge: 10M, pre-selected
    python benchmarks/scale/bench_10m.py coverage  # k-center radius: exact vs pre-selected, 1M

The pool: ``features.npy`` (N x 100 float32, 10 classes of Gaussian blobs, read
by a LogisticRegression fitted on 2,000 random rows) and ``embeddings.npy``
(N x 384 float16, 100 clusters, a stand-in for sentence embeddings), both read
through :class:`activelearn.data.ondisk.NpyRows`. 1,000 random items are
labeled. Every query is the loop's own (``ActiveLearningLoop._query``: the
outputs provider, the streamed top-k, the notes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from activelearn.data.ondisk import NpyRows, ondisk_pool
from activelearn.data.pool import Pool
from activelearn.loop import ActiveLearningLoop

N, D, E, CLASSES, LABELED = 10_000_000, 100, 384, 10, 1_000
STEP = 250_000


def make_data(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(CLASSES, D)).astype(np.float32) * 0.35
    clusters = rng.normal(size=(100, E)).astype(np.float32) * 3
    y = rng.integers(CLASSES, size=n).astype(np.int8)
    np.save(folder / "labels.npy", y)
    X = np.lib.format.open_memmap(folder / "features.npy", "w+", np.float32, (n, D))
    H = np.lib.format.open_memmap(folder / "embeddings.npy", "w+", np.float16, (n, E))
    for start in range(0, n, STEP):
        rows = slice(start, min(n, start + STEP))
        m = rows.stop - rows.start
        X[rows] = centres[y[rows]] + rng.standard_normal((m, D), dtype=np.float32)
        which = rng.integers(100, size=m)
        H[rows] = clusters[which] + rng.standard_normal((m, E), dtype=np.float32) * 0.5
    X.flush()
    H.flush()
    print(f"wrote {n:,} items to {folder}")


def build(folder: Path, strategy: str, *, n: int | None = None, in_memory: bool = False,
          scorer=None, max_candidates: int = 100_000):  # fmt: skip
    """A loop over the first ``n`` items (all by default), fitted, 1,000 labeled."""
    y = np.load(folder / "labels.npy")
    features = NpyRows(folder / "features.npy")
    n = n or len(y)
    rng = np.random.default_rng(1)
    seed = np.sort(rng.choice(n, LABELED, replace=False))
    train = np.sort(rng.choice(n, 2_000, replace=False))
    learner = LogisticRegression(max_iter=300).fit(features.take_rows(train), y[train])
    if in_memory:
        pool = Pool(features.take_rows(np.arange(n)), hidden_labels=y[:n])
        embeddings = NpyRows(folder / "embeddings.npy").take_rows(np.arange(n))
    else:
        assert n == len(y), "the on-disk pool is the whole file"
        pool = ondisk_pool(features, hidden_labels=y, max_candidates=max_candidates,
                           scorer=scorer)  # fmt: skip
        embeddings = NpyRows(folder / "embeddings.npy")
    loop = ActiveLearningLoop(pool, learner, strategy, batch_size=100, threads=None,
                              embeddings=embeddings)  # fmt: skip
    pool.add_labels(seed, y[seed])
    loop.fitted = True
    return loop


def query(loop, round_: int = 1) -> tuple[float, np.ndarray, list[str]]:
    start = time.perf_counter()
    ids, info = loop._query(round_)
    return time.perf_counter() - start, np.asarray(ids), info["notes"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_margin(folder: Path, repeats: int) -> None:
    """Per-item throughput: 10M on disk vs 1M in memory, alternating in one process."""
    in_memory = build(folder, "margin", n=1_000_000, in_memory=True)
    on_disk = build(folder, "margin")
    times = {"1M in memory": [], "10M on disk": []}
    for _ in range(repeats):
        for name, loop in (("1M in memory", in_memory), ("10M on disk", on_disk)):
            seconds, _, _ = query(loop)
            times[name].append(seconds)
            print(f"{name:<14} {seconds:7.2f} s", flush=True)
    rate = {}
    for name, t in times.items():
        items = 1_000_000 if name.startswith("1M") else N
        rate[name] = items / np.median(t)
        print(f"{name:<14} min {min(t):.2f} s, median {np.median(t):.2f} s, "
              f"{rate[name] / 1e6:.2f} M items/s (median)")  # fmt: skip
    print(f"in-memory / on-disk throughput: {rate['1M in memory'] / rate['10M on disk']:.2f}x")


def bench_rss(folder: Path, strategy: str) -> None:
    """One 10M query in a fresh process: its peak RSS is the query's (plus start-up)."""
    loop = build(folder, strategy)
    before = peak_rss_mib()
    seconds, ids, notes = query(loop)
    record = {
        "strategy": strategy,
        "seconds": round(seconds, 2),
        "peak_rss_mib_before_query": round(before),
        "peak_rss_mib": round(peak_rss_mib()),
        "picked": len(ids),
        "first_ids": ids[:5].tolist(),
        "notes": notes,
    }
    print(json.dumps(record))


def bench_ray(folder: Path, repeats: int) -> None:
    from activelearn.experiments.sharded import RayPoolScorer

    with RayPoolScorer(workers=2, shards=2) as scorer:
        sharded, alone = build(folder, "margin", scorer=scorer), build(folder, "margin")
        for _ in range(repeats):
            t_ray, ids_ray, _ = query(sharded)
            t_one, ids_one, _ = query(alone)
            print(f"ray (2 workers) {t_ray:6.2f} s | one process {t_one:6.2f} s | "
                  f"identical picks: {np.array_equal(ids_ray, ids_one)} | worker peak RSS "
                  f"{[round(r / 1024) for r in scorer.last_rss]} MiB", flush=True)  # fmt: skip
    print(f"driver peak RSS {peak_rss_mib():.0f} MiB (both pools and both queries)")


def coverage(X: np.ndarray, centres: np.ndarray) -> tuple[float, float]:
    """The k-center radius max_i min_j ||x_i - c_j|| (lower is better) and the mean
    distance to the nearest centre (the radius is set by one outlier; the mean by all)."""
    from activelearn.strategies.geometry import as_float32, min_squared_distances

    d = np.sqrt(min_squared_distances(as_float32(X), as_float32(centres)))
    return float(d.max()), float(d.mean())


def bench_coverage(folder: Path, size: int, candidates: int) -> None:
    """At ``size`` items: exact core-set / BADGE vs the same run on pre-selected candidates."""
    for strategy in ("coreset", "badge"):
        exact = build(folder, strategy, n=size, in_memory=True)
        embeddings = exact.embeddings.astype(np.float32)
        labeled = embeddings[exact.pool.labeled_indices]
        rows = []
        for label, limit in (("exact", None), (f"pre-selected {candidates:,}", candidates)):
            exact.pool.max_candidates = limit  # None: no bound, the in-memory default
            for method in ("random", "uncertainty") if limit else ("-",):
                exact.pool.preselect = "auto" if method == "-" else method
                seconds, ids, notes = query(exact)
                picked = embeddings[exact.pool.positions(ids)]
                radius, mean = coverage(embeddings, np.vstack([labeled, picked]))
                rows.append((label, method, seconds, radius, mean))
                print(f"{strategy:<8} {size:,} {label:<22} {method:<12} {seconds:7.2f} s  "
                      f"k-center radius {radius:.3f}, mean distance {mean:.3f}  "
                      f"notes: {notes[-1:]}", flush=True)  # fmt: skip
        base = rows[0]
        for label, method, _, radius, mean in rows[1:]:
            print(f"{strategy:<8} {label} ({method}): radius {radius / base[3]:.3f}x, "
                  f"mean distance {mean / base[4]:.3f}x the exact run's")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("data", "margin", "rss", "ray", "coverage", "all-rss"))
    parser.add_argument("strategy", nargs="?", default="margin")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/activelearn-scale"))
    parser.add_argument("--n", type=int, default=N)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=100_000)
    args = parser.parse_args()
    threadpool_limits(1)
    print(f"load average {os.getloadavg()}, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}", flush=True)  # fmt: skip
    if args.what == "data":
        make_data(args.dir, args.n)
    elif args.what == "margin":
        bench_margin(args.dir, args.repeats)
    elif args.what == "rss":
        bench_rss(args.dir, args.strategy)
    elif args.what == "all-rss":  # each in its own process, so each peak is its own
        for strategy in ("margin", "coreset", "badge"):
            subprocess.run([sys.executable, __file__, "rss", strategy, "--dir", str(args.dir)],
                           check=True)  # fmt: skip
    elif args.what == "ray":
        bench_ray(args.dir, args.repeats)
    else:
        bench_coverage(args.dir, args.size, args.candidates)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
