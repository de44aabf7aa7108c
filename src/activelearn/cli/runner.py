"""What ``activelearn run`` does once its settings are read: a one-cell experiment.

The settings become an experiment config (one dataset and learner, the
chosen strategies and seeds), the data is loaded and checked before any
run starts, the cells run on the experiments' executor and cache, and the
summary, table and report are the experiments' own.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from activelearn.cli.run import in_cli_words
from activelearn.cli.run_settings import RunSettings, check_output, save_settings
from activelearn.errors import ConfigError
from activelearn.experiments.analysis import summarize
from activelearn.experiments.config import Cell, ExperimentConfig, parse_config
from activelearn.experiments.executors import make_executor
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import load_results, run_grid
from activelearn.experiments.table import console_table

if TYPE_CHECKING:
    from activelearn.catalog import Task
    from activelearn.spec import LoopSpec


@dataclass
class RunOutcome:
    table: str
    summary: dict[str, Any]
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run(settings: RunSettings) -> RunOutcome:
    """Run every (strategy, seed) of ``settings``; write histories, summary, plots, report."""
    try:
        config = parse_config(settings.experiment())
    except ConfigError as exc:
        raise ConfigError(in_cli_words(str(exc))) from None
    fresh = not (Path(settings.output) / "settings.json").exists()
    output = check_output(settings)
    notes = check_data(config) + advice(settings)
    if settings.resume and fresh:  # `--resume` in a script may mean "run or continue"
        notes.append(f"nothing to resume in {output}: starting a new run there")
    for note in notes:
        print(note, file=sys.stderr)
    save_settings(settings, output)
    cells = len(config.al_cells()) + len(config.full_cells())
    workers = settings.workers or min(os.cpu_count() or 1, cells)
    if settings.executor == "ray":  # Ray: the cluster's CPUs unless --workers says otherwise
        workers = settings.workers

    def run_dir_of(cell: Cell) -> Path:
        name = cell.labels["strategy"]
        if cell.labels.get("semi_supervised"):
            name += "+" + cell.labels["semi_supervised"]
        return output / _safe(name) / f"seed_{cell.spec['seed']}"

    with make_executor(settings.executor, workers=workers, address=settings.address) as executor:
        grid = run_grid(config, output, executor, run_dir_of=run_dir_of, threads=settings.threads)
    manifest, results = load_results(output)
    summary = summarize(manifest, results)
    failed = [f"{f['labels'].get('strategy', 'full data')}: {f['error']}"
              for f in summary["failures"]]  # fmt: skip
    if not summary["rows"]:  # nothing finished: keep what an earlier run wrote
        table = "no run finished" + "".join(f"\n  failed: {f}" for f in failed)
        return RunOutcome(table, {}, [], [], list(grid.pending), failed or ["no run finished"])
    report = write_report(output)
    table = console_table(summary)
    (output / "summary.txt").write_text(table + "\n")
    run_summary = _run_summary(summary, results, run_dir_of, config)
    (output / "summary.json").write_text(json.dumps(run_summary, indent=1, default=str))
    plots = _plots(summary, results, output, run_dir_of, config, settings)
    notes = [f"report: {report / 'report.html'}", *(f"failed: {f}" for f in failed)]
    return RunOutcome(table, run_summary, plots, notes, list(grid.pending), failed)


def advice(settings: RunSettings) -> list[str]:
    """What a run as asked will not show, said before it starts (both surprised a trial)."""
    notes = []
    if settings.oracle == "simulated" and "random" not in settings.strategies:
        notes.append("no random baseline: add random to --strategy to see whether active "
                     "learning pays off on this data")  # fmt: skip
    if settings.budget is not None and settings.budget > settings.initial_size:
        points = 1 + math.ceil((settings.budget - settings.initial_size) / settings.batch_size)
        if points < 4:
            notes.append(
                f"the learning curve will have {points} points (a seed of "
                f"{settings.initial_size}, batches of {settings.batch_size} to {settings.budget} "
                "labels): a smaller --batch-size or --initial-size gives a finer one"
            )
    return notes


def check_data(config: ExperimentConfig) -> list[str]:
    """Load every dataset of ``config`` once, before any cell starts: a bad path, column or
    file is reported now, with what became of each row. Local workers inherit the loaded
    data (forked), so nothing is read twice."""
    from activelearn.catalog import load_task

    by_data: dict[str, dict[str, LoopSpec]] = {}  # data key -> distinct needs -> a spec
    for spec, _ in config.loop_specs():
        key = json.dumps([spec.dataset, spec.features, spec.seed], sort_keys=True)
        needs = [spec.strategy, spec.semi_supervised, spec.learner, spec.initial_method,
                 spec.oracle, spec.initial_size, spec.max_labels]  # fmt: skip
        needs = json.dumps(needs, sort_keys=True, default=str)
        by_data.setdefault(key, {}).setdefault(needs, spec)
    notes: list[str] = []
    for i, specs in enumerate(by_data.values()):
        first = next(iter(specs.values()))
        task = load_task(
            first.dataset, features=first.features, seed=first.seed, split_seed=first.split_seed,
            validation_size=first.validation_size, test_size=first.test_size,
        )  # fmt: skip
        for spec in specs.values():  # every strategy x semi-supervision x learner of the grid
            check_needs(spec, task)
            _check_budget(spec, task)
        seed_share = _seed_share(first, len(task.splits.pool))
        if i == 0:
            from activelearn.data.tabular import RowReport

            notes += [RowReport.from_dict(rows).summary() for rows in task.info.get("rows", [])]
            if task.info.get("features"):
                notes.append(f"features: {task.info['features']}")
            notes += [seed_share] if seed_share else []
    return notes


def _check_budget(spec: LoopSpec, task: Task) -> None:
    """With people as the oracle, the labels the file gives count against the budget: a
    budget they already spend would stop the run after the seed (a trial labeled 10 items of
    a --budget 25 run whose file gave 107)."""
    labels = spec.max_labels  # what the budget buys (a budget in money: at cost_per_label)
    if spec.oracle == "simulated" or labels is None:
        return
    given = int(task.splits.pool.labeled_mask.sum())
    if given and (given == labels or given + spec.initial_size > labels):
        raise ConfigError(
            f"the budget buys {labels} labels, counting every label, and the pool already has "
            f"{given} from the file (+ a seed of {spec.initial_size}): give a --budget of "
            f"{given + max(spec.initial_size, 1)} labels or more to leave people something "
            "to label"
        )


def _seed_share(spec: LoopSpec, pool: int) -> str | None:
    """A seed that leaves the strategies nothing (refused) or little (said) to choose from."""
    if spec.initial_size >= pool:
        raise ConfigError(
            f"--initial-size {spec.initial_size} labels the whole pool of {pool} items, so "
            "nothing is left to choose: give a smaller --initial-size"
        )
    if spec.initial_size > pool / 2:
        return (
            f"the seed of {spec.initial_size} labels takes {spec.initial_size / pool:.0%} of the "
            f"pool of {pool} items: a smaller --initial-size leaves the strategies more to choose"
        )
    return None


def check_needs(spec: LoopSpec, task: Task) -> None:
    """What the strategy, the seed, the semi-supervision and the oracle need, checked against
    the data and learner once, before any run starts (a mismatch found in every cell is an
    hour lost)."""
    from activelearn.strategies import make_strategy

    learner = task.make_learner(spec.learner, spec.seed)  # also: the data suits the learner
    # scikit-learn's own parameter check, which its estimators run only at fit
    validate = getattr(learner, "_validate_params", None)
    if callable(validate) and hasattr(learner, "_parameter_constraints"):
        try:
            validate()
        except (TypeError, ValueError) as exc:  # sklearn's InvalidParameterError is both
            raise ConfigError(f"--learner-param: {exc}") from None
    strategy = make_strategy(spec.strategy["name"], **spec.strategy["params"])
    seed = None if spec.initial_method in ("random", "balanced") else spec.initial_method
    needs = strategy.requires | (make_strategy(seed).requires if seed else frozenset())
    flag = f"--strategy {spec.strategy['name']}{f' / --initial-method {seed}' if seed else ''}"
    _check_requires(flag, needs, spec, task, learner)
    if spec.semi_supervised is not None:
        from activelearn.semi import SEMI_SUPERVISION

        method = SEMI_SUPERVISION.make(spec.semi_supervised, random_state=spec.seed)
        flag = f"--semi-supervised {spec.semi_supervised['name']}"
        _check_requires(flag, method.requires, spec, task, learner)
        check = getattr(method, "check_features", None)
        if check is not None:
            try:
                check(task.splits.pool.X)
            except ConfigError as exc:
                raise ConfigError(f"{flag}: {exc}") from None
    if spec.oracle == "file" and task.info.get("n_unlabeled") == 0:
        raise ConfigError(
            "every row has a label, so there is nothing for people to label: drop --oracle file "
            "to simulate with those labels, or give the rows people should label no label"
        )
    given = int(task.splits.pool.labeled_mask.sum()) if spec.oracle == "file" else 0
    if spec.initial_size == 0 and not given:
        raise ConfigError(
            "--initial-size 0 starts from labels given with the data, and this run has none: "
            "draw a seed with --initial-size above 0"
        )


def _check_requires(flag: str, needs: frozenset[str], spec: LoopSpec, task: Task,
                    learner: Any) -> None:  # fmt: skip
    """Refuse, in ``flag``'s words, a strategy or semi-supervision method whose ``needs``
    (the strategies' vocabulary: embeddings, samples, validation) this run cannot meet."""
    from activelearn.learners.base import can_embed, can_sample
    from activelearn.strategies.base import EMBEDDINGS, LABELED_EMBEDDINGS, SAMPLES, VALIDATION

    embeds = task.embeddings is not None or can_embed(learner)
    if needs & {EMBEDDINGS, LABELED_EMBEDDINGS} and not embeds:
        raise ConfigError(
            f"{flag} needs embeddings: the {task.features or 'input'} features are not dense "
            f"and learner {spec.learner['name']!r} does not embed; use --features minilm "
            "(texts) or efficientnet_lite0 (images), image or numeric data, or --learner mlp"
        )
    if SAMPLES in needs and not can_sample(learner):
        raise ConfigError(f"{flag} needs Monte-Carlo samples: use --learner committee, mlp or cnn")
    if VALIDATION in needs and task.validation is None:
        raise ConfigError(
            f"{flag} reads the model's predictions on the validation set: "
            "keep --validation-size > 0"
        )


def _run_summary(
    summary: dict[str, Any], results: list[dict[str, Any]], run_dir_of: Any,
    config: ExperimentConfig,
) -> dict[str, Any]:  # fmt: skip
    """``summary.json`` of a run: per strategy the experiment summary's numbers, and per run
    its splits, what became of the input rows, why it stopped and where it lives."""
    runs = []
    labels_of = {c.key: c for c in config.al_cells()}
    for r in results:
        if r["kind"] != "al" or r["key"] not in labels_of:
            continue
        cell = labels_of[r["key"]]
        entry: dict[str, Any] = {
            "strategy": cell.labels["strategy"], "seed": cell.spec["seed"],
            "status": r.get("status"), "directory": str(run_dir_of(cell)),
        }  # fmt: skip
        if r.get("status") == "ok":
            split = r["split"]
            entry["splits"] = {
                "pool": split["n_pool"], "validation": split["n_validation"],
                "test": split["n_test"], "unlabeled": split.get("n_unlabeled", 0),
            }  # fmt: skip
            entry["rows"] = split["rows"][0] if split.get("rows") else None
            entry["stop_reason"] = r["stop_reason"]
            entry["final"] = {k: v for k, v in r["history"][-1].items() if not isinstance(v, list)}
        else:
            entry["error"] = r.get("error")
        runs.append(entry)
    strategies = {_name(row): row for row in summary["rows"]}
    return {
        "metric": summary["metric"],
        "std": "sample standard deviation over seeds (n - 1)",
        "strategies": strategies,
        "full_data": summary["full_models"],
        "runs": runs,
        "warnings": summary["warnings"],
    }


def _plots(
    summary: dict[str, Any], results: list[dict[str, Any]], output: Path, run_dir_of: Any,
    config: ExperimentConfig, settings: RunSettings,
) -> list[Path]:  # fmt: skip
    from activelearn.history import History
    from activelearn.plots import summary_curves, training_curves

    values = [v for c in summary["curves"].values() for v in c["mean"] if v == v]
    if not summary["rows"] or not values:  # no test set: nothing to draw
        return []
    dataset = config.datasets[0].label
    title = f"{dataset}: {config.learners[0].label}, seeds {', '.join(map(str, config.seeds))}"
    plots = [summary_curves(summary, output / "learning_curve.png", title=title)]
    first = next((c for c in config.al_cells() if c.labels["strategy"] == settings.strategies[0]),
                 None)  # fmt: skip
    if first is not None:
        epochs = training_curves(History.load(run_dir_of(first)), output / "training_curves.png")
        if epochs is not None:
            plots.append(epochs)
    return plots


def _name(row: dict[str, Any]) -> str:
    """A strategy's name in the run's summary: with its semi-supervision, if any."""
    semi = row.get("semi_supervised")
    return row["strategy"] + (f"+{semi}" if semi else "")


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.()=,+" else "_" for ch in label)
