"""``activelearn strategies``: list the registered query strategies and what they need."""

from __future__ import annotations

import argparse
import inspect
import sys

from activelearn.strategies import available_strategies
from activelearn.strategies.registry import strategy_class


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("strategies", help="list query strategies", description=__doc__)
    parser.set_defaults(func=handle)


def summary(cls: type) -> str:
    """The class docstring's first paragraph, else the module's: the paper it implements."""
    doc = inspect.getdoc(cls) if cls.__doc__ else inspect.getdoc(sys.modules[cls.__module__])
    return " ".join((doc or "").split("\n\n")[0].split())


def handle(args: argparse.Namespace) -> int:
    for name in available_strategies():
        cls = strategy_class(name)
        needs = ", ".join(sorted(cls.requires)) or "nothing"
        print(f"{name:20s} needs {needs}\n{'':20s} {summary(cls)}")
    return 0
