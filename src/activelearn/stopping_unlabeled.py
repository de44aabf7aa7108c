"""Label-free stopping criteria: stop when more labels would no longer change the model.

Interface (what the loop relies on): a criterion is an object with

* ``update(probabilities) -> bool`` — called once per round with the current
  model's ``N x C`` probabilities on a *fixed* stop set (the same unlabeled
  items, in the same order, every round; Bloodgood & Vijay-Shanker suggest a
  few thousand items drawn once at the start). Returns True when the loop
  should stop.
* ``reason`` — a sentence for the run's history saying why it stopped (or
  what it measured last).

No labels are needed, so these work with a human oracle and no test set.
They are plain objects with state (the previous round's predictions); build
a fresh one per run.

* :class:`StabilizingPredictions` — Bloodgood & Vijay-Shanker 2009 ("A
  Method for Stopping Active Learning Based on Stabilizing Predictions"):
  Cohen's kappa between successive rounds' predicted labels stays at or
  above ``threshold`` (0.99) for ``window`` (3) consecutive comparisons.
* :class:`OverallUncertainty` — Zhu, Wang & Hovy 2008 ("Multi-Criteria-Based
  Strategy to Stop Active Learning"): the mean uncertainty on the stop set
  falls below ``threshold``.
* :class:`ClassificationChange` — Zhu, Wang & Hovy 2008: no more than
  ``max_changed`` (a fraction, default 0) of the stop set's predicted labels
  changed since the previous round.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from activelearn.errors import ConfigError, ModelOutputError
from activelearn.strategies.base import check_probabilities
from activelearn.strategies.uncertainty import uncertainty_scores


class UnlabeledStoppingCriterion(Protocol):
    reason: str

    def update(self, probabilities: np.ndarray) -> bool: ...


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa between two label vectors; 1.0 when both are one identical constant."""
    a, b = np.asarray(a), np.asarray(b)
    observed = float(np.mean(a == b))
    labels = np.union1d(a, b)
    pa = np.array([np.mean(a == c) for c in labels])
    pb = np.array([np.mean(b == c) for c in labels])
    expected = float(pa @ pb)
    if expected == 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


class _PredictionHistory:
    """Keeps the previous round's predicted labels and checks the stop set stays fixed."""

    def __init__(self) -> None:
        self.previous: np.ndarray | None = None
        self.reason = "no round seen yet"

    def _predict(self, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        check_probabilities(probabilities)
        predicted = np.asarray(probabilities).argmax(axis=1)
        previous = self.previous
        if previous is not None and len(previous) != len(predicted):
            raise ModelOutputError(
                f"the stop set had {len(previous)} items last round and {len(predicted)} now: "
                "pass predictions on the same fixed stop set every round"
            )
        self.previous = predicted
        return predicted, previous


class StabilizingPredictions(_PredictionHistory):
    def __init__(self, threshold: float = 0.99, window: int = 3) -> None:
        super().__init__()
        if not -1.0 <= threshold <= 1.0 or window < 1:
            raise ConfigError("kappa threshold must be in [-1, 1] and window at least 1")
        self.threshold = threshold
        self.window = window
        self.kappas: list[float] = []

    def update(self, probabilities: np.ndarray) -> bool:
        predicted, previous = self._predict(probabilities)
        if previous is None:
            return False
        self.kappas.append(cohen_kappa(previous, predicted))
        recent = self.kappas[-self.window :]
        stop = len(recent) == self.window and min(recent) >= self.threshold
        self.reason = (
            f"kappa between successive rounds {', '.join(f'{k:.3f}' for k in recent)} "
            f"({'all' if stop else 'not all'} >= {self.threshold} over {self.window} rounds)"
        )
        return stop


class OverallUncertainty:
    def __init__(self, threshold: float = 0.1, measure: str = "least_confidence") -> None:
        uncertainty_scores(np.full((1, 2), 0.5), measure)  # fail early on a bad name
        self.threshold = threshold
        self.measure = measure
        self.reason = "no round seen yet"

    def update(self, probabilities: np.ndarray) -> bool:
        check_probabilities(probabilities)
        mean = float(uncertainty_scores(np.asarray(probabilities), self.measure).mean())
        stop = mean < self.threshold
        self.reason = f"mean {self.measure} on the stop set {mean:.4f} " + (
            f"< {self.threshold}" if stop else f">= {self.threshold}"
        )
        return stop


class ClassificationChange(_PredictionHistory):
    def __init__(self, max_changed: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= max_changed < 1.0:
            raise ConfigError(f"max_changed is a fraction in [0, 1), got {max_changed}")
        self.max_changed = max_changed

    def update(self, probabilities: np.ndarray) -> bool:
        predicted, previous = self._predict(probabilities)
        if previous is None:
            return False
        changed = float(np.mean(predicted != previous))
        stop = changed <= self.max_changed
        self.reason = f"{changed:.2%} of the stop set changed label since the last round"
        return stop
