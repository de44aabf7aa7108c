"""Test accuracy at chosen label counts, mean ± sd over seeds, from a run's cells/*.json.

.venv/bin/python benchmarks/label_efficiency/curve_points.py runs/le_cold_start 20 50 100 200
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def label(spec: dict) -> str:
    strategy = spec["strategy"]
    name = strategy["name"]
    if strategy["params"].get("base"):
        name += f"({strategy['params']['base']})"
    return name


def main(run_dir: str, points: list[int], metric: str = "accuracy") -> None:
    curves = defaultdict(list)
    for path in sorted(Path(run_dir, "cells").glob("*.json")):
        cell = json.loads(path.read_text())
        if cell.get("kind") != "al" or cell.get("status") != "ok":
            continue
        spec = cell["spec"]
        key = (spec["dataset"]["name"], spec["batch_size"], label(spec))
        curves[key].append({r["n_labeled"]: r[metric] for r in cell["history"]})
    columns = " | ".join(f"{p} labels" for p in points)
    print(f"| dataset | batch | strategy | seeds | {columns} |")
    print("|---|---|---|---|" + "---|" * len(points))
    for key, runs in sorted(curves.items()):
        cells = []
        for p in points:
            values = [run[p] for run in runs if p in run]
            cells.append(
                f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}" if len(values) > 1 else "–"
            )
        print(f"| {key[0]} | {key[1]} | {key[2]} | {len(runs)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1], [int(p) for p in sys.argv[2:]])
