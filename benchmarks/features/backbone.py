"""EfficientNet-Lite0 features and fine-tuning on Fashion-MNIST, against pixels.

Three measurements, each printed as a markdown table and saved to
``benchmarks/features/results/backbone_<part>.json``:

- ``throughput``: images/s of the featurizer at 96 px with 1 and 2 torch
  threads (interleaved, so machine load hits both alike), and 224 px.
- ``linear``: logistic regression (``class_weight="balanced"``) on the
  pooled features vs on pixels, 300 / 1,000 / 3,000 random training labels,
  3 seeds, tested on the 10k test split; raw and standardised inputs; plus
  EfficientNet-Lite's own normalisation vs ImageNet mean/std.
- ``finetune``: the fine-tuning learner (3 epochs head, 2 epochs whole
  network) with 1,000 labels vs logistic regression on frozen features of
  the same labels, with wall times.

Features of all 70k images are cached on disk (``ACTIVELEARN_CACHE_DIR``),
so only the first ``linear`` run embeds them (minutes).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/features/backbone.py all
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelearn.data.fashion_mnist import load_fashion_mnist
from activelearn.features.backbone import (
    IMAGENET_NORMALIZATION,
    BackboneFeaturizer,
    efficientnet_lite0,
)
from activelearn.learners.finetune import finetune_efficientnet

RESULTS = Path(__file__).parent / "results"
SIZES = (300, 1000, 3000)
SEEDS = (0, 1, 2)


def load_avg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def save(part: str, payload: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {"load_average_end": load_avg(), **payload}
    (RESULTS / f"backbone_{part}.json").write_text(json.dumps(payload, indent=2) + "\n")


def draw(seed: int, n: int, pool: int = 60_000) -> np.ndarray:
    """The same random labeled set for every input representation (paired comparison)."""
    return np.random.default_rng(seed).choice(pool, n, replace=False)


def logreg(X: np.ndarray, y: np.ndarray, standardise: bool) -> Any:
    model = LogisticRegression(class_weight="balanced", max_iter=3000)
    return (make_pipeline(StandardScaler(), model) if standardise else model).fit(X, y)


def mean_sd(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def throughput(images: np.ndarray) -> None:
    started = load_avg()
    settings = [(96, 1), (96, 2), (224, 1)]
    rates: dict[str, list[float]] = {f"{s}px/{t}": [] for s, t in settings}
    featurizers = {
        s: efficientnet_lite0(image_size=s, device="cpu", cache_dir=False) for s in (96, 224)
    }
    for f in featurizers.values():
        f.progress = False
        f.transform(images[:64])  # build and warm up
    for _ in range(3):  # interleaved repeats
        for size, threads in settings:
            torch.set_num_threads(threads)
            n = 512 if size == 96 else 128
            start = time.perf_counter()
            featurizers[size].transform(images[:n])
            rates[f"{size}px/{threads}"].append(n / (time.perf_counter() - start))
    torch.set_num_threads(1)
    print(f"\nload average at start: {started}, end: {load_avg()}")
    print("| input | torch threads | images/s (3 repeats) | median |\n|---|---|---|---|")
    for key, values in rates.items():
        size, threads = key.split("/")
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"| {size} | {threads} | {runs} | {np.median(values):.0f} |")
    save("throughput", {"load_average_start": started, "images_per_second": rates})


def features(train: Any, test: Any, featurizer: BackboneFeaturizer) -> tuple[np.ndarray, ...]:
    start = time.perf_counter()
    F_train, F_test = featurizer.transform(train.X), featurizer.transform(test.X)
    print(f"features {F_train.shape} + {F_test.shape} in {time.perf_counter() - start:.0f} s")
    return F_train, F_test


def linear(train: Any, test: Any) -> None:
    started = load_avg()
    F_train, F_test = features(train, test, efficientnet_lite0(device="cpu"))
    pixels_train = train.X.reshape(len(train.X), -1) / np.float32(255)
    pixels_test = test.X.reshape(len(test.X), -1) / np.float32(255)
    inputs = {"pixels": (pixels_train, pixels_test), "lite0": (F_train, F_test)}
    scores: dict[str, list[float]] = {}
    for n in SIZES:
        for name, (X_tr, X_te) in inputs.items():
            for standardise in (False, True):
                key = f"{name}/{'std' if standardise else 'raw'}/{n}"
                for seed in SEEDS:
                    rows = draw(seed, n)
                    model = logreg(X_tr[rows], train.labels[rows], standardise)
                    scores.setdefault(key, []).append(float(model.score(X_te, test.labels)))
                print(key, mean_sd(scores[key]), flush=True)
    print(f"\nload average at start: {started}, end: {load_avg()}")
    print("| labels | pixels (raw) | pixels (standardised) | Lite0 (raw) | Lite0 (standardised) |")
    print("|---|---|---|---|---|")
    for n in SIZES:
        cells = [mean_sd(scores[f"{i}/{s}/{n}"]) for i in inputs for s in ("raw", "std")]
        print(f"| {n:,} | " + " | ".join(cells) + " |")
    normalisation = compare_normalisation(train, test, F_train, F_test)
    save("linear", {"load_average_start": started, "accuracy": scores, **normalisation})


def compare_normalisation(train: Any, test: Any, F_train: np.ndarray, F_test: np.ndarray) -> dict:
    """Lite's (x - 127) / 128 against ImageNet mean/std, 1,000 labels from the first 10k images."""
    imagenet = BackboneFeaturizer(
        "efficientnet-lite0", mean=IMAGENET_NORMALIZATION[0], std=IMAGENET_NORMALIZATION[1],
        model_name="efficientnet-lite0-imagenet-norm", device="cpu",
    )  # fmt: skip
    I_train, I_test = imagenet.transform(train.X[:10_000]), imagenet.transform(test.X)
    scores: dict[str, list[float]] = {"lite (x-127)/128": [], "imagenet mean/std": []}
    for seed in SEEDS:
        rows = draw(seed, 1000, pool=10_000)
        for key, (X_tr, X_te) in zip(scores, [(F_train, F_test), (I_train, I_test)], strict=True):
            model = logreg(X_tr[rows], train.labels[rows], standardise=True)
            scores[key].append(float(model.score(X_te, test.labels)))
    print("\n| normalisation (1,000 labels, standardised LR) | test accuracy |\n|---|---|")
    for key, values in scores.items():
        print(f"| {key} | {mean_sd(values)} |")
    return {"normalisation_1000_labels": scores}


def finetune(train: Any, test: Any) -> None:
    started = load_avg()
    F_train, F_test = features(train, test, efficientnet_lite0(device="cpu"))
    rows_out: list[dict[str, Any]] = []
    for seed in SEEDS:
        rows = draw(seed, 1000)
        model = logreg(F_train[rows], train.labels[rows], standardise=True)
        frozen = float(model.score(F_test, test.labels))
        learner = finetune_efficientnet(list(range(10)), (28, 28), random_state=seed, device="cpu")
        start = time.perf_counter()
        learner.fit(train.X[rows], train.labels[rows])
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        predicted = learner.predict(test.X)
        predict_seconds = time.perf_counter() - start
        accuracy = float(np.mean(predicted == test.labels))
        row = {
            "seed": seed, "frozen_lr": frozen, "finetuned": accuracy, "fit_seconds": fit_seconds,
            "predict_10k_seconds": predict_seconds, "epochs": learner.history_,
        }  # fmt: skip
        rows_out.append(row)
        print({k: v for k, v in row.items() if k != "epochs"}, flush=True)
    print(f"\nload average at start: {started}, end: {load_avg()}")
    print("| 1,000 labels | test accuracy | fit s | predict 10k s |\n|---|---|---|---|")
    print(f"| frozen features + LR (standardised) | {mean_sd([r['frozen_lr'] for r in rows_out])} "
          "| (features cached) | |")  # fmt: skip
    print(f"| fine-tuned (3 head + 2 full epochs) | {mean_sd([r['finetuned'] for r in rows_out])} "
          f"| {mean_sd([r['fit_seconds'] for r in rows_out])} "
          f"| {mean_sd([r['predict_10k_seconds'] for r in rows_out])} |")  # fmt: skip
    save("finetune", {"load_average_start": started, "runs": rows_out})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["throughput", "linear", "finetune", "all"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = load_fashion_mnist()
    if args.part in ("throughput", "all"):
        throughput(test.X)
    if args.part in ("linear", "all"):
        linear(train, test)
    if args.part in ("finetune", "all"):
        finetune(train, test)


if __name__ == "__main__":
    main()
