"""The settings of ``activelearn run``: a TOML file's keys and the flags, checked in the
flags' words, compiled into a one-cell experiment; and the output folder's own copy of
them, which decides what ``--resume`` may change."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from activelearn.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# Flags that describe a table file: they go into the `csv` dataset's parameters.
TABLE_FLAGS = {
    "data": "path", "test_data": "test_path", "validation_data": "validation_path",
    "text_column": "text_column", "label_column": "label_column", "id_column": "id_column",
    "format": "format", "sep": "sep", "encoding": "encoding", "decimal": "decimal",
}  # fmt: skip
TABLE_KEYS = {*TABLE_FLAGS, "feature_columns", "classes", "no_header", "header"}
# Flags whose settings key is another word: a TOML file may use either.
FLAG_KEYS = {"strategy": "strategies", "stop": "stopping", "seed": "seeds"}
DEFAULT_ROUNDS = 10  # when nothing else says when to stop


@dataclass
class RunSettings:
    """Everything ``activelearn run`` needs; the TOML file's keys have these names."""

    dataset: str = "synthetic"
    dataset_params: dict[str, Any] = field(default_factory=dict)
    features: str | None = "auto"
    learner: str = "logistic_regression"
    learner_params: dict[str, Any] = field(default_factory=dict)
    class_weight: str | None = None  # "balanced" / "none"; None keeps the learner's default
    strategies: list[str] = field(default_factory=lambda: ["auto", "random"])
    strategy_params: dict[str, Any] = field(default_factory=dict)
    initial_size: int = 100
    initial_method: str = "random"
    batch_size: int = 100
    rounds: int | None = None
    budget: int | None = None
    target: float | None = None
    metric: str = "accuracy"  # of the learning curves, AULC, labels-to-95% and --target
    target_split: str = "val"
    stopping: list[Any] = field(default_factory=list)
    semi_supervised: list[Any] = field(default_factory=lambda: ["none"])
    seeds: list[int] = field(default_factory=lambda: [0])
    oracle: str = "simulated"
    validation_size: float | int = 0.1
    test_size: float | int = 0.2
    split_seed: int = 0
    full_baseline: bool = True
    output: str = "runs/latest"
    resume: bool = False
    workers: int | None = None
    executor: str = "local"  # where the runs go: local processes or Ray
    address: str | None = None  # a Ray cluster's address (none: a local Ray instance)
    threads: int | str | None = None  # BLAS/torch threads per run; None: 1 when runs share cores

    @classmethod
    def from_toml(cls, path: str | Path) -> RunSettings:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "settings") -> RunSettings:
        data = dict(data)
        if "target_metric" in data:  # the older name of `metric`
            data.setdefault("metric", data.pop("target_metric"))
        for flag, key in FLAG_KEYS.items():
            if flag in data:
                if key in data:
                    raise ConfigError(f"{source}: give {key} or {flag}, not both")
                value = data.pop(flag)
                data[key] = value if isinstance(value, list) else [value]
        # A table file's keys may be written as the flags name them (data = "x.csv", ...).
        table = {TABLE_FLAGS.get(k, k): data.pop(k) for k in list(data) if k in TABLE_KEYS}
        if "no_header" in table:
            table["header"] = not table.pop("no_header")
        if table:
            data["dataset_params"] = {**data.get("dataset_params", {}), **table}
            data.setdefault("dataset", "csv")  # `data = "x.csv"` names a table file
        known = sorted(f.name for f in fields(cls))
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known)}, "
                f"and a table file's {', '.join(sorted(TABLE_KEYS))}"
            )
        settings = cls(**data)
        settings.validate(source)
        return settings

    def validate(self, source: str) -> None:
        """The run's own settings, in the words of its flags (the rest is checked as a spec)."""
        for key, minimum in (("initial_size", 0), ("batch_size", 1), ("rounds", 0),
                             ("budget", 1), ("workers", 1)):  # fmt: skip
            value = getattr(self, key)
            if value is None and key in ("rounds", "budget", "workers"):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                what = "a positive integer" if minimum else "an integer >= 0"
                raise ConfigError(f"{source}: --{key.replace('_', '-')} ({key}) must be {what}, "
                                  f"got {value!r}")  # fmt: skip
        if not self.strategies:
            raise ConfigError(f"{source}: --strategy (strategies) must name at least one")
        if self.class_weight not in (None, "balanced", "none"):
            raise ConfigError(f"{source}: --class-weight must be 'balanced' or 'none'")
        if self.oracle not in ("simulated", "file"):
            raise ConfigError(f"{source}: --oracle must be 'simulated' or 'file'")
        if self.executor not in ("local", "ray"):
            raise ConfigError(f"{source}: --executor must be 'local' or 'ray'")
        if self.address and self.executor != "ray":
            raise ConfigError(f"{source}: --address is for the Ray executor: add --executor ray")

    def experiment(self) -> dict[str, Any]:
        """The one-cell experiment these settings describe (an experiment config as a dict)."""
        learner_params = dict(self.learner_params)
        if self.class_weight is not None:
            learner_params["class_weight"] = self.class_weight
        dataset = {"name": self.dataset, **self.dataset_params}
        if self.dataset == "csv":
            if self.oracle != "simulated":  # rows without a label are the pool for people
                dataset.setdefault("labeled_only", False)
            dataset["label"] = Path(str(self.dataset_params.get("path", "table"))).name
        dataset["features"] = self.features if self.features is not None else "none"
        strategies = [
            {"name": name, **(self.strategy_params if name != "random" else {})}
            for name in self.strategies
        ]
        stops_by = self.budget is not None or self.target is not None or bool(self.stopping)
        raw: dict[str, Any] = {
            "experiment": {
                "name": f"{self.dataset} run", "metric": self.metric,
                "validation_size": self.validation_size, "test_size": self.test_size,
                "split_seed": self.split_seed, "random_baseline": False,
                "full_baseline": self.full_baseline and self.oracle == "simulated",
            },
            "grid": {
                "datasets": [dataset], "learners": [{"name": self.learner, **learner_params}],
                "strategies": strategies, "seeds": self.seeds, "batch_sizes": [self.batch_size],
                "budgets": [self.budget], "semi_supervised": self.semi_supervised,
            },
            "loop": {
                "initial_size": self.initial_size, "initial_method": self.initial_method,
                "max_rounds": self.rounds if self.rounds is not None or stops_by
                else DEFAULT_ROUNDS,
                "stopping": self.stopping, "oracle": self.oracle,
            },
        }  # fmt: skip
        if self.target is not None:
            raw["target"] = {"value": self.target, "split": self.target_split}
        if raw["loop"]["max_rounds"] is None:
            del raw["loop"]["max_rounds"]
        if self.budget is None:
            del raw["grid"]["budgets"]
        return raw


# What a resumed run may change: how far it goes and how it is run, never what it is.
EXTENDABLE = ("budget", "rounds", "target", "metric", "target_split", "stopping",
              "workers", "threads", "resume", "output")  # fmt: skip


def check_output(settings: RunSettings) -> Path:
    """The output folder. A run there needs --resume, and a resumed run may only go further:
    the same data, model, strategies and seeds, a budget or round count no smaller."""
    output = Path(settings.output)
    saved = output / "settings.json"
    if not saved.exists():
        return output
    if not settings.resume:
        raise ConfigError(
            f"{output} already holds a run: resume it (--resume) or choose another --output"
        )
    previous = json.loads(saved.read_text())
    current = asdict(settings)
    changed = [k for k in current if k not in EXTENDABLE and previous.get(k) != current[k]]
    if changed:
        details = "; ".join(
            f"--{k.replace('_', '-')} was {previous.get(k)!r}, now {current[k]!r}" for k in changed
        )
        raise ConfigError(
            f"--resume continues the run in {output} ({details}): change only --budget, "
            "--rounds, --target or --stop, or choose another --output"
        )
    for key in ("budget", "rounds"):
        before, now = previous.get(key), current[key]
        if before is not None and now is not None and now < before:
            raise ConfigError(
                f"--resume can only extend a run: --{key} {now} is below the {before} it had "
                "(its labels are kept); choose another --output for a smaller run"
            )
    return output


def save_settings(settings: RunSettings, output: Path) -> None:
    """Written once the data has been checked: a run that never started is no run."""
    output.mkdir(parents=True, exist_ok=True)
    saved = output / "settings.json"
    if saved.exists():
        shutil.copyfile(saved, output / "settings.previous.json")
    current = {k: v for k, v in asdict(settings).items() if k != "resume"}
    saved.write_text(json.dumps(current, indent=1))
