"""Throughput of the offline MiniLM embedder on real IMDB reviews.

Usage: PYTHONPATH=src python benchmarks/features/bench_embeddings.py ARCHIVE [N] [THREADS]
Embeds the first N training reviews (default 256) at max_length 128 and 256
with no cache, after one warm-up batch, and prints reviews per second.
"""

from __future__ import annotations

import sys
import time

import torch

from activelearn.data.imdb import load_imdb
from activelearn.features.sentence import SentenceEmbedder


def main() -> None:
    archive = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    if len(sys.argv) > 3:
        torch.set_num_threads(int(sys.argv[3]))
    t0 = time.perf_counter()
    train, _ = load_imdb(archive, download=False)
    print(f"IMDB load: {time.perf_counter() - t0:.2f} s for {len(train)} train reviews")
    rng_texts = [train.X[i] for i in range(0, len(train), len(train) // n)][:n]
    for max_length in (128, 256):
        embedder = SentenceEmbedder(max_length=max_length, cache=False, progress=False)
        embedder.transform(rng_texts[:32])  # load model, warm up
        t0 = time.perf_counter()
        embedder.transform(rng_texts)
        seconds = time.perf_counter() - t0
        print(
            f"max_length={max_length}: {n / seconds:.1f} reviews/s "
            f"({n} reviews, {seconds:.1f} s, torch threads={torch.get_num_threads()})"
        )


if __name__ == "__main__":
    main()
