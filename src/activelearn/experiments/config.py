"""Experiment configs: a TOML grid, validated up front, expanded into cells.

A config names datasets, learners and strategies (each a name plus
parameters), seeds, batch sizes and budgets. Every strategy is paired with
random sampling on the same seeds and splits, and every dataset x learner x
seed gets a full-data model trained with the same recipe, so the report can
say "labels needed to reach 99% of the full-data accuracy" honestly.

Validation happens before anything runs: a bad value raises
:class:`ConfigError` naming the key (``grid.strategies[2]: unknown strategy
'foo'; available: ...``), because a typo found after an hour of compute is
an hour lost.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activelearn.data.datasets import available_datasets, check_dataset
from activelearn.errors import ConfigError
from activelearn.features.registry import FEATURIZERS
from activelearn.learners.registry import LEARNERS, available_learners
from activelearn.spec import LoopSpec, check_initial_method, labels_for_budget, spec_key
from activelearn.strategies import available_strategies, make_strategy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_SECTIONS = {"experiment", "grid", "loop", "target"}
_EXPERIMENT_KEYS = {
    "name", "description", "metric", "validation_size", "test_size", "split_seed",
    "random_baseline", "full_baseline",
}  # fmt: skip
_GRID_KEYS = {
    "datasets", "learners", "strategies", "seeds", "batch_sizes", "budgets", "semi_supervised",
}  # fmt: skip
_LOOP_KEYS = {
    "initial_size", "initial_method", "max_rounds", "cost_per_label", "score_batch_size",
    "stopping", "oracle",
}  # fmt: skip
_TARGET_KEYS = {"fraction_of_full", "value", "split"}
_METRICS = ("accuracy", "macro_f1", "f1")
_DATASET_KEYS = ("features",)  # dataset-table keys that are not the loader's parameters


@dataclass(frozen=True)
class Component:
    """A dataset, learner or strategy: a registered name, its parameters and a display label.

    A dataset may carry ``features`` (``"tfidf"``, ``{name = "minilm"}``, ``"none"``;
    default ``auto``: TF-IDF for texts)."""

    name: str
    params: dict[str, Any]
    label: str
    features: Any = "auto"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params}


@dataclass(frozen=True)
class Cell:
    """One unit of work: an active-learning run (``kind="al"``) or a full-data model (``"full"``).

    ``spec`` holds everything that determines the result and nothing else,
    so its hash (``key``) names the cached result on disk.
    """

    kind: str
    spec: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return cell_key(self.spec)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "spec": self.spec, "labels": self.labels}


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated experiment: the raw TOML plus the parsed grid."""

    raw: dict[str, Any]
    name: str
    metric: str
    datasets: list[Component]
    learners: list[Component]
    strategies: list[Component]
    seeds: list[int]
    batch_sizes: list[int]
    budgets: list[int | None]
    loop: dict[str, Any]
    split: dict[str, Any]
    target: dict[str, Any] | None
    full_baseline: bool = True
    # None: supervised only; every strategy (random included) runs with each entry
    semi_supervised: list[Component | None] = field(default_factory=lambda: [None])

    def loop_specs(self) -> list[tuple[LoopSpec, dict[str, str]]]:
        """Every dataset x learner x strategy x batch size x budget x seed, random included,
        as loop specs with display labels."""
        out = []
        combinations = itertools.product(
            self.datasets, self.learners, self.semi_supervised, self.strategies, self.batch_sizes,
            self.budgets, self.seeds,
        )  # fmt: skip
        for d, lr, semi, s, batch, budget, seed in combinations:
            spec = {
                "dataset": d.spec(), "features": d.features, "learner": lr.spec(),
                "strategy": s.spec(), "semi_supervised": None if semi is None else semi.spec(),
                "seed": seed, "batch_size": batch, "budget": budget, "metric": self.metric,
                "target": self.target, **self.loop, **self.split,
            }  # fmt: skip
            labels = {"dataset": d.label, "learner": lr.label, "strategy": s.label}
            if semi is not None:
                labels["semi_supervised"] = semi.label
            out.append((LoopSpec.from_dict(spec, "grid"), labels))
        return out

    def full_cells(self) -> list[Cell]:
        """One full-data model per dataset x learner x seed (the seed draws the validation set)."""
        if not self.full_baseline:
            return []
        cells: dict[str, Cell] = {}
        for spec, labels in self.loop_specs():
            full = Cell("full", spec.full(), {k: labels[k] for k in ("dataset", "learner")})
            cells.setdefault(full.key, full)
        return list(cells.values())

    def al_cells(self) -> list[Cell]:
        return [Cell("al", spec.to_dict(), labels) for spec, labels in self.loop_specs()]

    def cells(self) -> list[Cell]:
        return self.full_cells() + self.al_cells()


def cell_key(spec: dict[str, Any]) -> str:
    """A stable short hash of a cell's spec: the name of its cached result."""
    return spec_key(spec)


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a TOML experiment config."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_config(raw)


def parse_config(raw: dict[str, Any]) -> ExperimentConfig:
    """Validate a config given as a dict (the parsed TOML); errors name the offending key."""
    _only(raw, _SECTIONS, "")
    experiment = _table(raw, "experiment")
    grid = _table(raw, "grid")
    loop = _table(raw, "loop")
    target = raw.get("target")
    _only(experiment, _EXPERIMENT_KEYS, "experiment")
    _only(grid, _GRID_KEYS, "grid")
    _only(loop, _LOOP_KEYS, "loop")

    metric = experiment.get("metric", "accuracy")
    if metric not in _METRICS:
        raise ConfigError(f"experiment.metric: {metric!r} is not one of {', '.join(_METRICS)}")
    split = {
        "validation_size": _size(
            experiment.get("validation_size", 0.1), "experiment.validation_size"
        ),
        "test_size": _size(experiment.get("test_size", 0.2), "experiment.test_size"),
        "split_seed": _int(experiment.get("split_seed", 0), "experiment.split_seed", minimum=0),
    }

    datasets = _components(grid, "datasets", available_datasets(), "dataset")
    learners = _components(grid, "learners", available_learners(), "learner")
    strategies = _components(grid, "strategies", available_strategies(), "strategy")
    _check_components(datasets, learners, strategies)
    semi = _semi_components(grid.get("semi_supervised", ["none"]))
    # Every strategy is paired with random sampling unless told otherwise (`run` runs what
    # it is asked to).
    if experiment.get("random_baseline", True) and "random" not in [s.name for s in strategies]:
        strategies.append(Component("random", {}, "random"))
    labels = [s.label for s in strategies]
    duplicates = sorted({x for x in labels if labels.count(x) > 1})
    if duplicates:
        raise ConfigError(
            f"grid.strategies: {duplicates} appear twice; give each variant its own `label`"
        )

    seeds = _int_list(grid.get("seeds", [0, 1, 2]), "grid.seeds", minimum=0)
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:  # a seed run twice is the same run, not a second sample
        raise ConfigError(f"grid.seeds: {repeated} appear more than once; give distinct seeds")
    batch_sizes = _int_list(grid.get("batch_sizes", [100]), "grid.batch_sizes", minimum=1)
    budgets_raw = grid.get("budgets", [None])
    budgets: list[int | None] = (
        [None] if budgets_raw == [None] else _int_list(budgets_raw, "grid.budgets", minimum=1)
    )

    loop_spec = {
        "initial_size": _int(loop.get("initial_size", 100), "loop.initial_size", minimum=0),
        "initial_method": loop.get("initial_method", "random"),
        "max_rounds": (
            None
            if loop.get("max_rounds") is None
            else _int(loop["max_rounds"], "loop.max_rounds", minimum=1)
        ),
        "cost_per_label": _number(loop.get("cost_per_label", 1.0), "loop.cost_per_label"),
        "score_batch_size": _int(
            loop.get("score_batch_size", 50_000), "loop.score_batch_size", minimum=1
        ),
        "stopping": list(loop.get("stopping", [])),
        "oracle": loop.get("oracle", "simulated"),
    }
    for i, budget in enumerate(budgets):
        labels_budget = labels_for_budget(budget, loop_spec["cost_per_label"])
        if labels_budget is not None and labels_budget < max(loop_spec["initial_size"], 1):
            raise ConfigError(
                f"grid.budgets[{i}]: {budget} buys {labels_budget} labels, fewer than "
                f"loop.initial_size ({loop_spec['initial_size']})"
            )
    _guard("loop.initial_method", check_initial_method, loop_spec["initial_method"])
    if (
        budgets == [None]
        and loop_spec["max_rounds"] is None
        and target is None
        and not loop_spec["stopping"]
    ):
        raise ConfigError(
            "the runs would never stop: set grid.budgets, loop.max_rounds, loop.stopping or a "
            "[target]"
        )

    target_spec = None
    if target is not None:
        if not isinstance(target, dict):
            raise ConfigError(
                "target: expected a table like {fraction_of_full = 1.0, split = 'val'}"
            )
        _only(target, _TARGET_KEYS, "target")
        fraction = _number(target.get("fraction_of_full", 1.0), "target.fraction_of_full")
        if not 0 < fraction <= 1.5:
            raise ConfigError(f"target.fraction_of_full: {fraction} is outside (0, 1.5]")
        target_split = target.get("split", "val")
        if target_split not in ("val", "test"):
            raise ConfigError(f"target.split: {target_split!r} is not 'val' or 'test'")
        target_spec = {"fraction_of_full": fraction, "split": target_split}
        if "value" in target:  # an absolute target (`run --target 0.9`)
            if "fraction_of_full" in target:
                raise ConfigError("target: give value or fraction_of_full, not both")
            target_spec = {"value": _number(target["value"], "target.value"), "split": target_split}

    full_baseline = experiment.get("full_baseline", True)
    if target_spec is not None and "fraction_of_full" in target_spec and not full_baseline:
        raise ConfigError("target.fraction_of_full needs the full-data model: keep full_baseline")
    config = ExperimentConfig(
        raw=raw,
        name=str(experiment.get("name", "experiment")),
        metric=metric,
        datasets=datasets,
        learners=learners,
        strategies=strategies,
        seeds=seeds,
        batch_sizes=batch_sizes,
        budgets=budgets,
        loop=loop_spec,
        split=split,
        target=target_spec,
        full_baseline=bool(full_baseline),
        semi_supervised=semi,
    )
    config.loop_specs()  # every cell's spec is validated now, before anything runs
    return config


def _check_components(
    datasets: list[Component], learners: list[Component], strategies: list[Component]
) -> None:
    """Each dataset, featurizer, learner and strategy on its own, so an error names its place."""
    for i, d in enumerate(datasets):
        _guard(f"grid.datasets[{i}]", check_dataset, d.spec())
        if d.features not in (None, "none", "auto"):
            _guard(f"grid.datasets[{i}].features", FEATURIZERS.check, d.features)
    for i, lr in enumerate(learners):
        _guard(f"grid.learners[{i}]", LEARNERS.check, lr.spec())
    for i, s in enumerate(strategies):
        _guard(f"grid.strategies[{i}]", lambda c: make_strategy(c.name, **c.params), s)


def _semi_components(entries: Any) -> list[Component | None]:
    """``grid.semi_supervised``: "none" (supervised only) and/or methods of activelearn.semi."""
    from activelearn.semi import SEMI_SUPERVISION

    if not isinstance(entries, list) or not entries:
        raise ConfigError('grid.semi_supervised: give a list such as ["none", "self_training"]')
    out: list[Component | None] = []
    for i, entry in enumerate(entries):
        if entry in ("none", None):
            out.append(None)
            continue
        (component,) = _components({"semi_supervised": [entry]}, "semi_supervised",
                                   SEMI_SUPERVISION.names(), "semi-supervision method")  # fmt: skip
        _guard(f"grid.semi_supervised[{i}]", SEMI_SUPERVISION.check, component.spec())
        out.append(component)
    return out


def _guard(where: str, check: Any, value: Any) -> None:
    try:
        check(value)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a table ([{name}]), got {type(value).__name__}")
    return value


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"{prefix}{unknown[0]}: unknown key; allowed here: {', '.join(sorted(allowed))}"
        )


def _components(grid: dict[str, Any], key: str, available: list[str], what: str) -> list[Component]:
    entries = grid.get(key)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"grid.{key}: give a non-empty list of {what} names or tables")
    components = []
    for i, entry in enumerate(entries):
        where = f"grid.{key}[{i}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}: expected a name or a table with `name`, got {entry!r}")
        extra = _DATASET_KEYS if what == "dataset" else ()
        params = {k: v for k, v in entry.items() if k not in ("name", "label", "params", *extra)}
        params.update(entry.get("params") or {})
        name = entry["name"]
        if name not in available:
            raise ConfigError(
                f"{where}: unknown {what} {name!r}; available: {', '.join(available)}"
            )
        features = entry.get("features", "auto")
        shown = {**params, **({"features": features} if features not in ("auto",) else {})}
        label = entry.get("label") or _default_label(name, shown)
        components.append(Component(name, params, str(label), features))
    return components


def _default_label(name: str, params: dict[str, Any]) -> str:
    if not params:
        return name
    shown = {k: v.get("name", v) if isinstance(v, dict) else v for k, v in params.items()}
    # A tab or newline (sep = "\t") would break the table's heading: show it escaped.
    shown = {k: repr(v) if isinstance(v, str) and not v.isprintable() else v
             for k, v in shown.items()}  # fmt: skip
    inside = ",".join(f"{k}={v}" for k, v in sorted(shown.items()))
    return f"{name}({inside})"


def _int(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _int_list(value: Any, where: str, *, minimum: int) -> list[int]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a non-empty list of integers, got {value!r}")
    return [_int(v, f"{where}[{i}]", minimum=minimum) for i, v in enumerate(value)]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    return float(value)


def _size(value: Any, where: str) -> float | int:
    """A held-out size: a fraction in [0, 1) or a count >= 0 (0: no such set)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: expected a fraction or a count, got {value!r}")
    if isinstance(value, float) and not 0 <= value < 1:
        raise ConfigError(f"{where}: a fraction must lie in [0, 1), got {value}")
    if isinstance(value, int) and value < 0:
        raise ConfigError(f"{where}: a count must be at least 0, got {value}")
    return int(value) if value == 0 else value
