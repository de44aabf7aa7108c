"""`activelearn run` against `activelearn experiment` on the same 4-class text task, and the
same work with 1 and 2 BLAS threads per run.

    PYTHONPATH=src .venv/bin/python benchmarks/loop/run_vs_experiment.py \
        ../shared/data/aclImdb_labeled.tar.gz --out benchmarks/loop/results

The task: 6,000 IMDB reviews in four classes by their star rating (1-2 "awful", 3-4 "bad",
7-8 "good", 9-10 "great"), written as a TSV; TF-IDF + logistic regression; margin,
entropy and random; 3 seeds; a seed of 100 and batches of 50 to 600 labels, and the
full-data model. Every command runs in a fresh output folder, the two drivers in
alternation (run, experiment, run, experiment, ...) so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from activelearn.data.imdb import load_imdb

BUCKETS = {1: "awful", 2: "awful", 3: "bad", 4: "bad", 7: "good", 8: "good", 9: "great",
           10: "great"}  # fmt: skip
COMMON = ["--strategy", "margin", "entropy", "random", "--seeds", "0", "1", "2",
          "--initial-size", "100", "--batch-size", "50", "--budget", "600"]  # fmt: skip
GRID = """
[experiment]
name = "imdb 4 classes"
[grid]
datasets = [{{name = "csv", path = "{path}", label_column = "label", text_column = "text"}}]
learners = ["logistic_regression"]
strategies = ["margin", "entropy", "random"]
seeds = [0, 1, 2]
batch_sizes = [50]
budgets = [600]
[loop]
initial_size = 100
"""


def write_task(archive: str, path: Path, n: int = 6000) -> None:
    train, test = load_imdb(archive, download=False)
    rows = []
    for data in (train, test):
        for review_id, text in zip(data.ids.tolist(), data.X, strict=True):
            rating = int(re.search(r"_(\d+)$", review_id).group(1))
            rows.append((BUCKETS[rating], " ".join(text.split())))
    keep = np.random.default_rng(0).choice(len(rows), n, replace=False)
    path.write_text("label\ttext\n" + "".join(f"{rows[i][0]}\t{rows[i][1]}\n" for i in keep))


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive")
    parser.add_argument("--out", default="benchmarks/loop/results")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    task = work / "imdb4.tsv"
    if not task.exists():
        write_task(args.archive, task)
    grid = work / "grid.toml"
    grid.write_text(GRID.format(path=task.resolve()))
    cli = [str(Path(sys.executable).parent / "activelearn")]
    data = ["--dataset", "csv", "--data", str(task), "--label-column", "label",
            "--text-column", "text"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    variants = {
        "run (2 workers)": lambda o: [*cli, "run", *data, *COMMON, "--output", o],
        "experiment (2 workers)": lambda o: [
            *cli,
            "experiment",
            str(grid),
            "--output",
            o,
            "--quiet",
        ],  # fmt: skip
        "run, 1 worker, 1 thread": lambda o: [
            *cli,
            "run",
            *data,
            *COMMON,
            "--workers",
            "1",
            "--threads",
            "1",
            "--output",
            o,
        ],  # fmt: skip
        "run, 1 worker, 2 threads": lambda o: [
            *cli,
            "run",
            *data,
            *COMMON,
            "--workers",
            "1",
            "--threads",
            "2",
            "--output",
            o,
        ],  # fmt: skip
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for i, (name, command) in enumerate(variants.items()):
            folder = str(work / f"{i}_{repeat}")
            subprocess.run(["rm", "-rf", folder], check=True)
            seconds = timed(command(folder), env)
            results[name].append(seconds)
            print(f"{name:28s} repeat {repeat}: {seconds:7.1f} s "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    best = {name: min(values) for name, values in results.items()}
    lines = ["| command | wall seconds (each repeat) | best | ratio to experiment |",
             "|---|---|---|---|"]  # fmt: skip
    for name, values in results.items():
        ratio = best[name] / best["experiment (2 workers)"]
        lines.append(f"| {name} | {', '.join(f'{v:.1f}' for v in values)} | "
                     f"{best[name]:.1f} | {ratio:.2f} |")  # fmt: skip
    table = "\n".join(lines)
    print(table)
    (out / "run_vs_experiment.md").write_text(table + "\n")
    (out / "run_vs_experiment.json").write_text(json.dumps(results, indent=1))
    same = _same_curves(work / "0_0", work / "1_0")
    print(f"identical learning curves in run and experiment: {same}")


def _same_curves(run_dir: Path, experiment_dir: Path) -> bool:
    def curves(folder: Path) -> dict[str, list]:
        out = {}
        for path in (folder / "cells").glob("*.json"):
            cell = json.loads(path.read_text())
            if cell["kind"] == "al":
                out[cell["key"]] = [r["accuracy"] for r in cell["history"]]
        return out

    return curves(run_dir) == curves(experiment_dir)


if __name__ == "__main__":
    main()
