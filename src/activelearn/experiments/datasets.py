"""Datasets by name, each one small function, so a config can say ``name = "digits"``.

A loader returns :class:`LoadedData`: training items (the pool and the
validation set come from these) and, where the dataset defines one, its own
test split. Two parameters work for every dataset: ``train_limit`` and
``test_limit`` subsample (stratified, with ``split_seed``) so a grid fits the
machine it runs on; the report states the sizes used.

Loaders run inside workers, possibly on another machine of a Ray cluster:
they take paths, never open files handed over by the driver.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.pool import take
from activelearn.errors import ConfigError, DataError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
# Keys every dataset accepts: subsample sizes, and `features` (applied per seed by the cell,
# fitted on the pool only; see activelearn.experiments.cell.featurize).
_COMMON = ("train_limit", "test_limit", "features")


@dataclass(frozen=True)
class LoadedData:
    """Training items with labels, and the dataset's own test split when it has one."""

    X: Any
    y: np.ndarray
    X_test: Any = None
    y_test: np.ndarray | None = None
    description: str = ""
    # Divide X by this (as float32) after subsampling: images stay uint8 until then.
    pixel_max: float | None = None


_LOADERS: dict[str, Callable[..., LoadedData]] = {}


def dataset(name: str) -> Callable[[Callable[..., LoadedData]], Callable[..., LoadedData]]:
    """Register a loader under ``name``; its keyword arguments are the config's parameters."""

    def decorate(function: Callable[..., LoadedData]) -> Callable[..., LoadedData]:
        _LOADERS[name] = function
        return function

    return decorate


def available_datasets() -> list[str]:
    return sorted(_LOADERS)


FEATURES = ("tfidf",)


def check_dataset_params(name: str, params: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` when ``params`` do not fit the loader's signature."""
    features = params.get("features")
    if features is not None and (
        not isinstance(features, dict) or features.get("name") not in FEATURES
    ):
        raise ConfigError(
            f'dataset {name!r}: features must be a table like {{name = "tfidf", min_df = 2}}; '
            f"available: {', '.join(FEATURES)}"
        )
    loader_params = {k: v for k, v in params.items() if k not in _COMMON}
    try:
        inspect.signature(_LOADERS[name]).bind(**loader_params)
    except TypeError as exc:
        accepted = [*inspect.signature(_LOADERS[name]).parameters, *_COMMON]
        raise ConfigError(
            f"bad parameters for dataset {name!r}: {exc}; accepted: {', '.join(accepted)}"
        ) from None


def load_dataset(spec: dict[str, Any], split_seed: int = 0) -> LoadedData:
    """Load a dataset from its ``{"name", "params"}`` spec (cached per process)."""
    return _load_cached(json.dumps(spec, sort_keys=True), split_seed)


@functools.lru_cache(maxsize=4)
def _load_cached(spec_json: str, split_seed: int) -> LoadedData:
    spec = json.loads(spec_json)
    params = dict(spec.get("params", {}))
    limits = {k: params.pop(k) for k in _COMMON if k in params}
    limits.pop("features", None)
    data = _LOADERS[spec["name"]](**params)
    rng = np.random.default_rng([split_seed, 1])
    X, y = _limit(data.X, data.y, limits.get("train_limit"), rng)
    X_test, y_test = data.X_test, data.y_test
    if X_test is not None and y_test is not None:
        X_test, y_test = _limit(X_test, y_test, limits.get("test_limit"), rng)
    if data.pixel_max is not None:
        X = X.astype(np.float32) / np.float32(data.pixel_max)
        X_test = X_test.astype(np.float32) / np.float32(data.pixel_max)
    return LoadedData(X, y, X_test, y_test, data.description)


def _limit(X: Any, y: np.ndarray, limit: int | None, rng: np.random.Generator) -> tuple[Any, Any]:
    """A stratified random subsample of ``limit`` items (all items when ``limit`` is None)."""
    if limit is None or limit >= len(y):
        return X, y
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(
        np.arange(len(y)), train_size=limit, stratify=y, random_state=int(rng.integers(2**31))
    )
    keep = np.sort(keep)
    return take(X, keep), y[keep]


# -- the loaders --------------------------------------------------------------------------


@dataset("synthetic")
def synthetic(
    n_samples: int = 2000,
    n_features: int = 20,
    n_informative: int = 5,
    n_classes: int = 2,
    weights: list[float] | None = None,
    class_sep: float = 1.0,
    flip_y: float = 0.01,
    random_state: int = 0,
) -> LoadedData:
    """scikit-learn's ``make_classification``: fast, any size, optional class imbalance."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        n_classes=n_classes,
        weights=weights,
        class_sep=class_sep,
        flip_y=flip_y,
        random_state=random_state,
    )
    return LoadedData(X.astype(np.float32), y, description="make_classification")


@dataset("digits")
def digits() -> LoadedData:
    """scikit-learn's 8x8 handwritten digits (1,797 images), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return LoadedData((bunch.data / 16.0).astype(np.float32), bunch.target, description="digits")


@dataset("fashion_mnist")
def fashion_mnist(path: str = FASHION_MNIST_DIR, flatten: bool = True) -> LoadedData:
    """Fashion-MNIST (60k train, 10k test) via :mod:`activelearn.data.fashion_mnist`.

    Pixels become float32 in [0, 1] after ``train_limit``/``test_limit``;
    ``flatten=False`` keeps ``N x 1 x 28 x 28`` for convolutional learners.
    """
    from activelearn.data.fashion_mnist import load_fashion_mnist

    train, test = load_fashion_mnist(path)
    return _images(train, test, (1, 28, 28), flatten, f"Fashion-MNIST from {path}")


@dataset("cifar10")
def cifar10(path: str | None = None, flatten: bool = True) -> LoadedData:
    """CIFAR-10 (50k train, 10k test) via :mod:`activelearn.data.cifar` (a restricted unpickler).

    ``path``: the ``cifar-10-python.tar.gz`` archive or the extracted folder
    (default: ``ACTIVELEARN_CIFAR10``). ``flatten=False`` gives ``N x 3 x 32 x 32``.
    """
    from activelearn.data.cifar import load_cifar10

    train, test = load_cifar10(path)
    chw = (lambda X: X.transpose(0, 3, 1, 2)) if not flatten else None
    return _images(train, test, (3, 32, 32), flatten, f"CIFAR-10 from {path}", chw)


def _images(
    train: Any,
    test: Any,
    shape: tuple[int, ...],
    flatten: bool,
    description: str,
    to_channels_first: Callable[[np.ndarray], np.ndarray] | None = None,
) -> LoadedData:
    """uint8 images as learner inputs: flat rows, or ``N x C x H x W``; scaled after limits."""

    def arrange(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if flatten:
            return X.reshape(len(X), -1)
        return to_channels_first(X) if to_channels_first else X.reshape(len(X), *shape)

    return LoadedData(
        arrange(train.X), np.asarray(train.labels), arrange(test.X), np.asarray(test.labels),
        description=description, pixel_max=255,
    )  # fmt: skip


@dataset("csv")
def csv(path: str, label_column: str, text_column: str | None = None,
        feature_columns: list[str] | None = None) -> LoadedData:  # fmt: skip
    """A table (CSV, TSV, JSONL or Parquet, read by :func:`activelearn.data.tabular.read_table`):
    one text column (for text learners) or numeric feature columns; unlabeled rows are dropped."""
    from activelearn.data.tabular import read_table

    frame = read_table(path)
    wanted = [label_column, *([text_column] if text_column else []), *(feature_columns or [])]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(f"{path} has no column {missing[0]!r}; columns: {list(frame.columns)}")
    frame = frame.dropna(subset=[label_column])
    if text_column:
        X: Any = frame[text_column].fillna("").astype(str).tolist()
    else:
        columns = feature_columns or [c for c in frame.columns if c != label_column]
        X = frame[columns].to_numpy(dtype=np.float32)
    return LoadedData(X, frame[label_column].to_numpy(), description=f"table {path}")


@dataset("imdb")
def imdb(path: str | None = None) -> LoadedData:
    """The IMDB reviews archive (25k train, 25k test), through the data package's loader.

    Workers never download: the archive must already be at ``path`` (or where
    ``activelearn.data.imdb`` looks for it) on every machine that runs cells.
    """
    try:
        from activelearn.data.imdb import load_imdb
    except ImportError:
        raise ConfigError(
            "the IMDB loader (activelearn.data.imdb) is not in this version of activelearn"
        ) from None
    train, test = load_imdb(path, download=False)
    return LoadedData(
        list(train.X), np.asarray(train.labels), list(test.X), np.asarray(test.labels),
        description="IMDB reviews",
    )  # fmt: skip
