"""Datasets by name, each one small loader, so a config or flag can say ``digits``.

A loader returns :class:`LoadedData`: the items the pool (and, unless given,
the held-out sets) come from, plus the dataset's own test split or separate
test/validation files where there are some. Items keep their ids: IMDB's
``train/pos/123_9``, a table's id column or row number.

Two parameters work for every dataset: ``train_limit`` and ``test_limit``
subsample (stratified, drawn with the split seed) so a grid fits the machine
it runs on. Loaders run inside workers, possibly on another machine of a Ray
cluster: they take paths, never open files handed over by the driver.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.data.splits import stratified_split
from activelearn.errors import ConfigError, DataError
from activelearn.registry import Registry, as_spec

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
LIMITS = ("train_limit", "test_limit")

DATASETS = Registry("dataset")


@dataclass(frozen=True)
class LoadedData:
    """Items with labels (``None`` where unknown), and held-out sets the source defines."""

    data: Dataset
    test: Dataset | None = None  # the dataset's own test split, or a separate test file
    validation: Dataset | None = None  # a separate validation file
    description: str = ""
    # Divide pixels by this (as float32) after subsampling: images stay uint8 until then.
    pixel_max: float | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)  # row reports of table files
    numeric_columns: bool = False  # a table's numeric columns, each in its own units

    def parts(self) -> list[Dataset]:
        return [d for d in (self.data, self.test, self.validation) if d is not None]

    @property
    def is_text(self) -> bool:
        X = self.data.X
        return isinstance(X, list) and bool(X) and isinstance(X[0], str)


dataset = DATASETS.register  # decorator: a loader's keyword arguments are the user's parameters


def available_datasets() -> list[str]:
    return DATASETS.names()


def check_dataset(spec: str | dict[str, Any]) -> dict[str, Any]:
    """The canonical ``{"name", "params"}`` spec, or a ConfigError naming the accepted keys."""
    spec = as_spec(spec)
    assert spec is not None
    limits = {k: spec["params"][k] for k in LIMITS if k in spec["params"]}
    spec = DATASETS.check({"name": spec["name"], "params": {
        k: v for k, v in spec["params"].items() if k not in LIMITS}})  # fmt: skip
    spec["params"].update(limits)
    for key in LIMITS:
        value = spec["params"].get(key)
        if value is not None and (not isinstance(value, int) or value < 2):
            raise ConfigError(f"dataset {spec['name']!r}: {key} must be an integer >= 2")
    return spec


def load_dataset(spec: str | dict[str, Any], split_seed: int = 0) -> LoadedData:
    """Load a dataset from its spec, subsampled by its limits (cached per process)."""
    spec = check_dataset(spec)
    return _load_cached(json.dumps(spec, sort_keys=True), split_seed)


@functools.lru_cache(maxsize=4)
def _load_cached(spec_json: str, split_seed: int) -> LoadedData:
    spec = json.loads(spec_json)
    params = dict(spec["params"])
    limits = {k: params.pop(k, None) for k in LIMITS}
    loaded: LoadedData = DATASETS.factory(spec["name"])(**params)
    rng = np.random.default_rng([split_seed, 1])
    data = _limit(loaded.data, limits["train_limit"], rng)
    test = None if loaded.test is None else _limit(loaded.test, limits["test_limit"], rng)
    if loaded.pixel_max is not None:
        scale = np.float32(loaded.pixel_max)
        data = data.with_X(data.X.astype(np.float32) / scale)
        test = None if test is None else test.with_X(test.X.astype(np.float32) / scale)
    return replace(loaded, data=data, test=test, pixel_max=None)


def _limit(data: Dataset, limit: int | None, rng: np.random.Generator) -> Dataset:
    """A stratified random subsample of ``limit`` labeled items (all items when None)."""
    if limit is None or limit >= len(data):
        return data
    if not data.labeled_mask.all():
        raise ConfigError("train_limit needs a fully labeled dataset")
    keep, _ = stratified_split(data.labels, [limit], rng)
    return data.take(keep)


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
    """scikit-learn's make_classification: fast, any size, optional class imbalance."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative, n_redundant=0,
        n_classes=n_classes, weights=weights, class_sep=class_sep, flip_y=flip_y,
        random_state=random_state,
    )  # fmt: skip
    return LoadedData(_plain(X.astype(np.float32), y), description="make_classification")


@dataset("digits")
def digits() -> LoadedData:
    """scikit-learn's 8x8 handwritten digits (1,797 images), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    return LoadedData(_plain(X, bunch.target), description="digits")


@dataset("fashion_mnist")
def fashion_mnist(
    path: str = FASHION_MNIST_DIR, flatten: bool = True, classes: list[Any] | None = None
) -> LoadedData:
    """Fashion-MNIST (60k train, 10k test), from the IDX files (Debian: dataset-fashion-mnist).

    Pixels become float32 in [0, 1] after the limits; ``flatten=false`` keeps
    N x 1 x 28 x 28 for convolutional learners. ``classes`` keeps only those
    (e.g. [0, 6], T-shirt/top vs shirt: a two-class task as hard as cats vs dogs).
    """
    from activelearn.data.fashion_mnist import load_fashion_mnist

    train, test = load_fashion_mnist(path)
    if classes is not None:
        train, test = (_only(part, classes) for part in (train, test))
    return _images(train, test, (1, 28, 28), flatten, f"Fashion-MNIST from {path}")


def _only(data: Dataset, classes: list[Any]) -> Dataset:
    keep = np.flatnonzero(np.isin(data.labels, classes))
    if not len(keep):
        raise ConfigError(f"none of the classes {classes} are in the data")
    part = data.take(keep)
    return Dataset(part.X, part.labels, part.ids, np.asarray(sorted(classes)), part.raw)


@dataset("cifar10")
def cifar10(path: str | None = None, flatten: bool = True) -> LoadedData:
    """CIFAR-10 (50k train, 10k test) from cifar-10-python.tar.gz (default $ACTIVELEARN_CIFAR10).

    Read through a restricted unpickler; ``flatten=false`` gives N x 3 x 32 x 32.
    """
    from activelearn.data.cifar import load_cifar10

    train, test = load_cifar10(path)
    to_chw = (lambda X: X.transpose(0, 3, 1, 2)) if not flatten else None
    return _images(train, test, (3, 32, 32), flatten, f"CIFAR-10 from {path}", to_chw)


def _images(
    train: Dataset,
    test: Dataset,
    shape: tuple[int, ...],
    flatten: bool,
    description: str,
    to_channels_first: Callable[[np.ndarray], np.ndarray] | None = None,
) -> LoadedData:
    """uint8 images as learner inputs: flat rows, or N x C x H x W; scaled after the limits."""

    def arrange(X: Any) -> np.ndarray:
        X = np.asarray(X)
        if flatten:
            return X.reshape(len(X), -1)
        return to_channels_first(X) if to_channels_first else X.reshape(len(X), *shape)

    return LoadedData(
        train.with_X(arrange(train.X)), test.with_X(arrange(test.X)),
        description=description, pixel_max=255,
    )  # fmt: skip


@dataset("imdb")
def imdb(path: str | None = None) -> LoadedData:
    """The IMDB reviews archive (25k train, 25k test); ids like train/pos/123_9.

    Never downloads: the archive must already be at ``path``, $ACTIVELEARN_IMDB
    or the cache folder on every machine that runs cells.
    """
    from activelearn.data.imdb import load_imdb

    train, test = load_imdb(path, download=False)
    return LoadedData(train, test, description="IMDB reviews")


@dataset("csv")
def table(
    path: str,
    label_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    feature_columns: list[str] | None = None,
    classes: list[Any] | None = None,
    format: str | None = None,  # noqa: A002 - the CLI flag's name
    sep: str | None = None,
    header: bool = True,
    encoding: str = "utf-8",
    decimal: str = ".",
    test_path: str | None = None,
    validation_path: str | None = None,
    labeled_only: bool = True,
) -> LoadedData:
    """A table file: CSV, TSV, JSON Lines or Parquet, with a text column or numeric columns.

    ``test_path``/``validation_path`` name separate held-out files with the
    same columns. With ``labeled_only`` (simulation) rows without a label
    are skipped and counted; otherwise they join the pool for people to label.
    """
    from activelearn.data.tabular import load_table

    options = dict(
        text_column=text_column, label_column=label_column, id_column=id_column,
        feature_columns=feature_columns, format=format, sep=sep, header=header,
        encoding=encoding, decimal=decimal,
    )  # fmt: skip
    data = load_table(path, classes=classes, require_labels=labeled_only, **options)
    held_out = {}
    for key, held_path in (("test", test_path), ("validation", validation_path)):
        if held_path is not None:
            held_out[key] = load_table(held_path, require_labels=True, **options)
    # One class set for every file: a class only the test file holds is still a class.
    all_classes = classes or sorted(
        {c for d in (data, *held_out.values()) for c in d.classes.tolist()},
        key=lambda v: (str(type(v)), v),
    )
    data = replace(data, classes=np.asarray(all_classes))
    held_out = {k: replace(d, classes=np.asarray(all_classes)) for k, d in held_out.items()}
    reports = [d.report.to_dict() for d in (data, *held_out.values())]
    return LoadedData(data, description=f"table {path}", rows=reports,
                      numeric_columns=text_column is None, **held_out)  # fmt: skip


def _plain(X: np.ndarray, y: np.ndarray) -> Dataset:
    """Arrays as a Dataset with row-number ids."""
    return Dataset(X, y, np.arange(len(y)), np.unique(y))


def loaded_classes(loaded: LoadedData) -> np.ndarray:
    """Every class of the training items and held-out sets, sorted."""
    classes = np.unique(np.concatenate([np.asarray(d.classes) for d in loaded.parts()]))
    if len(classes) < 2:
        from activelearn.data.tabular import RowReport

        rows = "".join(f"\n  {RowReport.from_dict(r).summary()}" for r in loaded.rows)
        raise DataError(
            f"the data holds only the class {classes.tolist()}: a model needs two{rows}"
        )
    return classes
