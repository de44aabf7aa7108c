"""Run ``activelearn experiment|report`` before the CLI package lists those commands.

Usage: python benchmarks/experiments/cli.py experiment CONFIG [options]
       python benchmarks/experiments/cli.py report RUN_DIR
Identical to the ``activelearn`` subcommands once they are registered there.
"""

import argparse
import sys

from activelearn.cli import experiment, report

parser = argparse.ArgumentParser(prog="activelearn")
subparsers = parser.add_subparsers(required=True)
experiment.register(subparsers)
report.register(subparsers)
args = parser.parse_args()
sys.exit(args.func(args))
