"""activelearn's uncertainty query against numpy's one-liner, alone in a process.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/strategies/bench_alone.py --size 10000

At 10k items everything takes well under a millisecond, and in ``bench_peers.py``
the other contenders' allocations sit between two calls; here only the two
alternate, on the probabilities of the same LogisticRegression.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from bench_peers import numpy_pick
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from activelearn.strategies import ModelOutputs, make_strategy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=201)
    args = parser.parse_args()
    threadpool_limits(1)
    print("load average", os.getloadavg())
    rng = np.random.default_rng(0)
    y = rng.integers(10, size=args.size)
    X = rng.normal(size=(10, 100))[y] * 0.3 + rng.normal(size=(args.size, 100))
    p = LogisticRegression(max_iter=200).fit(X[:2000], y[:2000]).predict_proba(X)
    generator = np.random.default_rng(0)
    for name in ("least_confidence", "margin", "entropy"):
        strategy = make_strategy(name)
        times: dict[str, list[float]] = {"numpy": [], "activelearn": []}
        for _ in range(args.repeats):
            start = time.perf_counter()
            numpy_pick(name, p, 100)
            times["numpy"].append(time.perf_counter() - start)
            start = time.perf_counter()
            strategy.query(ModelOutputs(probabilities=p), 100, generator)
            times["activelearn"].append(time.perf_counter() - start)
        line = ", ".join(
            f"{who} {min(t) * 1e6:.0f} / {np.median(t) * 1e6:.0f} us" for who, t in times.items()
        )
        print(f"{args.size:,} {name:<17} min / median: {line}")
    print("load average at the end", os.getloadavg())


if __name__ == "__main__":
    main()
