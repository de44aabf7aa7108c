"""The early dip of each strategy in an experiment run: its worst mean difference to random.

    python benchmarks/label_efficiency/auto_dips.py RUN_DIR

For every dataset and strategy of the run, the mean over seeds (paired with
random on the same seed) of strategy minus random at each label count after
the seed, the worst of them and where it falls, and the mean over the first
300 labels. Macro-F1 on the synthetic imbalanced set (as the experiment's
report uses there), accuracy elsewhere.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--early", type=int, default=300)
    args = parser.parse_args()
    curves: dict[tuple[str, str], dict[int, dict[int, float]]] = collections.defaultdict(dict)
    for path in (args.run / "cells").glob("*.json"):
        cell = json.loads(path.read_text())
        if cell["kind"] != "al" or not cell.get("history"):
            continue
        dataset, strategy = cell["labels"]["dataset"], cell["labels"]["strategy"]
        semi = cell["spec"].get("semi_supervised")
        if semi:  # one block per semi-supervised method, paired with random in that block
            dataset = f"{dataset} | {semi['name']}"
        metric = "macro_f1" if dataset.startswith("synthetic") else "accuracy"
        curve = {row["n_labeled"]: row[metric] for row in cell["history"]}
        curves[(dataset, strategy)][cell["spec"]["seed"]] = curve
    print("worst mean difference to random over the curve, and the mean over the first labels")
    for dataset in sorted({d for d, _ in curves}):
        random = curves[(dataset, "random")]
        print(f"== {dataset}")
        for strategy in sorted({s for d, s in curves if d == dataset} - {"random"}):
            runs = {s: c for s, c in curves[(dataset, strategy)].items() if s in random}
            if not runs:
                continue
            counts = set.intersection(*(set(c) for c in [*runs.values(), *random.values()]))
            counts = sorted(n for n in counts if n > min(counts))  # after the seed
            diff = {n: np.mean([runs[s][n] - random[s][n] for s in runs]) for n in counts}
            worst = min(diff, key=diff.__getitem__)
            early = np.mean([diff[n] for n in counts if n <= args.early])
            print(
                f"  {strategy:32} worst {diff[worst]:+.4f} at {worst:4} labels   "
                f"first {args.early}: {early:+.4f}"
            )


if __name__ == "__main__":
    main()
