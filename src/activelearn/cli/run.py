"""``activelearn run``: active learning on one dataset, one or more strategies and seeds.

Settings come from a TOML file (``--config``) and/or flags; a flag wins over
the file. Each (strategy, seed) run gets its own directory under
``--output`` holding the label log, ``history.csv`` and ``history.json``, so
``--resume`` continues any of them. The command ends with a results table
and PNG plots.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.catalog import Task, load_task, make_learner
from activelearn.cli.progress import LoopProgress
from activelearn.errors import ConfigError
from activelearn.history import History
from activelearn.loop import ActiveLearningLoop
from activelearn.oracles import FileOracle
from activelearn.stopping import TargetMetric

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@dataclass
class RunSettings:
    """Everything ``activelearn run`` needs; the TOML file's keys have these names."""

    dataset: str = "synthetic"
    dataset_params: dict[str, Any] = field(default_factory=dict)
    features: str | None = None
    learner: str = "logistic_regression"
    learner_params: dict[str, Any] = field(default_factory=dict)
    strategies: list[str] = field(default_factory=lambda: ["least_confidence", "random"])
    strategy_params: dict[str, Any] = field(default_factory=dict)
    initial_size: int = 100
    initial_method: str = "balanced"
    batch_size: int = 100
    rounds: int | None = 10
    budget: int | None = None
    target: float | None = None
    target_metric: str = "accuracy"
    target_split: str = "val"
    seeds: list[int] = field(default_factory=lambda: [0])
    oracle: str = "simulated"
    full_baseline: bool = True
    output: str = "runs/latest"
    resume: bool = False

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
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known)}"
            )
        settings = cls(**data)
        settings.validate(source)
        return settings

    def validate(self, source: str = "settings") -> None:
        for key in ("initial_size", "batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < (0 if key == "initial_size" else 1):
                raise ConfigError(f"{source}: {key} must be a positive integer, got {value!r}")
        for key in ("rounds", "budget"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ConfigError(f"{source}: {key} must be a non-negative integer, got {value!r}")
        if self.rounds is None and self.budget is None and self.target is None:
            raise ConfigError(f"{source}: set rounds, budget or target, or the run never stops")
        if self.oracle not in ("simulated", "file"):
            raise ConfigError(
                f"{source}: oracle must be 'simulated' or 'file', not {self.oracle!r}"
            )
        if not self.strategies:
            raise ConfigError(f"{source}: strategies must name at least one strategy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run active learning on a dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="TOML file with RunSettings keys; flags override it")
    parser.add_argument(
        "--dataset",
        help="dataset: synthetic, digits, imdb, fashion_mnist, cifar10, or csv "
        "(give --data, --text-column and --label-column)",
    )
    parser.add_argument("--data", help="path of the dataset file or archive")
    parser.add_argument("--text-column", help="text column of a CSV/JSONL/Parquet file")
    parser.add_argument("--label-column", help="label column of a CSV/JSONL/Parquet file")
    parser.add_argument("--features", choices=["tfidf", "minilm"], help="featurize texts")
    parser.add_argument("--learner", help="learner name (default logistic_regression)")
    parser.add_argument("--strategy", nargs="+", dest="strategies", help="one or more strategies")
    parser.add_argument(
        "--strategy-param", action="append", default=[], metavar="KEY=VALUE",
        help="strategy parameter (JSON value), e.g. --strategy-param fraction=0.5",
    )  # fmt: skip
    parser.add_argument("--initial-size", type=int, help="size of the labeled seed (default 100)")
    parser.add_argument(
        "--initial-method", help="random, balanced (simulation only), or a cold-start strategy"
    )
    parser.add_argument("--batch-size", type=int, help="labels per round (default 100)")
    parser.add_argument("--rounds", type=int, help="rounds after the seed (default 10)")
    parser.add_argument("--budget", type=int, help="total labels, seed included")
    parser.add_argument("--target", type=float, help="stop when the target metric reaches this")
    parser.add_argument("--target-metric", help="metric for --target (default accuracy)")
    parser.add_argument(
        "--target-split", choices=["val", "test"], help="set --target is checked on (default val)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", help="random seeds (default 0)")
    parser.add_argument(
        "--oracle", choices=["simulated", "file"],
        help="simulated: ground truth answers; file: batches exported for people to label",
    )  # fmt: skip
    parser.add_argument(
        "--no-full-baseline", dest="full_baseline", action="store_false", default=None,
        help="skip training the full-data reference model",
    )  # fmt: skip
    parser.add_argument("--output", help="output directory (default runs/latest)")
    parser.add_argument("--resume", action="store_true", default=None, help="continue a run")
    parser.set_defaults(func=handle)


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    base = RunSettings.from_toml(args.config) if args.config else RunSettings()
    overrides = {
        name: getattr(args, name)
        for name in (
            "dataset",
            "features",
            "learner",
            "strategies",
            "initial_size",
            "initial_method",
            "batch_size",
            "rounds",
            "budget",
            "target",
            "target_metric",
            "target_split",
            "seeds",
            "oracle",
            "full_baseline",
            "output",
            "resume",
        )  # fmt: skip
        if getattr(args, name, None) is not None
    }
    data = {**base.__dict__, **overrides}
    data["dataset_params"] = dict(base.dataset_params)
    for flag, key in (
        ("data", "path"),
        ("text_column", "text_column"),
        ("label_column", "label_column"),
    ):
        if getattr(args, flag) is not None:
            data["dataset_params"][key] = getattr(args, flag)
    data["strategy_params"] = {**base.strategy_params, **_key_values(args.strategy_param)}
    return RunSettings.from_dict(data, source="command line")


def _key_values(pairs: list[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--strategy-param needs KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def handle(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    results = run(settings)
    print(results["table"])
    for plot in results["plots"]:
        print(f"plot: {plot}")
    return 0


def full_data_metrics(task: Task, learner_name: str, learner_params: dict[str, Any]) -> dict:
    """The reference: the same learner, fitted as the loop fits it, on every pool item."""
    pool = task.pool()
    loop = ActiveLearningLoop(
        pool,
        make_learner(learner_name, task, **learner_params),
        "random",
        initial_size=len(pool),
        validation=task.validation,
        test=task.test,
    )
    return loop.run()[0]


def run(settings: RunSettings) -> dict[str, Any]:
    """Run every (strategy, seed); write histories, a summary and plots under ``output``."""
    from activelearn.plots import learning_curves, training_curves

    output = Path(settings.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "settings.json").write_text(json.dumps(settings.__dict__, indent=1))
    task = load_task(settings.dataset, features=settings.features, **settings.dataset_params)
    full = None
    if settings.full_baseline:
        print("training the full-data reference model ...", file=sys.stderr)
        full = full_data_metrics(task, settings.learner, settings.learner_params)
    histories: dict[str, list[History]] = {}
    for strategy in settings.strategies:
        for seed in settings.seeds:
            histories.setdefault(strategy, []).append(_run_one(settings, task, strategy, seed))
    summary = summarize(histories, full)
    (output / "summary.json").write_text(json.dumps(summary, indent=1))
    plots = [learning_curves(histories, output / "learning_curve.png",
                             reference=full["accuracy"] if full else None)]  # fmt: skip
    first = histories[settings.strategies[0]][0]
    epochs_plot = training_curves(first, output / "training_curves.png")
    if epochs_plot is not None:
        plots.append(epochs_plot)
    table = format_summary(summary)
    (output / "summary.txt").write_text(table + "\n")
    return {"summary": summary, "table": table, "plots": plots, "histories": histories}


def _run_one(settings: RunSettings, task: Task, strategy: str, seed: int) -> History:
    run_dir = Path(settings.output) / strategy / f"seed_{seed}"
    pool = task.pool()
    oracle = FileOracle(run_dir / "batches") if settings.oracle == "file" else None
    stopping = []
    if settings.target is not None:
        stopping.append(
            TargetMetric(settings.target_metric, settings.target, settings.target_split)
        )
    loop = ActiveLearningLoop(
        pool,
        make_learner(settings.learner, task, seed, **settings.learner_params),
        strategy,
        oracle,
        strategy_params=settings.strategy_params if strategy != "random" else None,
        batch_size=settings.batch_size,
        initial_size=settings.initial_size,
        initial_method=settings.initial_method,
        max_rounds=settings.rounds,
        max_labels=settings.budget,
        stopping=stopping,
        validation=task.validation,
        test=task.test,
        embeddings=task.embeddings,
        seed=seed,
        run_dir=run_dir,
        resume=settings.resume,
    )
    total = None if settings.rounds is None else settings.rounds + 1
    progress = LoopProgress(total, f"{strategy} seed {seed}")
    loop.subscribe(progress)
    try:
        return loop.run()
    finally:
        progress.close()


def summarize(histories: dict[str, list[History]], full: dict | None) -> dict[str, Any]:
    """Final test metrics per strategy, mean and standard deviation over seeds."""
    rows = {}
    for strategy, runs in histories.items():
        finals = [h[-1] for h in runs if len(h)]
        row: dict[str, Any] = {"seeds": len(finals)}
        for key in ("n_labeled", "accuracy", "f1", "fp", "fn"):
            values = np.array([f.get(key, np.nan) for f in finals], dtype=float)
            row[key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
        rows[strategy] = row
    return {"strategies": rows, "full_data": full}


def format_summary(summary: dict[str, Any]) -> str:
    header = f"{'model':28s} {'labels':>8s} {'accuracy':>17s} {'F1':>17s} {'FP':>13s} {'FN':>13s}"
    lines = [header, "-" * len(header)]
    for strategy, row in summary["strategies"].items():
        cells = [f"{row['n_labeled']['mean']:8.0f}"]
        for key, width in (("accuracy", 17), ("f1", 17), ("fp", 13), ("fn", 13)):
            mean, std = row[key]["mean"], row[key]["std"]
            text = (
                f"{mean:.4f} ± {std:.4f}"
                if key in ("accuracy", "f1")
                else f"{mean:.0f} ± {std:.0f}"
            )
            cells.append(text.rjust(width))
        lines.append(f"{strategy + ' (' + str(row['seeds']) + ' seeds)':28s} " + " ".join(cells))
    full = summary.get("full_data")
    if full:
        lines.append(
            f"{'full data':28s} {full['n_labeled']:8d} {full['accuracy']:17.4f} {full['f1']:17.4f} "
            f"{full['fp']:13d} {full['fn']:13d}"
        )
    return "\n".join(lines)
