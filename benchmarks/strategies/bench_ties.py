"""Streamed top-k when most of the pool ties at the cut (a saturated model: scores exactly 0).

    PYTHONPATH=src python benchmarks/strategies/bench_ties.py

50 items score 1, the rest 0, k = 100, parts of 2,000: every tied item must be
kept for the draw among ties, so this is the streamed path's worst case.
Printed beside the in-memory ``top_k`` over the same scores.
"""

from __future__ import annotations

import time

import numpy as np

from activelearn.strategies.base import top_k
from activelearn.strategies.streaming import StreamingTopK

for n in (200_000, 400_000, 800_000):
    scores = np.zeros(n)
    scores[:50] = 1.0
    began = time.perf_counter()
    top = StreamingTopK(100)
    for a in range(0, n, 2000):
        top.add(scores[a : a + 2000])
    streamed_picks, _ = top.finish(np.random.default_rng(0))
    streamed = time.perf_counter() - began
    began = time.perf_counter()
    in_memory_picks = top_k(scores, 100, np.random.default_rng(0))
    in_memory = time.perf_counter() - began
    same = np.array_equal(streamed_picks, in_memory_picks)
    print(f"{n:>9,} items: streamed {streamed:.3f} s, in memory {in_memory:.3f} s, same: {same}")
