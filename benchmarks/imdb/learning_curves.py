"""IMDB learning curves: random vs least confidence vs margin vs entropy (issue 2's benchmark).

Logistic regression (balanced class weights) on TF-IDF or MiniLM features; a
balanced seed of 100 labels, batches of 100 up to the budget (3,000), over
several seeds, against the same model trained on the whole pool. Prints a
Markdown table: final accuracy, normalised area under the learning curve,
and labels needed to reach 95% and 99% of the full-data accuracy.

    OPENBLAS_NUM_THREADS=1 python benchmarks/imdb/learning_curves.py --features tfidf
    OPENBLAS_NUM_THREADS=1 python benchmarks/imdb/learning_curves.py --features minilm \
        --train-limit 7500 --test-limit 5000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from activelearn.cli.run import RunSettings, run
from activelearn.experiments.analysis import aulc, labels_to_reach

STRATEGIES = ["random", "least_confidence", "margin", "entropy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="IMDB archive (default: $ACTIVELEARN_IMDB)")
    parser.add_argument("--features", choices=["tfidf", "minilm"], default="tfidf")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--train-limit", type=int, help="subsample the 25k train reviews")
    parser.add_argument("--test-limit", type=int, help="subsample the 25k test reviews")
    parser.add_argument("--output", default="runs/bench-imdb")
    args = parser.parse_args()

    params = {"path": args.data, "train_limit": args.train_limit, "test_limit": args.test_limit}
    started = time.perf_counter()
    settings = RunSettings(
        dataset="imdb",
        dataset_params={k: v for k, v in params.items() if v is not None},
        features=args.features,
        learner="logistic_regression",
        learner_params={"class_weight": "balanced"},
        strategies=STRATEGIES,
        initial_size=100,
        initial_method="balanced",
        batch_size=100,
        rounds=None,
        budget=args.budget,
        seeds=list(range(args.seeds)),
        output=f"{args.output}-{args.features}",
    )
    results = run(settings)
    full = results["summary"]["full_data"]
    print(
        f"features {args.features}; pool {full['n_labeled']} reviews; full-data accuracy "
        f"{full['accuracy']:.4f}; {args.seeds} seeds; {time.perf_counter() - started:.0f} s"
    )
    print(
        "| strategy | accuracy at budget | AULC | labels to 95% of full | labels to 99% of full |"
    )
    print("|---|---|---|---|---|")
    for strategy, runs in results["histories"].items():
        final, area, reach95, reach99 = [], [], [], []
        for history in runs:
            x, y = history.column("n_labeled"), history.column("accuracy")
            final.append(y[-1])
            area.append(aulc(x, y))
            reach95.append(labels_to_reach(x, y, 0.95 * full["accuracy"]))
            reach99.append(labels_to_reach(x, y, 0.99 * full["accuracy"]))
        print(
            f"| {strategy} | {_pm(final)} | {_pm(area)} | {_reach(reach95)} | {_reach(reach99)} |"
        )


def _pm(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def _reach(values: list[int | None]) -> str:
    reached = [v for v in values if v is not None]
    if not reached:
        return "not reached"
    text = f"{np.mean(reached):.0f} ± {np.std(reached):.0f}"
    return text if len(reached) == len(values) else f"{text} ({len(reached)}/{len(values)} seeds)"


if __name__ == "__main__":
    main()
