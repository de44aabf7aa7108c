"""``activelearn strategies``: list the registered query strategies."""

from __future__ import annotations

import argparse

from activelearn.strategies import available_strategies, make_strategy


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "strategies", help="list query strategies", description="List the query strategies."
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    for name in available_strategies():
        doc = (type(make_strategy(name)).__doc__ or "").strip().splitlines()
        print(f"{name:24s} {doc[0] if doc else ''}")
    return 0
