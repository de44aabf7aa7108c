"""One serialisable description of an active-learning run: the loop spec.

``activelearn run`` compiles its flags and TOML into loop specs, an
experiment grid expands into them, and :func:`build_loop` turns one into an
:class:`~activelearn.loop.ActiveLearningLoop`. A spec mirrors the loop's
constructor with every component named from a registry (dataset,
featurizer, learner, strategy, stopping criteria) and holds everything
that determines the result and nothing else, so its hash is both the cell's
cache key and the run directory's resume fingerprint.

A spec is validated once, when it is made (:meth:`LoopSpec.from_dict`):
unknown keys, unknown names and bad parameters are errors that name the key,
before anything runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activelearn.catalog import Task
from activelearn.data.datasets import check_dataset
from activelearn.errors import ConfigError
from activelearn.features.registry import FEATURIZERS
from activelearn.learners.registry import LEARNERS
from activelearn.loop import ActiveLearningLoop
from activelearn.oracles import FileOracle
from activelearn.registry import as_spec
from activelearn.semi import SEMI_SUPERVISION
from activelearn.stopping import STOPPING, TargetMetric
from activelearn.strategies import make_strategy
from activelearn.strategies.base import PROBABILITIES, SAMPLES, VALIDATION
from activelearn.strategies.registry import strategy_class

# Bump when the meaning of a spec or of its result changes, so old caches are not reused.
SPEC_FORMAT = 2
METRICS = ("accuracy", "macro_f1", "f1")
ORACLES = ("simulated", "file")


@dataclass(frozen=True)
class LoopSpec:
    """Everything that determines one run's result (see the module docstring)."""

    dataset: dict[str, Any]
    learner: dict[str, Any] = field(default_factory=lambda: as_spec("logistic_regression"))
    strategy: dict[str, Any] = field(default_factory=lambda: as_spec("auto"))
    # "auto": TF-IDF for texts, nothing for numbers; None: the items as they are.
    features: dict[str, Any] | None = field(default_factory=lambda: as_spec("auto"))
    seed: int = 0
    initial_size: int = 100
    initial_method: str = "random"
    batch_size: int = 100
    max_rounds: int | None = None
    budget: float | None = None  # in labels, or in money with cost_per_label
    cost_per_label: float = 1.0
    target: dict[str, Any] | None = None  # {"value" | "fraction_of_full", "split"}
    stopping: tuple[dict[str, Any], ...] = ()
    semi_supervised: dict[str, Any] | None = None  # activelearn.semi: self_training, ...
    metric: str = "accuracy"
    validation_size: float | int = 0.1
    test_size: float | int = 0.2
    split_seed: int = 0
    score_batch_size: int = 50_000
    oracle: str = "simulated"

    # -- making and checking one --------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "spec") -> LoopSpec:
        """A validated spec; errors name the key (``where.key: ...``)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - {"format", "kind"})
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "dataset" not in data:
            raise ConfigError(f"{where}: name a dataset")
        values = {k: v for k, v in data.items() if k in known}
        for key in ("dataset", "learner", "strategy"):
            if key in values:
                values[key] = _component(values[key], f"{where}.{key}")
        if values.get("semi_supervised") in ("none",):
            values["semi_supervised"] = None
        if values.get("semi_supervised") is not None:
            values["semi_supervised"] = _component(
                values["semi_supervised"], f"{where}.semi_supervised"
            )
            # Which refits are kept changes the results, so every key names the rule (cells
            # and run folders from before it existed kept every refit).
            semi = values["semi_supervised"]
            if semi["name"] in SEMI_SUPERVISION and "accept" in SEMI_SUPERVISION.parameters(
                semi["name"]
            ):
                semi["params"].setdefault("accept", "if_better")
        if "features" in values:
            values["features"] = None if values["features"] in (None, "none") else _component(
                values["features"], f"{where}.features")  # fmt: skip
        values["stopping"] = tuple(
            _component(s, f"{where}.stopping[{i}]")
            for i, s in enumerate(values.get("stopping", ()))
        )
        spec = cls(**values)
        spec.validate(where)
        return spec

    def validate(self, where: str = "spec") -> None:
        def check(key: str, test: bool, message: str) -> None:
            if not test:
                raise ConfigError(f"{where}.{key}: {message}, got {getattr(self, key)!r}")

        _guard(f"{where}.dataset", lambda: check_dataset(self.dataset))
        _guard(f"{where}.learner", lambda: LEARNERS.check(self.learner))
        if self.features is not None and self.features["name"] != "auto":
            _guard(f"{where}.features", lambda: FEATURIZERS.check(self.features))
        _guard(
            f"{where}.strategy",
            lambda: make_strategy(self.strategy["name"], **self.strategy["params"]),
        )
        if self.semi_supervised is not None:
            _guard(f"{where}.semi_supervised", lambda: SEMI_SUPERVISION.check(self.semi_supervised))
        for i, criterion in enumerate(self.stopping):
            _guard(f"{where}.stopping[{i}]", lambda c=criterion: STOPPING.check(c))
        check("seed", _is_int(self.seed, 0), "expected an integer >= 0")
        check("initial_size", _is_int(self.initial_size, 0), "expected an integer >= 0")
        check("batch_size", _is_int(self.batch_size, 1), "must be a positive integer")
        check("max_rounds", self.max_rounds is None or _is_int(self.max_rounds, 0),
              "expected an integer >= 0 or nothing")  # fmt: skip
        check("budget", self.budget is None or (_is_number(self.budget) and self.budget > 0),
              "expected a positive number or nothing")  # fmt: skip
        check("cost_per_label", _is_number(self.cost_per_label) and self.cost_per_label > 0,
              "expected a positive number")  # fmt: skip
        check("metric", self.metric in METRICS, f"expected one of {', '.join(METRICS)}")
        check("oracle", self.oracle in ORACLES, "expected 'simulated' or 'file'")
        check("score_batch_size", _is_int(self.score_batch_size, 1), "expected a positive integer")
        check("split_seed", _is_int(self.split_seed, 0), "expected an integer >= 0")
        for key in ("validation_size", "test_size"):
            value = getattr(self, key)
            ok = _is_number(value) and (0 <= value < 1 if isinstance(value, float) else value >= 0)
            check(key, ok, "expected a fraction in [0, 1) or a count >= 0")
        _guard(f"{where}.initial_method", lambda: check_initial_method(self.initial_method))
        if self.initial_method == "balanced" and self.oracle != "simulated":
            raise ConfigError(
                f"{where}.initial_method: 'balanced' reads the hidden labels, so it is for "
                "simulations only; with people (--oracle file) use 'random' or a cold-start "
                "strategy"
            )
        labels = self.max_labels
        if labels is not None and labels < max(self.initial_size, 1):
            raise ConfigError(
                f"{where}.budget: {self.budget} buys {labels} labels, fewer than the initial "
                f"seed ({self.initial_size})"
            )
        if self.target is not None:
            self._check_target(where)
        if labels is None and self.max_rounds is None and self.target is None and not self.stopping:
            raise ConfigError(
                f"{where}: the run would never stop: set a budget, rounds, a target or a "
                "stopping criterion"
            )

    def _check_target(self, where: str) -> None:
        target = self.target
        if not isinstance(target, dict) or set(target) - {"value", "fraction_of_full", "split"}:
            raise ConfigError(
                f"{where}.target: expected {{value = 0.9}} or {{fraction_of_full = 0.99}} with "
                f"an optional split = 'val' | 'test', got {target!r}"
            )
        if ("value" in target) == ("fraction_of_full" in target):
            raise ConfigError(f"{where}.target: give exactly one of value and fraction_of_full")
        number = target.get("value", target.get("fraction_of_full"))
        if not _is_number(number) or not 0 < number <= 1.5:
            raise ConfigError(f"{where}.target: {number!r} is outside (0, 1.5]")
        if "value" in target and number > 1:  # every metric in METRICS lies in [0, 1]
            raise ConfigError(
                f"{where}.target: {self.metric} {number} can never be reached: "
                f"{self.metric} lies between 0 and 1"
            )
        if target.get("split", "val") not in ("val", "test"):
            raise ConfigError(f"{where}.target.split: {target['split']!r} is not 'val' or 'test'")

    # -- what it means ----------------------------------------------------------------

    @property
    def max_labels(self) -> int | None:
        return labels_for_budget(self.budget, self.cost_per_label)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["stopping"] = list(self.stopping)
        return {"format": SPEC_FORMAT, "kind": "al", **data}

    def key(self) -> str:
        """A stable short hash of the spec: the name of its cached result."""
        return spec_key(self.to_dict())

    def trajectory_key(self) -> str:
        """The hash of what shapes the run's labels (the spec without its stopping rules): the
        run directory's resume fingerprint, so a run can be extended by a larger budget."""
        stopping = ("max_rounds", "budget", "cost_per_label", "target", "stopping", "metric")
        return spec_key({k: v for k, v in self.to_dict().items() if k not in stopping})

    def full(self) -> dict[str, Any]:
        """The spec of this run's full-data reference: the same data, features, learner,
        seed and splits, every pool item labeled."""
        return {
            "format": SPEC_FORMAT, "kind": "full", "dataset": self.dataset,
            "features": self.features, "learner": self.learner, "seed": self.seed,
            "validation_size": self.validation_size, "test_size": self.test_size,
            "split_seed": self.split_seed, "score_batch_size": self.score_batch_size,
        }  # fmt: skip

    def replace(self, **changes: Any) -> LoopSpec:
        return LoopSpec.from_dict({**self.to_dict(), **changes})


def labels_for_budget(budget: float | None, cost_per_label: float) -> int | None:
    """Labels a budget buys: budgets are in labels at cost 1, in money otherwise.

    The small tolerance keeps float division honest: $100 at $0.05 buys 2,000, not 1,999.
    """
    return None if budget is None else int(budget / cost_per_label + 1e-9)


def spec_key(spec: dict[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _component(value: Any, where: str) -> dict[str, Any]:
    try:
        spec = as_spec(value)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    assert spec is not None
    return spec


def _guard(where: str, check: Any) -> None:
    try:
        check()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_initial_method(method: str) -> None:
    """``random``, ``balanced`` (simulation only), or a strategy that needs no trained model."""
    if method in ("random", "balanced"):
        return
    try:
        cls = strategy_class(method)
    except ConfigError:
        cls = None
    if cls is None or cls.requires & {PROBABILITIES, SAMPLES, VALIDATION}:
        raise ConfigError(
            f"{method!r} is not 'random', 'balanced' (simulation only) or a strategy "
            "that needs no trained model (typiclust, probcover, coreset, kmeans)"
        )


# -- from a spec to a loop ----------------------------------------------------------------


def build_loop(
    spec: LoopSpec,
    task: Task,
    *,
    run_dir: str | Path | None = None,
    resume: bool = False,
    full: dict[str, Any] | None = None,
    threads: int | str | None = "auto",
    oracle: Any = None,
) -> ActiveLearningLoop:
    """The loop ``spec`` describes, on ``task`` (from :func:`activelearn.catalog.load_task`).

    ``full`` holds the full-data reference's metrics (``{"test": ..., "val": ...}``)
    for a target given as ``fraction_of_full``. With the file oracle, batches
    for people are written under ``run_dir/batches``.
    """
    simulated = spec.oracle == "simulated"
    if oracle is None and not simulated:
        if run_dir is None:
            raise ConfigError("the file oracle needs a run directory to write batches into")
        oracle = FileOracle(Path(run_dir) / "batches")
    stopping = [STOPPING.make(s, random_state=spec.seed) for s in spec.stopping]
    if spec.target is not None:
        split_name = spec.target.get("split", "val")
        value = spec.target.get("value")
        if value is None:
            if full is None:
                raise ConfigError("a target relative to the full-data model needs that model")
            value = (
                full["test" if split_name == "test" else "val"][spec.metric]
                * spec.target["fraction_of_full"]
            )
        stopping.append(TargetMetric(spec.metric, value, split_name))
    return ActiveLearningLoop(
        task.pool(simulated=simulated),
        task.make_learner(spec.learner, spec.seed),
        spec.strategy["name"],
        oracle,
        strategy_params=spec.strategy["params"],
        batch_size=spec.batch_size,
        initial_size=spec.initial_size,
        initial_method=spec.initial_method,
        max_rounds=spec.max_rounds,
        max_labels=spec.max_labels,
        stopping=stopping,
        validation=task.validation,
        test=task.test,
        embeddings=task.embeddings,
        seed=spec.seed,
        score_batch_size=spec.score_batch_size,
        threads=threads,
        semi_supervised=spec.semi_supervised,
        run_dir=run_dir,
        resume=resume,
        fingerprint={"spec": spec.trajectory_key()},
    )


def full_data_record(
    task: Task, learner: dict[str, Any], seed: int, *, threads: int | str | None = "auto"
) -> dict[str, Any]:
    """The full-data reference: the loop's own seed round over the whole pool, so it is
    fitted and evaluated exactly as the active-learning rounds are."""
    pool = task.pool(simulated=True)
    loop = ActiveLearningLoop(
        pool, task.make_learner(learner, seed), "random", initial_size=len(pool), max_rounds=0,
        validation=task.validation, test=task.test, seed=seed, threads=threads,
    )  # fmt: skip
    return loop.run()[0]
