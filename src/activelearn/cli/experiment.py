"""``activelearn experiment CONFIG``: run a grid of active-learning experiments.

Finished cells are cached in the output directory, so running the same
command again after an interruption (Ctrl-C, a crash, a lost node) runs
only the cells that are missing or failed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path

from activelearn.cli.run import parse_threads
from activelearn.cli.runner import check_data
from activelearn.experiments.analysis import summarize
from activelearn.experiments.config import load_config
from activelearn.experiments.executors import make_executor
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import load_results, run_grid
from activelearn.experiments.table import console_table

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
    parser.add_argument(
        "--threads",
        type=parse_threads,
        help="BLAS/torch threads per cell: a number "
        "or auto (default: 1 while cells share the cores)",
    )
    parser.add_argument("--output", type=Path,
                        help="run directory (default: runs/<config file name>); "
                        "rerunning into it resumes")  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="skip writing the report")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    output = args.output or Path("runs") / args.config.stem
    for note in check_data(config):  # a bad path or column is found before any cell runs
        print(note, file=sys.stderr)
    output.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.config, output / "config.toml")
    with make_executor(args.executor, workers=args.workers, address=args.address) as executor:
        outcome = run_grid(config, output, executor, progress=not args.quiet, threads=args.threads)
    print(
        f"{outcome.total} cells: {outcome.cached} cached, {outcome.ran} run now, "
        f"{outcome.failed} failed; results in {output}"
    )
    manifest, results = load_results(output)
    summary = summarize(manifest, results)
    print(console_table(summary))
    reasons = Counter(f["error"].splitlines()[0] for f in summary["failures"])
    for reason, n in reasons.most_common(5):
        print(f"  {n} cell(s) failed: {reason}", file=sys.stderr)
    for line in outcome.pending:
        print(f"  waiting for labels: {line}", file=sys.stderr)
    if not args.no_report:
        report = write_report(output)
        print(f"report: {report / 'report.html'} and {report / 'summary.md'}")
    return EXIT_CELLS_FAILED if outcome.failed else 0
