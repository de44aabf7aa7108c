"""Checks of the arrays strategies read: finite, right shapes, probabilities summing to 1.

The checks run over cache-sized row blocks (:func:`probability_blocks`), so a
strategy that scores the same blocks validates them in the pass that scores
them: the N x C array is read from memory once (1M x 10 float64: 80 MB).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from activelearn.errors import ModelOutputError


def check_rows(array: np.ndarray, n: int | None, what: str, *, ndim: int) -> None:
    array = np.asarray(array)
    if array.ndim != ndim or (n is not None and array.shape[0] != n):
        raise ModelOutputError(
            f"{what} must have {ndim} dimensions and {n} rows, got {array.shape}"
        )
    # In row blocks: a whole-array isfinite would allocate N x D booleans (366 MiB at 1M x 384).
    rows = max(1, 2**22 // max(1, int(np.prod(array.shape[1:]))))
    for start in range(0, len(array), rows):
        if not np.isfinite(array[start : start + rows]).all():
            raise ModelOutputError(f"{what} contain NaN or infinite values")


def check_probabilities(probabilities: np.ndarray | None, *, atol: float = 1e-3) -> None:
    """Raise :class:`ModelOutputError` unless ``probabilities`` is a finite N x C distribution."""
    p = check_probability_shape(probabilities)
    for _ in probability_blocks(p, validate=True, atol=atol):
        pass


def check_probability_shape(probabilities: np.ndarray | None) -> np.ndarray:
    if probabilities is None:
        raise ModelOutputError("this strategy needs class probabilities but none were given")
    p = np.asarray(probabilities)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ModelOutputError(
            f"probabilities must be an N x C array with C >= 2, got shape {p.shape}; "
            "a binary model must return both columns"
        )
    return p


# Rows per block are chosen so that a block and its temporaries stay in the L2 cache:
# scoring and validating a block there reads the N x C array from memory once.
BLOCK_BYTES = 2**19


def block_rows(n_columns: int, itemsize: int = 8) -> int:
    return max(64, BLOCK_BYTES // max(1, n_columns * itemsize))


def probability_blocks(
    p: np.ndarray, *, validate: bool, transpose: bool = False, atol: float = 1e-3
) -> Iterator[tuple[slice, np.ndarray]]:
    """``(rows, block)`` over cache-sized row blocks of an N x C probability matrix.

    With ``validate`` each block is checked as it is handed out (finite, non-negative,
    rows summing to 1 within ``atol``), so a strategy that scores the blocks reads the
    array once for both. ``transpose`` hands out C x m contiguous copies: reductions
    over the classes then run over contiguous rows, about 3x faster than ``max(axis=1)``
    over 10 columns.
    """
    step = block_rows(p.shape[1], p.itemsize)
    for start in range(0, len(p), step):
        rows = slice(start, min(len(p), start + step))
        block = np.ascontiguousarray(p[rows].T) if transpose else p[rows]
        if validate:
            _check_block(block, 0 if transpose else 1, atol)
        yield rows, block


def _check_block(block: np.ndarray, class_axis: int, atol: float) -> None:
    # A NaN or inf anywhere in a row makes that row's sum non-finite.
    sums = block.sum(axis=0) if class_axis == 0 else np.einsum("ij->i", block)
    if not np.isfinite(sums).all():
        raise ModelOutputError(
            "the model returned NaN or infinite probabilities: check its training"
        )
    if block.min() < -atol or np.abs(sums - 1).max() > atol:
        raise ModelOutputError(
            "probabilities must be non-negative and sum to 1 per row: "
            "apply softmax (or sigmoid for both columns) before returning them"
        )
