"""Minority-class labels bought per strategy (from a run's cells/*.json), mean ± sd over seeds.

.venv/bin/python benchmarks/label_efficiency/minority_counts.py runs/le_imbalanced
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def main(run_dir: str) -> None:
    rows = defaultdict(list)
    for path in sorted(Path(run_dir, "cells").glob("*.json")):
        cell = json.loads(path.read_text())
        if cell.get("kind") != "al" or cell.get("status") != "ok":
            continue  # full-data models and failed cells
        spec, history = cell["spec"], cell["history"]
        minority = str(cell.get("minority_class"))
        total = defaultdict(int)
        for record in history:
            for cls, count in (record.get("class_histogram") or {}).items():
                total[str(cls)] += count
        dataset = spec["dataset"]["name"]
        strategy = spec["strategy"]["name"]
        if spec["strategy"]["params"].get("base"):
            strategy += f"({spec['strategy']['params']['base']})"
        final_f1 = history[-1].get("minority_f1")
        final = (total.get(minority, 0), history[-1]["n_labeled"], final_f1)
        rows[(dataset, strategy)].append(final)
    print("| dataset | strategy | seeds | minority labels bought (of total) | final minority F1 |")
    print("|---|---|---|---|---|")
    for (dataset, strategy), values in sorted(rows.items()):
        got = np.array([v[0] for v in values], float)
        n = int(np.mean([v[1] for v in values]))
        f1 = np.array([v[2] for v in values], float)
        print(
            f"| {dataset} | {strategy} | {len(values)} | {got.mean():.1f} ± {got.std(ddof=1):.1f} "
            f"(of {n}) | {f1.mean():.3f} ± {f1.std(ddof=1):.3f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1])
