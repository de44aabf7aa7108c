"""Where and why a strategy falls below random early: a table from a finished experiment.

    .venv/bin/python benchmarks/label_efficiency/early_dip.py RUN_DIR [--upto 600]

Per strategy and label count, averaged over seeds: test accuracy and its difference to
random (paired by seed), the share of the queried batch that is the batch's majority
class (skew), the previous model's accuracy on the batch it chose (how hard the batch
is), and the decision threshold's drift on the validation set: (FP - FN) / n, the excess
of predicted positives (binary tasks).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--upto", type=int, default=600)
    args = parser.parse_args()
    cells = [json.loads(p.read_text()) for p in (args.run_dir / "cells").glob("*.json")]
    cells = [c for c in cells if c["kind"] == "al" and c.get("status") == "ok"]
    by = defaultdict(dict)
    for cell in cells:
        by[cell["labels"]["strategy"]][cell["spec"]["seed"]] = cell["history"]
    randoms = by.get("random", {})
    print(f"{'strategy':32s} {'labels':>6s} {'acc':>6s} {'-random':>8s} {'skew':>5s} "
          f"{'batch acc':>9s} {'drift':>7s}")  # fmt: skip
    for strategy, seeds in by.items():
        rows = defaultdict(lambda: defaultdict(list))
        for seed, history in seeds.items():
            for i, record in enumerate(history):
                n = record["n_labeled"]
                if n > args.upto:
                    continue
                row = rows[n]
                row["acc"].append(record["accuracy"])
                if seed in randoms and i < len(randoms[seed]):
                    row["diff"].append(record["accuracy"] - randoms[seed][i]["accuracy"])
                counts = list(record["class_histogram"].values())
                row["skew"].append(max(counts) / sum(counts))
                if "batch_accuracy_before" in record:
                    row["batch"].append(record["batch_accuracy_before"])
                n_val = record["val_fp"] + record["val_fn"]
                if n_val and "val_accuracy" in record:
                    total = n_val / max(1e-9, 1 - record["val_accuracy"])
                    row["drift"].append((record["val_fp"] - record["val_fn"]) / total)
        for n in sorted(rows):
            r = rows[n]
            print(f"{strategy:32s} {n:6d} {np.mean(r['acc']):6.3f} "
                  f"{np.mean(r['diff']) if r['diff'] else float('nan'):+8.3f} "
                  f"{np.mean(r['skew']):5.2f} "
                  f"{np.mean(r['batch']) if r['batch'] else float('nan'):9.3f} "
                  f"{np.mean(r['drift']) if r['drift'] else float('nan'):+7.3f}")  # fmt: skip
        print()


if __name__ == "__main__":
    main()
