"""When to stop asking for labels.

A criterion looks at the loop's state after each evaluated round and returns
a reason to stop, or ``None``. The label budget and the round limit are
handled by the loop itself (it clips the last batch to the budget); these
are the criteria that depend on results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from activelearn.errors import ConfigError


@dataclass(frozen=True)
class LoopState:
    """What a stopping criterion may look at after a round."""

    round: int
    n_labeled: int
    n_unlabeled: int
    record: dict[str, Any]  # the round's history record (metrics, timings)
    candidate_probabilities: Any = None  # N x C for the remaining pool, when computed


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
