"""The shape every loader returns.

A :class:`Dataset` is deliberately small: learner inputs, labels, stable ids,
the class set, and what a person would look at. The one split protocol
(:mod:`activelearn.data.protocol`) and the one data path
(:func:`activelearn.catalog.load_task`) turn datasets into a pool with
held-out sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from activelearn.data.pool import Pool, n_rows, take
from activelearn.data.splits import stratified_split
from activelearn.errors import DataError


def _rows(X: Any, indices: np.ndarray) -> Any:
    """Rows of ``X``; lazy containers stay lazy through ``select``."""
    if callable(getattr(X, "select", None)):
        return X.select(indices)
    return take(X, indices)


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Items with labels (``None`` where unknown), stable ids and the class set.

    ``X`` is what a learner or featurizer consumes (cleaned texts, arrays,
    lazily loaded images); ``raw`` is what a person reads (original text with
    markup, image paths) and defaults to ``X``.
    """

    X: Any
    labels: np.ndarray
    ids: np.ndarray
    classes: np.ndarray
    raw: Any = field(default=None)
    # What became of each row of the file the items came from (tables only).
    report: Any = field(default=None)

    def __post_init__(self) -> None:
        n = n_rows(self.X)
        object.__setattr__(self, "labels", np.asarray(self.labels))
        object.__setattr__(self, "ids", np.asarray(self.ids))
        object.__setattr__(self, "classes", np.asarray(self.classes))
        if self.raw is None:
            object.__setattr__(self, "raw", self.X)
        for name in ("labels", "ids"):
            if len(getattr(self, name)) != n:
                raise DataError(f"got {len(getattr(self, name))} {name} for {n} items")
        if n_rows(self.raw) != n:
            raise DataError(f"got {n_rows(self.raw)} raw items for {n} items")

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        labeled = int(np.count_nonzero(self.labeled_mask))
        return (
            f"Dataset({len(self)} items, {labeled} labeled, classes={self.classes.tolist()}, "
            f"X={type(self.X).__name__})"
        )

    @property
    def labeled_mask(self) -> np.ndarray:
        """True where the item has a label (loaders use ``None`` for a missing one)."""
        return np.array([label is not None for label in self.labels.tolist()], dtype=bool)

    def take(self, indices: np.ndarray) -> Dataset:
        """The items at positions ``indices``, in that order."""
        indices = np.asarray(indices, dtype=int)
        return Dataset(
            _rows(self.X, indices),
            self.labels[indices],
            self.ids[indices],
            self.classes,
            _rows(self.raw, indices),
        )

    def with_X(self, X: Any) -> Dataset:
        """The same items with other learner inputs (features computed from ``X``)."""
        return Dataset(X, self.labels, self.ids, self.classes, self.raw, self.report)

    def split(self, sizes: Sequence[float], rng: np.random.Generator) -> list[Dataset]:
        """Stratified parts of sizes ``sizes`` (fractions or counts) plus the rest, last."""
        if not self.labeled_mask.all():
            raise DataError(
                f"{np.count_nonzero(~self.labeled_mask)} items have no label, so the data set "
                "cannot be split by class: split only labeled data, or label those items first"
            )
        return [self.take(part) for part in stratified_split(self.labels, sizes, rng)]


def unlabeled_pool(data: Dataset, X: Any = None) -> Pool:
    """A pool for people as the oracle: items with a label start labeled, the rest wait.

    ``X`` replaces the learner inputs (features computed from ``data.X``).
    """
    pool = Pool(data.X if X is None else X, ids=data.ids, raw=data.raw, classes=data.classes)
    known = np.flatnonzero(data.labeled_mask)
    if len(known):
        pool.add_labels(known, data.labels[known])
    return pool
