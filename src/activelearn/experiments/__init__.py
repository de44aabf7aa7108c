"""Experiments: grids of active-learning runs, executed locally or on Ray, and their reports.

    from activelearn.experiments import load_config, run_grid, LocalExecutor, write_report

    config = load_config("configs/example_digits.toml")
    run_grid(config, "runs/digits", LocalExecutor())
    write_report("runs/digits")

Datasets, featurizers and learners come from the registries beside the data
and learner layers (``activelearn.data.datasets``, ``activelearn.features.registry``,
``activelearn.learners.registry``); add one with their ``@dataset(name)`` /
``@featurizer(name)`` / ``@learner(name)`` decorators.
"""

from activelearn.experiments.analysis import (
    aulc,
    labels_to_reach,
    paired_wilcoxon,
    summarize,
    wilson_half_width,
)
from activelearn.experiments.config import Cell, ExperimentConfig, load_config, parse_config
from activelearn.experiments.executors import Executor, LocalExecutor, RayExecutor, make_executor
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import GridOutcome, load_results, run_grid

__all__ = [
    "Cell",
    "Executor",
    "ExperimentConfig",
    "GridOutcome",
    "LocalExecutor",
    "RayExecutor",
    "aulc",
    "labels_to_reach",
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
