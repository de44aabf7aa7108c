"""activelearn: pool-based active learning, end to end.

The names below are the public API; PyTorch, Keras and the server live in
their own modules (``activelearn.learners.torch_trainer``,
``activelearn.learners.keras_adapter``, ``activelearn.server``) so that this
import needs only numpy, scipy and scikit-learn.
"""

from activelearn.data import (
    Dataset,
    Pool,
    load_cifar10,
    load_fashion_mnist,
    load_image_files,
    load_image_folder,
    load_imdb,
    load_table,
    select_seed,
    unlabeled_pool,
)
from activelearn.errors import (
    ActiveLearnError,
    ConfigError,
    DataError,
    LabelsPending,
    ModelOutputError,
    ResumeError,
)
from activelearn.history import History
from activelearn.learners.committee import Committee
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.oracles import FileOracle, SimulatedOracle
from activelearn.stopping import OnStopSet, TargetMetric
from activelearn.stopping_unlabeled import (
    ClassificationChange,
    OverallUncertainty,
    StabilizingPredictions,
)
from activelearn.strategies import (
    ModelOutputs,
    Query,
    QueryStrategy,
    available_strategies,
    make_strategy,
    register,
)
from activelearn.strategies.coldstart import select_initial

__version__ = "0.1.0"

__all__ = [
    "ActiveLearnError",
    "ActiveLearningLoop",
    "available_strategies",
    "ClassificationChange",
    "Committee",
    "ConfigError",
    "DataError",
    "Dataset",
    "Event",
    "FileOracle",
    "History",
    "LabelsPending",
    "load_cifar10",
    "load_fashion_mnist",
    "load_image_files",
    "load_image_folder",
    "load_imdb",
    "load_table",
    "make_strategy",
    "ModelOutputError",
    "ModelOutputs",
    "OnStopSet",
    "OverallUncertainty",
    "Pool",
    "Query",
    "QueryStrategy",
    "register",
    "ResumeError",
    "select_initial",
    "select_seed",
    "SimulatedOracle",
    "StabilizingPredictions",
    "TargetMetric",
    "unlabeled_pool",
]
