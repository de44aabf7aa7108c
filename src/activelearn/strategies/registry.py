"""Strategies by name, so configs and the CLI can say ``--strategy margin``.

Every module in :mod:`activelearn.strategies` is imported on first lookup, so
adding a strategy is one new file with a ``@register``-decorated class.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from activelearn.errors import ConfigError
from activelearn.strategies.base import QueryStrategy

_REGISTRY: dict[str, type[QueryStrategy]] = {}
_LOADED = False


def register(cls: type[QueryStrategy]) -> type[QueryStrategy]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"two strategies are named {name!r}: {_REGISTRY[name]} and {cls}")
    _REGISTRY[name] = cls
    return cls


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import activelearn.strategies as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _LOADED = True


def available_strategies() -> list[str]:
    """Names accepted by :func:`make_strategy` and the CLI's ``--strategy``."""
    _load_all()
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type[QueryStrategy]:
    """The class registered under ``name``."""
    _load_all()
    if name not in _REGISTRY:
        raise ConfigError(
            f"unknown strategy {name!r}; available: {', '.join(available_strategies())}"
        )
    return _REGISTRY[name]


def make_strategy(name: str | QueryStrategy, **params: Any) -> QueryStrategy:
    """Build a strategy by name, with its parameters; a strategy instance passes through."""
    if isinstance(name, QueryStrategy):
        return name
    cls = strategy_class(name)
    signature = inspect.signature(cls.__init__)
    accepted = [
        name
        for name, p in signature.parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"strategy {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(accepted) or 'none'}"
        )
    return cls(**params)
