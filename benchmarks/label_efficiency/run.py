"""`activelearn experiment` with two registrations the stock runner lacks (see RESULTS.md).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/label_efficiency/run.py \
        experiment configs/label_efficiency_cold_start.toml --output runs/le_cold --workers 2

Same CLI, same cells, same report; this file only registers, through the documented
extension API (docs/experiments.md, "Adding a dataset or a learner"):

- learner ``logreg_pixels``: scikit-learn's LogisticRegression plus ``embed(X) = X``.
  The stock ``logistic_regression`` has no ``embed`` and the runner passes no
  ``embeddings=``, so every embedding strategy (typiclust, probcover, coreset, kmeans,
  badge, ...) fails with "needs embeddings" on it. The fitted model is identical.
- strategies ``typiclust_labeled`` and ``probcover_labeled``: the stock ``typiclust`` and
  ``probcover`` declare ``requires = {embeddings}`` only, so the loop never passes them
  ``labeled_embeddings`` and after the first round they ignore what is already labeled
  (typiclust clusters the pool into n clusters instead of labeled + n; probcover counts
  no ball as covered). These subclasses change nothing but ``requires``.
- dataset ``fashion_mnist_minority``: Fashion-MNIST with only ``keep`` of one class
  (train and test alike); the stock loaders cannot subsample a class.

Local executor only (the process pool forks this driver, so workers see the
registrations; Ray workers would not).
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelearn.cli import main
from activelearn.data.datasets import FASHION_MNIST_DIR, LoadedData, dataset, fashion_mnist
from activelearn.learners.registry import learner
from activelearn.strategies.base import EMBEDDINGS, LABELED_EMBEDDINGS
from activelearn.strategies.coldstart import ProbCover, TypiClust
from activelearn.strategies.registry import register


class EmbeddingLogisticRegression(LogisticRegression):
    """LogisticRegression whose embedding is its input (pixels)."""

    def embed(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float32)


@register
class TypiClustLabeled(TypiClust):
    """typiclust, told about the labeled items (clusters = labeled + n, labeled ones covered)."""

    name = "typiclust_labeled"
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})


@register
class ProbCoverLabeled(ProbCover):
    """probcover, told about the labeled items (their balls count as covered)."""

    name = "probcover_labeled"
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})


@learner("logreg_pixels")
def logreg_pixels(C: float = 1.0, max_iter: int = 1000, random_state: int = 0):
    return EmbeddingLogisticRegression(C=C, max_iter=max_iter, random_state=random_state)


@dataset("fashion_mnist_minority")
def fashion_mnist_minority(
    path: str = FASHION_MNIST_DIR, minority_class: int = 6, keep: float = 0.1, seed: int = 0
) -> LoadedData:
    """Fashion-MNIST keeping a random ``keep`` share of ``minority_class`` in train and test."""
    data = fashion_mnist(path)
    rng = np.random.default_rng(seed)

    def thin(part):
        rows = np.flatnonzero(part.labels == minority_class)
        drop = rng.choice(rows, size=len(rows) - int(round(keep * len(rows))), replace=False)
        mask = np.ones(len(part), dtype=bool)
        mask[drop] = False
        return part.take(np.flatnonzero(mask))

    return LoadedData(
        thin(data.data),
        thin(data.test),
        description=f"{data.description}, class {minority_class} kept at {keep:.0%}",
        pixel_max=data.pixel_max,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
