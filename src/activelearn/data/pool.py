"""The pool: every item, which of them are labeled, and (in simulation) the hidden truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from activelearn.errors import DataError


def take(X: Any, indices: np.ndarray) -> Any:
    """Rows ``indices`` of ``X``: numpy arrays, scipy sparse matrices, lists and Pools of text.

    Lazy containers (images decoded on access, on-disk pools) provide
    ``take_rows(indices)``. A consecutive run of rows of an array is returned as a
    view, not copied: scoring a pool in parts then reads each part once (at 1M x 100
    the copies cost as much as the strategy).
    """
    if isinstance(X, np.ndarray) and not isinstance(X, np.memmap):
        run = as_run(indices)
        return X[run] if run is not None else X[indices]
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return X[indices]
    if callable(getattr(X, "take_rows", None)):
        return X.take_rows(indices)
    if hasattr(X, "iloc"):  # pandas
        return X.iloc[indices]
    return [X[int(i)] for i in indices]


def as_run(indices: Any) -> slice | None:
    """``indices`` as a slice when they are consecutive and increasing, else ``None``."""
    if not isinstance(indices, np.ndarray) or indices.ndim != 1 or len(indices) == 0:
        return None
    if indices.dtype.kind not in "iu":
        return None
    first, last = int(indices[0]), int(indices[-1])
    if last - first != len(indices) - 1 or first < 0:
        return None
    if len(indices) > 1 and not (np.diff(indices) == 1).all():
        return None
    return slice(first, last + 1)


class _RangePositions:
    """The position of ids 0 .. n-1 by their text form, without a table."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, text: str) -> int:
        # ASCII digits only: "١١" and "²" are digits to str.isdigit, not ids of a range.
        if text.isascii() and text.isdecimal() and (text == "0" or not text.startswith("0")):
            position = int(text)
            if position < self.n:
                return position
        raise KeyError(text)


def _is_range(ids: np.ndarray) -> bool:
    if ids.dtype.kind not in "iu" or ids.ndim != 1:
        return False
    return bool(ids[0] == 0 and ids[-1] == len(ids) - 1 and (np.diff(ids) == 1).all())


def _unique(ids: np.ndarray) -> bool:
    """Whether ids are unique by their text form (vectorised for integer ids)."""
    if ids.dtype.kind in "iu":
        return len(np.unique(ids)) == len(ids)
    return len({str(key) for key in ids.tolist()}) == len(ids)


def n_rows(X: Any) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


class Pool:
    """Items with stable ids, a labeled/unlabeled state and optional hidden labels.

    ``X`` is what the learner consumes (a feature matrix, token ids, raw texts);
    ``raw`` is what a person would read (texts, image paths) and defaults to ``X``.
    ``hidden_labels`` is the ground truth a simulated oracle may read; the loop
    and the strategies never look at it.
    """

    def __init__(
        self,
        X: Any,
        *,
        ids: Sequence[Any] | None = None,
        hidden_labels: Sequence[Any] | None = None,
        raw: Any = None,
        classes: Sequence[Any] | None = None,
    ) -> None:
        n = n_rows(X)
        if n == 0:
            raise DataError("the pool is empty: pass at least one item")
        self.X = X
        self.raw = X if raw is None else raw
        self.ids = np.asarray(ids if ids is not None else np.arange(n))
        if len(self.ids) != n:
            raise DataError(f"got {len(self.ids)} ids for {n} items: pass one id per item")
        # Ids 0 .. n-1 in order (the default) need no lookup table: position = id.
        self._range_ids = ids is None or _is_range(self.ids)
        if not self._range_ids and not _unique(self.ids):
            raise DataError("item ids must be unique")
        self.hidden_labels = None if hidden_labels is None else np.asarray(hidden_labels)
        if self.hidden_labels is not None and len(self.hidden_labels) != n:
            raise DataError(f"got {len(self.hidden_labels)} labels for {n} items")
        if classes is None:
            if self.hidden_labels is None:
                raise DataError("pass `classes` when the pool has no hidden labels")
            classes = np.unique(self.hidden_labels)
        self.classes = np.asarray(classes)
        self._labels = np.empty(n, dtype=object)
        self._labeled = np.zeros(n, dtype=bool)
        self._position_table: dict[str, int] | None = None  # built on first use

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def labeled_indices(self) -> np.ndarray:
        return np.flatnonzero(self._labeled)

    @property
    def unlabeled_indices(self) -> np.ndarray:
        return np.flatnonzero(~self._labeled)

    @property
    def labels(self) -> np.ndarray:
        """Labels of the labeled items, in ``labeled_indices`` order, as the classes' dtype."""
        return self._labels[self._labeled].astype(self.classes.dtype)

    def labels_of(self, positions: np.ndarray) -> np.ndarray:
        """Labels at pool positions (which must be labeled)."""
        return self._labels[positions].astype(self.classes.dtype)

    def is_labeled(self, positions: np.ndarray) -> np.ndarray:
        return self._labeled[positions]

    def positions(self, ids: Sequence[Any]) -> np.ndarray:
        """Pool positions of item ids; a clear error for an id the pool does not hold."""
        try:
            return np.array([self._position[str(key)] for key in list(ids)], dtype=int)
        except KeyError as exc:
            raise DataError(f"item id {exc.args[0]!r} is not in the pool") from None

    @property
    def _position(self) -> Any:
        """Text form of an id -> position. Ids are matched by their text form, so ids read
        back from JSON or CSV find their items. Built lazily, and never for range ids:
        a table of 10M ids would take more memory than a 10M-item pool's scores."""
        if self._range_ids:
            return _RangePositions(len(self.ids))
        if self._position_table is None:
            self._position_table = {str(key): i for i, key in enumerate(self.ids.tolist())}
        return self._position_table

    def add_labels(self, indices: Sequence[int], labels: Sequence[Any]) -> None:
        """Record labels for pool positions; labels must be among the pool's classes."""
        indices = np.asarray(indices, dtype=int)
        if len(indices) != len(labels):
            raise DataError(f"got {len(labels)} labels for {len(indices)} items")
        self._labels[indices] = self.coerce_labels(labels)
        self._labeled[indices] = True

    def coerce_labels(self, labels: Sequence[Any]) -> np.ndarray:
        """Map labels to the pool's classes by their text form, so "1" from a CSV matches 1.

        Raises :class:`DataError` naming any label outside the class set.
        """
        by_text = {str(c): c for c in self.classes.tolist()}
        unknown = sorted({str(v) for v in labels} - set(by_text))
        if unknown:
            raise DataError(
                f"labels {unknown} are not among the classes {self.classes.tolist()}: "
                "fix the labels, or declare every class up front (`--classes a,b,c`; "
                "`Pool(..., classes=...)` in Python)"
            )
        return np.array([by_text[str(v)] for v in labels], dtype=self.classes.dtype)

    def subset(self, indices: np.ndarray) -> Any:
        """Learner inputs for pool positions ``indices``."""
        return take(self.X, indices)
