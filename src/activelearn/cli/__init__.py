"""The ``activelearn`` command line: one module per subcommand.

Each module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a handler returning the exit code. Errors users can act on are
printed as one line, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from activelearn import __version__
from activelearn.errors import ActiveLearnError, LabelsPending

COMMANDS = (
    "run",
    "demo",
    "experiment",
    "report",
    "reproduce",
    "strategies",
    "project",
    "serve",
)

EXIT_ERROR = 2
EXIT_LABELS_PENDING = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="activelearn",
        description="Pool-based active learning: pick the items worth labeling, "
        "label them (simulated or by people), retrain, and measure whether it pays off.",
    )
    parser.add_argument("--version", action="version", version=f"activelearn {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"activelearn.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LabelsPending as exc:
        print(f"waiting for labels: {exc}", file=sys.stderr)
        return EXIT_LABELS_PENDING
    except ActiveLearnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(
            "interrupted: what was finished is saved; run the same command again to go on "
            "(`run` needs --resume)",
            file=sys.stderr,
        )
        return 130
