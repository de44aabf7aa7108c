"""Helpers shared by the strategy benchmarks: timing, inputs, peer detection."""

from __future__ import annotations

import importlib.util
import os
import platform
import time
from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def machine_notes() -> str:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads}"
    )


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` runs (the least disturbed by the other tenants)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def probabilities(n: int, n_classes: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, n_classes)) * 2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def embeddings(n: int, dim: int, seed: int = 0, clusters: int = 0) -> np.ndarray:
    """Standard normal float32 rows; with ``clusters``, a mixture of that many blobs.

    Real embeddings are clustered; isotropic Gaussian data is the worst case for
    methods that prune by distance, since all distances concentrate.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, dim)).astype(np.float32)
    if clusters:
        centres = rng.normal(size=(clusters, dim)).astype(np.float32) * 3
        X = X * 0.5 + centres[rng.integers(clusters, size=n)]
    return X


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class FixedProba(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose predict_proba returns precomputed rows; X holds row numbers.

    Lets peer libraries, which call ``clf.predict_proba(X)``, score exactly our inputs.
    """

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba
        self.classes_ = np.arange(proba.shape[1])

    def fit(self, X, y):
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.proba[np.asarray(X)[:, 0].astype(int)]


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
