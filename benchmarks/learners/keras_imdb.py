"""Time the Keras IMDB reproduction on the real archive.

    OPENBLAS_NUM_THREADS=1 python benchmarks/learners/keras_imdb.py \
        /work/shared/data/aclImdb_labeled.tar.gz --quick --seeds 0 --threads 1 --out result.json

Prints one line per fit and per epoch, then the summary; ``--out`` saves
the full result (histories included) as JSON.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from activelearn.reproduce.keras_imdb import run_keras_imdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--faithful", action="store_true")
    parser.add_argument("--tutorial-checkpoints", action="store_true", help="reload_best=False")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 under contention)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    def log(name: str, info: dict) -> None:
        elapsed = f"[{time.perf_counter() - started:7.1f}s]"
        if name == "epoch":
            print(
                f"{elapsed}   {info['model']} round {info['round']} epoch {info['epoch']}: "
                f"loss {info['loss']:.4f} val_loss {info['val_loss']:.4f} "
                f"val_acc {info['val_accuracy']:.4f} ({info['seconds']:.1f}s)",
                flush=True,
            )
        elif name != "queried":
            print(elapsed, name, info, flush=True)
        else:
            print(elapsed, name, {k: v for k, v in info.items() if k != "items"}, flush=True)

    result = run_keras_imdb(
        args.archive,
        seeds=tuple(args.seeds),
        faithful=args.faithful,
        quick=args.quick,
        reload_best=not args.tutorial_checkpoints,
        device=args.device,
        on_event=log,
    )
    print(result.report())
    print(f"total {time.perf_counter() - started:.1f}s with {args.threads} torch thread(s)")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result.to_dict(), fh, indent=1)


if __name__ == "__main__":
    main()
