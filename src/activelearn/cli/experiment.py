"""``activelearn experiment CONFIG``: run a grid of active-learning experiments.

Finished cells are cached in the output directory, so running the same
command again after an interruption (Ctrl-C, a crash, a lost node) runs
only the cells that are missing or failed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from activelearn.experiments.config import load_config
from activelearn.experiments.executors import make_executor
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import run_grid

EXIT_CELLS_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "experiment",
        help="run a grid of datasets x learners x strategies x seeds from a TOML config",
        description="Run every cell of a TOML experiment grid (each strategy paired with random "
        "sampling and a full-data model), cache each finished cell, and write a report.",
    )
    parser.add_argument("config", type=Path, help="experiment config (TOML); see configs/")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local process pool (default) or Ray")  # fmt: skip
    parser.add_argument("--address", help="Ray cluster address (e.g. ray://head:10001 or auto); "
                        "without it --executor ray starts a local Ray instance")  # fmt: skip
    parser.add_argument("--workers", type=int, help="parallel cells (default: all cores)")
    parser.add_argument("--output", type=Path,
                        help="run directory (default: runs/<config file name>); "
                        "rerunning into it resumes")  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="skip writing the report")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    output = args.output or Path("runs") / args.config.stem
    output.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.config, output / "config.toml")
    with make_executor(args.executor, workers=args.workers, address=args.address) as executor:
        outcome = run_grid(config, output, executor, progress=not args.quiet)
    print(
        f"{outcome.total} cells: {outcome.cached} cached, {outcome.ran} run now, "
        f"{outcome.failed} failed; results in {output}"
    )
    if not args.no_report:
        report = write_report(output)
        print(f"report: {report / 'report.html'} and {report / 'summary.md'}")
    return EXIT_CELLS_FAILED if outcome.failed else 0
