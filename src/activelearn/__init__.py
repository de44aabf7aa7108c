"""activelearn: pool-based active learning, end to end."""

from activelearn.data.pool import Pool
from activelearn.errors import (
    ActiveLearnError,
    ConfigError,
    DataError,
    LabelsPending,
    ModelOutputError,
    ResumeError,
)
from activelearn.history import History
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.oracles import FileOracle, SimulatedOracle
from activelearn.stopping import TargetMetric
from activelearn.strategies import (
    ModelOutputs,
    Query,
    QueryStrategy,
    available_strategies,
    make_strategy,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveLearningLoop",
    "ActiveLearnError",
    "Event",
    "FileOracle",
    "History",
    "SimulatedOracle",
    "TargetMetric",
    "ConfigError",
    "DataError",
    "LabelsPending",
    "ModelOutputError",
    "ModelOutputs",
    "Pool",
    "Query",
    "QueryStrategy",
    "ResumeError",
    "available_strategies",
    "make_strategy",
    "register",
]
