"""Experiments: grids of active-learning runs, executed locally or on Ray, and their reports.

    from activelearn.experiments import load_config, run_grid, LocalExecutor, write_report

    config = load_config("configs/example_digits.toml")
    run_grid(config, "runs/digits", LocalExecutor())
    write_report("runs/digits")

Add a dataset or learner with the ``@dataset(name)`` / ``@learner(name)`` decorators.
"""

from activelearn.experiments.analysis import (
    aulc,
    labels_to_reach,
    paired_wilcoxon,
    summarize,
    wilson_half_width,
)
from activelearn.experiments.config import Cell, ExperimentConfig, load_config, parse_config
from activelearn.experiments.datasets import LoadedData, available_datasets, dataset
from activelearn.experiments.executors import Executor, LocalExecutor, RayExecutor, make_executor
from activelearn.experiments.learners import available_learners, learner
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import GridOutcome, load_results, run_grid

__all__ = [
    "Cell",
    "Executor",
    "ExperimentConfig",
    "GridOutcome",
    "LoadedData",
    "LocalExecutor",
    "RayExecutor",
    "aulc",
    "available_datasets",
    "available_learners",
    "dataset",
    "labels_to_reach",
    "learner",
    "load_config",
    "load_results",
    "make_executor",
    "paired_wilcoxon",
    "parse_config",
    "run_grid",
    "summarize",
    "wilson_half_width",
    "write_report",
]
