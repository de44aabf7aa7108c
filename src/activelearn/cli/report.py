"""``activelearn report RUN_DIR``: HTML, Markdown and PNG report of an experiment directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from activelearn.experiments.report import write_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the HTML/Markdown report of an experiment run directory",
        description="Summarise the cells finished so far in RUN_DIR (learning curves, metrics "
        "table, paired tests against random, class histograms, protocol and versions) into "
        "RUN_DIR/report/.",
    )
    parser.add_argument(
        "run_dir", type=Path, help="the --output directory of `activelearn experiment`"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    out = write_report(args.run_dir)
    print(f"wrote {out / 'report.html'}, {out / 'summary.md'} and {out / 'figures'}/")
    return 0
