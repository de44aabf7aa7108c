"""What the Keras IMDB reproduction reports: per-seed models, their test metrics, a summary."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from activelearn.reproduce.keras_imdb import ImdbProtocol


@dataclass
class Evaluation:
    """Binary metrics at threshold 0.5, as the tutorial's Keras metrics compute them."""

    accuracy: float
    loss: float
    false_positives: int
    false_negatives: int

    @classmethod
    def from_record(cls, record: dict[str, Any], prefix: str = "") -> Evaluation:
        """From a loop round's metrics (``val_`` prefix for the validation set)."""
        return cls(
            accuracy=float(record[f"{prefix}accuracy"]), loss=float(record[f"{prefix}loss"]),
            false_positives=int(record[f"{prefix}fp"]), false_negatives=int(record[f"{prefix}fn"]),
        )  # fmt: skip

    @classmethod
    def of(cls, positive_probability: np.ndarray, labels: np.ndarray) -> Evaluation:
        p = np.clip(np.asarray(positive_probability, dtype=np.float64), 1e-7, 1 - 1e-7)
        y = np.asarray(labels)
        predicted = (p > 0.5).astype(int)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return cls(
            accuracy=float((predicted == y).mean()),
            loss=float(loss),
            false_positives=int(((predicted == 1) & (y == 0)).sum()),
            false_negatives=int(((predicted == 0) & (y == 1)).sum()),
        )


@dataclass
class ModelRun:
    """One trained model (full data or active learning): its test metrics and how it got there.

    ``history`` holds every epoch of every fit with its ``round`` (0 = first
    fit), like the tutorial's ``append_history``; ``rounds`` one row per fit.
    """

    test: Evaluation
    labels_used: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelRun:
        return cls(**{**data, "test": Evaluation(**data["test"])})


@dataclass
class SeedResult:
    seed: int
    full: ModelRun
    active: ModelRun

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedResult:
        """A seed finished earlier, read back from its ``seed_<n>.json``."""
        return cls(
            data["seed"], ModelRun.from_dict(data["full"]), ModelRun.from_dict(data["active"])
        )


SUMMARY_METRICS = (
    "accuracy",
    "loss",
    "false_positives",
    "false_negatives",
    "labels_used",
    "seconds",
)


@dataclass
class KerasImdbResult:
    """Per-seed results plus what produced them; ``summary()`` gives mean and std over seeds."""

    seeds: list[SeedResult]
    faithful: bool
    leaks_test_set: bool
    reload_best: bool
    protocol: ImdbProtocol

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{"full"|"active": {metric: {"mean", "std"}}}``; std uses ddof=1 (0 for one seed)."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for name in ("full", "active"):
            out[name] = {}
            for metric in SUMMARY_METRICS:
                values = np.array([_metric(getattr(s, name), metric) for s in self.seeds], float)
                std = values.std(ddof=1) if len(values) > 1 else 0.0
                out[name][metric] = {"mean": float(values.mean()), "std": float(std)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "summary": self.summary()}

    def report(self) -> str:
        """A short text table for the command line."""
        mode = (
            "faithful (ratio from TEST set, draws by TRUE label)"
            if self.faithful
            else ("leakage-free (ratio from validation set, draws by predicted class)")
        )
        lines = [f"Keras IMDB active-learning reproduction, {mode}, seeds {self._seed_list()}"]
        summary = self.summary()
        for name, title in (("full", "full data"), ("active", "active learning")):
            row = summary[name]
            lines.append(
                f"  {title:16s} accuracy {_pm(row['accuracy'], 4)}"
                f"  FP {_pm(row['false_positives'], 0)}  FN {_pm(row['false_negatives'], 0)}"
                f"  labels {row['labels_used']['mean']:.0f}"
                f"  time {row['seconds']['mean']:.0f}s"
            )
        if self.leaks_test_set:
            lines.append(
                "  WARNING: the test set chose the training data; its accuracy is optimistic"
            )
        return "\n".join(lines)

    def _seed_list(self) -> str:
        return ",".join(str(s.seed) for s in self.seeds)


def _metric(run: ModelRun, metric: str) -> float:
    if metric in ("labels_used", "seconds"):
        return getattr(run, metric)
    return getattr(run.test, metric)


def _pm(stats: dict[str, float], digits: int) -> str:
    return f"{stats['mean']:.{digits}f}±{stats['std']:.{digits}f}"
