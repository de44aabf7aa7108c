"""This branch's CLI subcommands (project, serve, simulate) without the `activelearn` entry.

Used by the tests to start a real server in a subprocess: ``python _cli.py serve DIR --port N``.
"""

import argparse
import sys

from activelearn.cli import project, serve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="activelearn")
    subparsers = parser.add_subparsers(dest="command", required=True)
    project.register(subparsers)
    serve.register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
