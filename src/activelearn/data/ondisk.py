"""Pools whose items live on disk: memory-mapped ``.npy`` arrays and Parquet / Arrow tables.

A pool of 10 million items does not fit in memory as features, probabilities
and scores all at once; it does not need to. The loop asks the pool for rows
(``Pool.subset``) one part of ``score_batch_size`` at a time, the outputs
provider scores each part and the strategy keeps a streaming top-k
(:mod:`activelearn.strategies.streaming`). The containers here serve those
rows from disk:

* :class:`NpyRows` reads rows of a ``.npy`` file with positioned reads, one
  per run of consecutive rows, straight into the array it returns. It does
  not keep a memory map: pages an ``np.memmap`` touches count in the
  process's resident memory (RSS) until the kernel evicts them, and page
  faults read ahead, so 2,000 scattered rows of a 4 GB file showed 1 GB of
  RSS and a pass over it 4 GB; here RSS holds the rows asked for and the
  file's pages stay in the kernel's cache. (An ``np.memmap`` works as a
  pool's ``X`` too, at that cost.)
* :class:`ParquetRows` reads only the row groups (and columns) a part
  covers: numeric columns as an N x D float array, or one text column as a
  list of strings (for a featurizer or a text learner).

Image folders are on-disk already: :class:`activelearn.data.images.LazyImages`
decodes an image only when a learner asks for it.

:func:`ondisk_pool` builds the :class:`~activelearn.data.pool.Pool`. Its
``max_candidates`` bounds what strategies that compare candidates with each
other (core-set, BADGE, k-means, TypiClust, ProbCover, cluster-margin) may
hold in memory: above it they pre-select that many candidates (``preselect``)
and say so in the query's notes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.pool import Pool, as_run
from activelearn.errors import ConfigError, DataError

PRESELECT = ("auto", "uncertainty", "random", "nearest")


class NpyRows:
    """Rows of a ``.npy`` file (any dtype, C order), read on demand, never all at once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path} does not exist: pass a .npy file")
        try:
            header = np.load(self.path, mmap_mode="r")  # never unpickles: allow_pickle=False
        except (ValueError, EOFError, OSError) as exc:  # objects, empty, not .npy, truncated
            raise DataError(
                f"{self.path} cannot be read as rows ({exc or type(exc).__name__}): it must "
                "be a complete .npy file of numbers, e.g. np.save(path, X.astype(np.float32))"
            ) from None
        if not isinstance(header, np.ndarray):  # an .npz archive under a .npy name
            header.close()
            raise DataError(f"{self.path} is an .npz archive: save one array with np.save")
        if header.ndim < 1 or not header.flags.c_contiguous:
            raise DataError(f"{self.path}: expected a C-ordered array with one row per item")
        self.shape = header.shape
        self.dtype = header.dtype
        self._offset = header.offset
        self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        del header

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        """One row for an int; rows for an array of positions (as ``take_rows``)."""
        if np.ndim(index) == 0:
            return self.take_rows(np.array([index]))[0]
        return self.take_rows(index)

    def take_rows(self, indices: Any) -> np.ndarray:
        indices = np.asarray(indices, dtype=np.int64).ravel()
        out = np.empty((len(indices), *self.shape[1:]), dtype=self.dtype)
        if len(indices) == 0:
            return out
        if indices.min() < 0 or indices.max() >= len(self):
            raise IndexError(f"rows outside 0..{len(self) - 1} of {self.path}")
        if as_run(indices) is not None:  # a part of a scoring pass: one read
            ordered, order, buffer = indices, None, out
            starts, stops = [0], [len(indices)]
        else:  # one read per run of consecutive rows, straight into the array
            order = np.argsort(indices, kind="stable")
            ordered, buffer = indices[order], np.empty_like(out)
            breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
            starts, stops = np.r_[0, breaks].tolist(), np.r_[breaks, len(ordered)].tolist()
        with open(self.path, "rb", buffering=0) as file:
            for start, stop in zip(starts, stops, strict=True):
                file.seek(self._offset + int(ordered[start]) * self._row_bytes)
                view = memoryview(buffer[start:stop]).cast("B")
                while len(view):
                    got = file.readinto(view)
                    if not got:
                        raise DataError(f"{self.path} ended early: is it a complete .npy file?")
                    view = view[got:]
        if order is not None:
            out[order] = buffer
        return out


class ParquetRows:
    """Rows of a Parquet file, read by row group: numeric ``columns`` as an N x D float
    array, or one text column (``text=True``) as a list of strings."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None = None,
        *,
        text: bool = False,
        dtype: Any = np.float32,
    ) -> None:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError("Parquet pools need pyarrow: pip install pyarrow") from None
        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        names = self._file.schema_arrow.names
        self.columns = list(columns) if columns is not None else names
        missing = sorted(set(self.columns) - set(names))
        if missing:
            raise DataError(f"{self.path} has no columns {missing}; it has {names}")
        if text and len(self.columns) != 1:
            raise ConfigError("a text pool reads exactly one column: pass columns=[name]")
        self.text = text
        self.dtype = np.dtype(dtype)
        meta = self._file.metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self._starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._cached: tuple[int, Any] | None = None  # the last row group read

    def __getstate__(self) -> dict[str, Any]:  # shipped to Ray workers: reopen there
        state = dict(self.__dict__)
        state["_file"], state["_cached"] = None, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import pyarrow.parquet as pq

        self.__dict__.update(state)
        self._file = pq.ParquetFile(self.path)

    def __len__(self) -> int:
        return int(self._starts[-1])

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self),) if self.text else (len(self), len(self.columns))

    def __getitem__(self, index: int) -> Any:
        return self.take_rows(np.array([index]))[0]

    def take_rows(self, indices: Any) -> Any:
        indices = np.asarray(indices, dtype=np.int64)
        groups = np.searchsorted(self._starts, indices, side="right") - 1
        parts, order = [], []
        for group in np.unique(groups):
            where = np.flatnonzero(groups == group)
            rows = self._group(int(group))[indices[where] - self._starts[group]]
            parts.append(rows)
            order.append(where)
        if not parts:
            return [] if self.text else np.empty((0, len(self.columns)), dtype=self.dtype)
        back = np.argsort(np.concatenate(order), kind="stable")
        stacked = np.concatenate(parts)[back]
        return stacked.tolist() if self.text else stacked

    def _group(self, group: int) -> np.ndarray:
        """One row group's columns as an array (object strings, or a float matrix)."""
        if self._cached is not None and self._cached[0] == group:
            return self._cached[1]
        table = self._file.read_row_group(group, columns=self.columns)
        if self.text:
            rows = np.asarray(table.column(0).to_pylist(), dtype=object)
        else:
            rows = np.column_stack(
                [table.column(name).to_numpy().astype(self.dtype) for name in self.columns]
            )
        self._cached = (group, rows)
        return rows


def ondisk_pool(
    X: str | os.PathLike[str] | NpyRows | ParquetRows | Any,
    *,
    hidden_labels: Any = None,
    classes: Sequence[Any] | None = None,
    ids: Sequence[Any] | None = None,
    raw: Any = None,
    max_candidates: int = 100_000,
    preselect: str = "auto",
    scorer: Any = None,
) -> Pool:
    """A :class:`Pool` over items on disk (a ``.npy`` or ``.parquet`` path, or a container).

    ``hidden_labels`` may be a ``.npy`` path (read into memory: one small integer per
    item). ``max_candidates`` and ``preselect`` ("auto": uncertainty top-M when the
    strategy reads probabilities and a model exists, else random; "uncertainty",
    "random", "nearest": the labeled items' nearest neighbours) bound what the
    diversity strategies hold in memory; see :mod:`activelearn.strategies.candidates`.
    ``scorer`` scores the pool's shards elsewhere
    (:class:`activelearn.experiments.sharded.RayPoolScorer`): the same picks.
    """
    if preselect not in PRESELECT:
        raise ConfigError(f"preselect must be one of {PRESELECT}, got {preselect!r}")
    if max_candidates < 1:
        raise ConfigError(f"max_candidates must be positive, got {max_candidates}")
    if isinstance(X, (str, os.PathLike)):
        suffix = Path(X).suffix.lower()
        if suffix == ".npy":
            X = NpyRows(X)
        elif suffix in (".parquet", ".pq"):
            X = ParquetRows(X)
        else:
            raise DataError(f"{X}: on-disk pools read .npy or .parquet files")
    if isinstance(hidden_labels, (str, os.PathLike)):
        hidden_labels = np.load(hidden_labels)
    pool = Pool(X, ids=ids, hidden_labels=hidden_labels, raw=raw, classes=classes)
    pool.max_candidates = max_candidates
    pool.preselect = preselect
    pool.scorer = scorer
    return pool
