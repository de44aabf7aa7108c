"""Peak memory of one query round over a 1M-item pool, batched vs unbatched scoring.

Each setting runs in a fresh subprocess so ``ru_maxrss`` is its own peak.
The pool is float32 1M x D (Gaussian blobs, built in chunks so that building
it does not set the peak); the learner is logistic regression fitted on a 1,000
item seed; the strategy is entropy.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/experiments/pool_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time
import numpy as np
from activelearn.data.pool import Pool
from activelearn.loop import ActiveLearningLoop
from sklearn.linear_model import LogisticRegression

n, d, c, batch = (int(v) for v in sys.argv[1:5])
rng = np.random.default_rng(0)
centers = rng.normal(size=(c, d)).astype(np.float32)
y = rng.integers(0, c, size=n)
X = np.empty((n, d), dtype=np.float32)
for i in range(0, n, 50_000):  # in chunks, so building the pool does not set the peak
    rows = slice(i, i + 50_000)
    X[rows] = centers[y[rows]] + rng.normal(scale=2.0, size=X[rows].shape).astype(np.float32)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loop = ActiveLearningLoop(Pool(X, hidden_labels=y), LogisticRegression(max_iter=200), "entropy",
                          batch_size=100, initial_size=1000, max_rounds=1, score_batch_size=batch)
loop.step()
start = time.perf_counter()
loop.step()
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"n": n, "d": d, "classes": c, "score_batch_size": batch,
                  "rss_after_data_mb": base / 1024, "peak_rss_mb": peak / 1024,
                  "query_round_seconds": seconds}))
"""


def main() -> None:
    n, d, c = 1_000_000, 50, 10
    rows = []
    for batch in (10_000, 50_000, n):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(d), str(c), str(batch)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        rows.append(json.loads(out.stdout))
        print(rows[-1], flush=True)
    print("| score_batch_size | RSS after data (MB) | peak RSS (MB) | extra over data (MB) | round s |")
    print("|---|---|---|---|---|")
    for r in rows:
        extra = r["peak_rss_mb"] - r["rss_after_data_mb"]
        print(f"| {r['score_batch_size']:,} | {r['rss_after_data_mb']:.0f} | {r['peak_rss_mb']:.0f}"
              f" | {extra:.0f} | {r['query_round_seconds']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
