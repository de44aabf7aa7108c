"""Bring your own data: texts and labels from CSV, TSV, JSON Lines or Parquet.

Rows without a label are kept (``None``): they are what people will label.
Problems are reported with the row numbers a person can find in the file,
counting the first data row as 1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.errors import ConfigError, DataError

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSION = {".gz", ".bz2", ".xz", ".zst", ".zip"}
_SHOWN = 10


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ConfigError("reading tables needs pandas: pip install 'activelearn[data]'") from exc
    return pandas


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in set(FORMATS.values()):
            raise ConfigError(f"unknown format {fmt!r}: use one of {sorted(set(FORMATS.values()))}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        raise ConfigError(
            f"cannot tell the format of {path.name} from its extension: "
            f"pass format= one of {sorted(set(FORMATS.values()))}"
        )
    return FORMATS[suffixes[-1]]


def read_table(path: str | os.PathLike[str], fmt: str | None = None) -> Any:
    """A pandas DataFrame from a CSV/TSV/JSONL/Parquet file (compressed text files too)."""
    pd = _pandas()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file")
    fmt = _format_of(path, fmt)
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_csv(
            path,
            sep="\t" if fmt == "tsv" else ",",
            dtype=object,
            keep_default_na=False,
            na_values=[""],
        )
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path} as {fmt}: {exc}") from exc


def _rows(mask: np.ndarray) -> str:
    rows = (np.flatnonzero(mask) + 1).tolist()
    shown = ", ".join(map(str, rows[:_SHOWN]))
    return f"{shown} and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else shown


def _is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA/NaT, or a blank string."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (np.ndim(value) == 0 and bool(_pandas().isna(value)))


def _missing(values: Sequence[Any]) -> np.ndarray:
    return np.array([_is_missing(v) for v in values], dtype=bool)


def _normalize_label(value: Any) -> Any:
    """Plain Python labels: ``1.0`` read from a column with gaps becomes ``1``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def load_table(
    path: str | os.PathLike[str],
    *,
    text_column: str,
    label_column: str | None = None,
    id_column: str | None = None,
    classes: Sequence[Any] | None = None,
    fmt: str | None = None,
) -> Dataset:
    """A :class:`Dataset` of texts from a table file.

    ``classes`` declares the allowed labels (their order is the column order
    of predicted probabilities); without it the classes are the sorted set of
    labels present, which needs at least one labeled row. Labels are matched
    against declared classes by their text, so ``"1"`` in a CSV matches the
    class ``1``. Ids come from ``id_column`` (must be unique) or are the
    0-based row positions.
    """
    frame = read_table(path, fmt)
    name = Path(path).name
    wanted = [c for c in (text_column, label_column, id_column) if c is not None]
    unknown = [c for c in wanted if c not in frame.columns]
    if unknown:
        raise DataError(
            f"{name} has no column {', '.join(map(repr, unknown))}; "
            f"its columns are {[str(c) for c in frame.columns]}"
        )
    if len(frame) == 0:
        raise DataError(f"{name} has no data rows")
    texts = frame[text_column].tolist()
    bad = _missing(texts) | np.array([not isinstance(t, str) for t in texts])
    if bad.any():
        raise DataError(
            f"{name}: column {text_column!r} is empty or not text in rows {_rows(bad)} "
            "(1 = first data row): fill or remove those rows"
        )
    labels = _labels(frame, label_column, classes, name)
    if classes is None:
        present = {v for v in labels.tolist() if v is not None}
        if not present:
            raise DataError(
                f"{name} has no labeled rows, so the classes are unknown: pass classes=[...]"
            )
        classes = sorted(present, key=lambda v: (str(type(v)), v))
    ids = _ids(frame, id_column, name)
    return Dataset(texts, labels, ids, np.asarray(classes))


def _labels(frame: Any, column: str | None, classes: Sequence[Any] | None, name: str) -> np.ndarray:
    labels = np.empty(len(frame), dtype=object)
    if column is None:
        return labels
    values = frame[column].tolist()
    missing = _missing(values)
    for i in np.flatnonzero(~missing):
        labels[i] = _normalize_label(values[i])
    if classes is not None:
        by_text = {str(c): c for c in classes}
        outside = np.array([v is not None and str(v) not in by_text for v in labels], dtype=bool)
        if outside.any():
            found = sorted({str(v) for v in labels[outside]})
            raise DataError(
                f"{name}: labels {found[:_SHOWN]} in column {column!r} (rows {_rows(outside)}) "
                f"are not among the declared classes {list(classes)}: fix them or declare them"
            )
        labels = np.array([None if v is None else by_text[str(v)] for v in labels], dtype=object)
    if not missing.any():
        labels = np.asarray(labels.tolist())
    return labels


def _ids(frame: Any, column: str | None, name: str) -> np.ndarray:
    if column is None:
        return np.arange(len(frame))
    ids = frame[column]
    missing = _missing(ids.tolist())
    if missing.any():
        raise DataError(f"{name}: id column {column!r} is empty in rows {_rows(missing)}")
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise DataError(
            f"{name}: ids in column {column!r} repeat in rows {_rows(duplicated)}: make them unique"
        )
    return ids.to_numpy()
