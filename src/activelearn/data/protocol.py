"""The one split protocol: the same dataset and seed give the same pool, validation and test
sets in ``activelearn run``, in an experiment cell and in the Python API.

* **Test**: the dataset's own test split (IMDB, Fashion-MNIST) or a separate
  test file; otherwise ``test_size`` of the labeled items, stratified, drawn
  with ``split_seed`` and fixed for every seed and strategy. It is only
  ever reported on.
* **Validation**: a separate validation file, or ``validation_size`` of the
  remaining labeled items, stratified, drawn per ``seed``. The only
  held-out data decisions (stopping, ratio strategies, early stopping) see.
* **Pool**: everything else, in file order. Labeled pool items carry their
  label as the hidden truth a simulated oracle reveals; unlabeled rows (for
  people to label) join the pool as they are and are never held out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.data.datasets import LoadedData, loaded_classes
from activelearn.data.splits import stratified_split
from activelearn.errors import DataError


@dataclass(frozen=True)
class Splits:
    """Pool, validation and test items (held-out sets are ``None`` when there are none)."""

    pool: Dataset
    validation: Dataset | None
    test: Dataset | None
    classes: np.ndarray
    info: dict[str, Any]


def split(
    loaded: LoadedData,
    *,
    seed: int,
    split_seed: int = 0,
    validation_size: float | int = 0.1,
    test_size: float | int = 0.2,
) -> Splits:
    """Apply the protocol to loaded data (sizes are fractions of the labeled items, or counts)."""
    data = loaded.data
    classes = loaded_classes(loaded)
    labeled = np.flatnonzero(data.labeled_mask)
    held_out = np.zeros(len(data), dtype=bool)
    test, validation = loaded.test, loaded.validation
    test_source = "the dataset's own test split or file" if test is not None else None
    if test is None and test_size:
        rest, test_part = _draw(data, labeled, test_size, [split_seed, 2], "test")
        test, labeled = data.take(test_part), rest
        held_out[test_part] = True
        test_source = f"{_share(test_size)} of the labeled items (split_seed={split_seed})"
    val_positions = np.empty(0, dtype=int)
    if validation is None and validation_size:
        labeled, val_positions = _draw(data, labeled, validation_size, [seed, 3], "validation")
        validation = data.take(val_positions)
        held_out[val_positions] = True
    pool = data.take(np.flatnonzero(~held_out))
    info = {
        "n_pool": len(pool),
        "n_validation": 0 if validation is None else len(validation),
        "n_test": 0 if test is None else len(test),
        "n_unlabeled": int(np.count_nonzero(~pool.labeled_mask)),
        "test_source": test_source,
        "pool_classes": _counts(pool.labels),
        "test_classes": None if test is None else _counts(test.labels),
        "validation_sha256": hashlib.sha256(val_positions.astype(np.int64).tobytes()).hexdigest()[
            :16
        ],
        "description": loaded.description,
        "rows": loaded.rows,
    }
    return Splits(pool, validation, test, classes, info)


def _draw(
    data: Dataset, labeled: np.ndarray, size: float | int, seed: list[int], what: str
) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held-out) positions of ``data``: ``size`` of ``labeled``, stratified by class."""
    if len(labeled) == 0:
        raise DataError(
            f"no labeled items to draw a {what} set from: label some rows, pass a separate "
            f"--{what}-data file, or set --{what}-size 0"
        )
    try:
        held, rest = stratified_split(data.labels[labeled], [size], np.random.default_rng(seed))
    except DataError as exc:
        raise DataError(
            f"cannot draw the {what} set: {exc} (or pass a separate --{what}-data file)"
        ) from None
    return labeled[rest], labeled[held]


def _share(size: float | int) -> str:
    return f"{size:.0%}" if isinstance(size, float) else f"{size:,}"


def _counts(labels: np.ndarray) -> dict[str, int]:
    present = [label for label in labels.tolist() if label is not None]
    values, counts = np.unique(np.asarray(present, dtype=object).astype(str), return_counts=True)
    return {str(v): int(c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}
