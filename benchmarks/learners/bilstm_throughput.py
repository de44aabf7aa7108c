"""Training and inference throughput of the tutorial's BiLSTM in TorchLearner.

    OPENBLAS_NUM_THREADS=1 python benchmarks/learners/bilstm_throughput.py --threads 1 --n 2560

Random token ids (vocabulary 3000, length 150, as the tutorial): one epoch of
training at batch 256 with RMSprop, then predict_proba on the same items.
Reports reviews per second for both, so a full reproduction can be estimated.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from activelearn.learners.models import imdb_bilstm_learner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n", type=int, default=2560)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3000, (args.n, 150))
    y = rng.integers(0, 2, args.n)
    learner = imdb_bilstm_learner(max_epochs=args.epochs, device=args.device, patience=None)
    started = time.perf_counter()
    learner.fit(X, y)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    learner.predict_proba(X)
    infer_s = time.perf_counter() - started
    print(
        f"device {learner.device_} threads {args.threads}: training "
        f"{args.n * args.epochs / train_s:.0f} reviews/s ({train_s:.1f}s for "
        f"{args.epochs} x {args.n}), inference {args.n / infer_s:.0f} reviews/s"
    )


if __name__ == "__main__":
    main()
