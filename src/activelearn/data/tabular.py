"""The one table loader: CSV, TSV, JSON Lines and Parquet, for every driver.

``run``, ``experiment``, ``project create`` and ``simulate`` read tables here,
so the same file gives the same items everywhere. Files are read into rows by
:mod:`activelearn.data.table_files` (TSV quotes are text; every row loaded or
reported with its row number and reason); this module turns rows into a
:class:`Dataset`: texts or numeric features, labels (integers when every label
reads as one; rows without a label kept for people, or skipped and counted
for a simulation), ids from the id column or the row number.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.data.table_files import RowReport, Table, listed, parse_separator, read_table
from activelearn.errors import ConfigError, DataError

__all__ = ["RowReport", "Table", "load_table", "parse_separator", "read_table"]

_SHOWN = 10
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_BLANK_LABEL = "blank label (a simulated oracle needs the truth; --oracle file labels such rows)"


# -- from a table to a Dataset ----------------------------------------------------------------


def load_table(
    path: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    classes: Sequence[Any] | None = None,
    require_labels: bool = False,
    format: str | None = None,  # noqa: A002 - the CLI flag's name
    sep: str | None = None,
    header: bool = True,
    encoding: str = "utf-8",
    decimal: str = ".",
) -> Dataset:
    """A :class:`Dataset` from a table file; ``dataset.report`` says what became of each row.

    Items are the ``text_column`` (texts) or numeric ``feature_columns``
    (default: every column but the label and id). Rows without a label are
    kept unlabeled (they are what people label) unless ``require_labels``,
    which skips and reports them (a simulated oracle needs the truth).
    ``classes`` declares the allowed labels, matched by their text (``"1"``
    matches ``1``); without it they are the sorted labels present. ``decimal``
    is the numbers' decimal mark (``","`` for ``12,5``).
    """
    if decimal not in (".", ","):
        raise ConfigError(f"the decimal mark (--decimal) must be '.' or ',', got {decimal!r}")
    table = read_table(path, format=format, sep=sep, header=header, encoding=encoding)
    name = table.report.source
    for column in (text_column, label_column, id_column, *(feature_columns or [])):
        if column is not None:
            table.index(column)
    keep = np.ones(len(table.rows), dtype=bool)
    if text_column is not None:
        X_column = table.column(text_column)
        for i, value in enumerate(X_column):
            if value is None:
                table.report.skip(table.numbers[i], table.line(i), f"blank text in {text_column!r}")
                keep[i] = False
            elif isinstance(value, (dict, list)):
                table.report.skip(table.numbers[i], table.line(i), f"{text_column!r} is not text")
                keep[i] = False
    else:
        features = list(
            feature_columns or [c for c in table.columns if c not in (label_column, id_column)]
        )
        if not features:
            raise DataError(f"{name} has no feature columns: name a text column or feature columns")
        if id_column is None and feature_columns is None:
            named = [c for c in features if c.strip().lower() in ("id", "ids", "index")]
            table.report.notes += [f"column {c!r} is used as a feature: if it holds ids, name it "
                                   f"(--id-column {c})" for c in named]  # fmt: skip
        X_rows = _numeric_rows(table, features, keep, decimal)
    raw_labels = (
        table.column(label_column) if label_column is not None else [None] * len(table.rows)
    )
    if require_labels:
        if label_column is None:
            raise ConfigError(f"{name}: name the label column (--label-column)")
        for i, value in enumerate(raw_labels):
            if keep[i] and value is None:
                table.report.skip(table.numbers[i], table.line(i), _BLANK_LABEL)
                keep[i] = False
    table.report.skipped.sort(key=lambda entry: entry["row"])
    ids_raw = table.column(id_column) if id_column is not None else None
    table_numbers = np.asarray(table.numbers)
    table.drop(keep)
    if not table.rows:
        raise DataError(f"{table.report.summary()}: no rows left to use")
    if table.report.misread > len(table.rows):
        raise DataError(
            f"{table.report.summary()}\nmost rows could not be read, so the file is probably read "
            "the wrong way: check --sep, --format, --no-header and the column names"
        )
    positions = np.flatnonzero(keep)
    labels = _labels([raw_labels[i] for i in positions], classes, table, label_column)
    if classes is None:
        present = sorted(
            {v for v in labels.tolist() if v is not None}, key=lambda v: (str(type(v)), v)
        )
        if not present:
            raise DataError(
                f"{name} has no labeled rows, so the classes are unknown: declare them "
                "(--classes a,b or classes=[...])"
            )
        classes = present
    else:
        seen = {str(v) for v in labels.tolist() if v is not None}
        absent = [c for c in classes if str(c) not in seen]
        if absent and seen:
            table.report.notes.append(
                f"declared classes {absent} have no labeled row here (macro averages leave "
                "classes out of a set that holds none of them)"
            )
    ids = (
        _ids([ids_raw[i] for i in positions], table, id_column)
        if ids_raw is not None
        else table_numbers[keep]
    )
    if text_column is not None:
        X = [str(X_column[i]) for i in positions]
        return Dataset(X, labels, ids, np.asarray(classes), report=table.report)
    X = X_rows[keep]
    raw = TableRows(X, features)
    return Dataset(X, labels, ids, np.asarray(classes), raw=raw, report=table.report)


class TableRows:
    """What a person reads of a numeric table's rows: each row as ``{column: value}``.

    The learner gets the numbers (standardised by default); a file-oracle batch
    gets these, one column each, named as in the file (a trial was handed each
    row as one cell holding a numpy array). Values are float32's shortest
    form, so ``12.64`` reads ``12.64``; the array is the features' own, not a copy.
    """

    def __init__(self, values: np.ndarray, columns: Sequence[str]) -> None:
        self.values, self.columns = values, list(columns)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> dict[str, str]:
        return {c: str(v) for c, v in zip(self.columns, self.values[i], strict=True)}

    def select(self, indices: np.ndarray) -> TableRows:
        return TableRows(self.values[indices], self.columns)


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+([eE][+-]?\d+)?")


def _numeric_rows(table: Table, columns: list[str], keep: np.ndarray, decimal: str) -> np.ndarray:
    """Float32 features; a row with a blank or non-numeric value is skipped and reported."""
    indices = [table.index(c) for c in columns]
    out = np.zeros((len(table.rows), len(columns)), dtype=np.float32)
    textual = defaultdict(int)
    commas = defaultdict(int)  # values that read as numbers written with a decimal comma
    for i, row in enumerate(table.rows):
        for k, (j, column) in enumerate(zip(indices, columns, strict=True)):
            value = row[j]
            if decimal == "," and isinstance(value, str):
                value = value.replace(",", ".")
            try:
                out[i, k] = float(value)
            except (TypeError, ValueError):
                if value is not None:
                    textual[column] += 1
                    commas[column] += bool(_DECIMAL_COMMA.fullmatch(str(value).strip()))
                reason = (
                    f"blank value in {column!r}" if value is None else f"non-numeric {column!r}"
                )
                table.report.skip(table.numbers[i], table.line(i), reason)
                keep[i] = False
                break
    mostly_text = [c for c, n in textual.items() if n > len(table.rows) / 2]
    if mostly_text and commas[mostly_text[0]] > textual[mostly_text[0]] / 2:
        raise DataError(
            f"{table.report.source}: column {mostly_text[0]!r} holds numbers with a decimal comma "
            "(such as 12,5): add --decimal , (or, if they are thousands separators as in 1,234, "
            "remove them from the file: --decimal , would read 1.234)"
        )
    if mostly_text:
        c = mostly_text[0]
        raise DataError(
            f"{table.report.source}: column {c!r} holds text, not numbers: name what it is "
            f"(the labels: --label-column {c}; ids: --id-column {c}; the items' text: "
            f"--text-column {c} and --features tfidf or minilm), or name the numeric columns "
            "(--feature-columns a,b)"
        )
    return out


def _labels(
    values: list[Any], classes: Sequence[Any] | None, table: Table, column: str | None
) -> np.ndarray:
    """Plain labels (``None`` where missing); integers when every label reads as one."""
    present = [v for v in values if v is not None]
    if present and all(
        isinstance(v, (str, int, float, np.integer)) and _INTEGER.match(str(v).strip())
        for v in present
    ):
        values = [None if v is None else int(float(str(v).strip())) for v in values]
    else:
        values = [None if v is None else (v.strip() if isinstance(v, str) else v) for v in values]
    labels = np.empty(len(values), dtype=object)
    labels[:] = values
    if classes is not None:
        by_text = {str(c): c for c in classes}
        outside = [i for i, v in enumerate(values) if v is not None and str(v) not in by_text]
        if outside:
            found = sorted({str(values[i]) for i in outside})
            rows = listed([table.numbers[i] for i in outside])
            raise DataError(
                f"{table.report.source}: labels {found[:_SHOWN]} in column {column!r} "
                f"(rows {rows}) are not among the declared classes {list(classes)}: "
                "fix them or declare them"
            )
        labels[:] = [None if v is None else by_text[str(v)] for v in values]
    if all(v is not None for v in labels.tolist()):
        labels = np.asarray(labels.tolist())
    return labels


def _ids(values: list[Any], table: Table, column: str) -> np.ndarray:
    blank = [table.numbers[i] for i, v in enumerate(values) if v is None]
    if blank:
        raise DataError(
            f"{table.report.source}: id column {column!r} is empty in rows {listed(blank)}"
        )
    seen: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(values):
        seen[str(v)].append(table.numbers[i])
    repeated = sorted(n for rows in seen.values() if len(rows) > 1 for n in rows)
    if repeated:
        raise DataError(
            f"{table.report.source}: ids in column {column!r} repeat in rows {listed(repeated)}: "
            "make them unique"
        )
    return np.asarray([str(v) for v in values])
