"""Query strategies: pure functions of model outputs, registered by name."""

from activelearn.strategies.base import ModelOutputs, Query, QueryStrategy, top_k
from activelearn.strategies.registry import available_strategies, make_strategy, register

__all__ = [
    "ModelOutputs",
    "Query",
    "QueryStrategy",
    "available_strategies",
    "make_strategy",
    "register",
    "top_k",
]
