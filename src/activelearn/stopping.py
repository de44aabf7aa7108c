"""When to stop asking for labels.

A criterion looks at the loop's state after each evaluated round and returns
a reason to stop, or ``None``. The label budget and the round limit are
handled by the loop itself (it clips the last batch to the budget); these
are the criteria that depend on results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from activelearn.errors import ConfigError
from activelearn.registry import Registry
from activelearn.stopping_unlabeled import (
    ClassificationChange,
    OverallUncertainty,
    StabilizingPredictions,
    UnlabeledStoppingCriterion,
)


@dataclass(frozen=True)
class LoopState:
    """What a stopping criterion may look at after a round."""

    round: int
    n_labeled: int
    n_unlabeled: int
    record: dict[str, Any]  # the round's history record (metrics, timings)
    predict_pool: Callable[[np.ndarray], np.ndarray]  # pool positions -> N x C probabilities


class StoppingCriterion(Protocol):
    def should_stop(self, state: LoopState) -> str | None: ...


@dataclass(frozen=True)
class TargetMetric:
    """Stop once a metric reaches ``value`` (e.g. the full-data model's accuracy).

    ``split`` picks the evaluation set. The honest default is ``"val"``: a
    decision taken on the test set makes the test score optimistic. The
    cats-vs-dogs article stops on test accuracy; use ``split="test"`` only to
    reproduce it, and report it as such.
    """

    metric: str = "accuracy"
    value: float = 1.0
    split: str = "val"

    def __post_init__(self) -> None:
        if self.split not in ("val", "test"):
            raise ConfigError(f"target split must be 'val' or 'test', not {self.split!r}")

    @property
    def key(self) -> str:
        return self.metric if self.split == "test" else f"val_{self.metric}"

    def should_stop(self, state: LoopState) -> str | None:
        reached = state.record.get(self.key)
        if reached is None:
            raise ConfigError(
                f"the target needs {self.key!r} but the round has no such metric: "
                f"give the loop a {'test' if self.split == 'test' else 'validation'} set"
            )
        if reached >= self.value:
            return f"{self.key} reached {reached:.4f} >= target {self.value:.4f}"
        return None


@dataclass
class OnStopSet:
    """Runs a label-free criterion (:mod:`activelearn.stopping_unlabeled`) inside the loop.

    The criterion compares the model's predictions round after round on one
    fixed *stop set*: ``size`` pool items drawn once with ``seed`` (Bloodgood
    & Vijay-Shanker 2009 use a few thousand). Items of the stop set may get
    labeled later; what matters is that the set stays the same.
    """

    criterion: UnlabeledStoppingCriterion
    size: int = 2000
    seed: int = 0
    _positions: np.ndarray | None = field(default=None, init=False, repr=False)

    def should_stop(self, state: LoopState) -> str | None:
        if self._positions is None:
            n = state.n_labeled + state.n_unlabeled
            rng = np.random.default_rng(self.seed)
            self._positions = np.sort(rng.choice(n, size=min(self.size, n), replace=False))
        stop = self.criterion.update(state.predict_pool(self._positions))
        # The seed's model is only the first reference: never stop before any query.
        return self.criterion.reason if stop and state.round > 0 else None


# -- by name, for configs and flags ------------------------------------------------------------

STOPPING = Registry("stopping criterion", context=("random_state",))


@STOPPING.register("target")
def target(value: float, metric: str = "accuracy", split: str = "val") -> TargetMetric:
    """Stop once a metric reaches value (on the validation set unless split = "test")."""
    return TargetMetric(metric, value, split)


@STOPPING.register("stabilizing_predictions")
def stabilizing_predictions(
    threshold: float = 0.99, window: int = 3, stop_set: int = 2000, random_state: int = 0
) -> OnStopSet:
    """Label-free: Cohen's kappa between rounds' predictions stays >= threshold (Bloodgood 2009)."""
    return OnStopSet(StabilizingPredictions(threshold, window), stop_set, random_state)


@STOPPING.register("overall_uncertainty")
def overall_uncertainty(
    threshold: float = 0.1, measure: str = "least_confidence", stop_set: int = 2000,
    random_state: int = 0,
) -> OnStopSet:  # fmt: skip
    """Label-free: the mean uncertainty on a fixed stop set falls below threshold (Zhu 2008)."""
    return OnStopSet(OverallUncertainty(threshold, measure), stop_set, random_state)


@STOPPING.register("classification_change")
def classification_change(
    max_changed: float = 0.0, stop_set: int = 2000, random_state: int = 0
) -> OnStopSet:
    """Label-free: at most max_changed of the stop set's predictions changed (Zhu 2008)."""
    return OnStopSet(ClassificationChange(max_changed), stop_set, random_state)
