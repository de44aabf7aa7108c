"""The one table loader: CSV, TSV, JSON Lines and Parquet, for every driver.

``run``, ``experiment``, ``project create`` and ``simulate`` read tables here,
so the same file gives the same items everywhere. The rules:

* TSV is tab-separated text: a double quote is a character of the text (a
  message may hold a lone ``"``), never the start of a quoted field. A file
  that quotes its fields is CSV with another separator: ``--format csv --sep
  '\\t'``. Reading a TSV with CSV quoting silently merged messages in a trial.
* Every data row is either loaded or reported with its row number and the
  reason: blank text, blank label (when labels are required), bytes the
  encoding cannot decode, a NUL byte, a wrong number of fields, bad JSON.
  Nothing vanishes without a count.
* Rows are numbered from 1 for the first data row (the header is not a row);
  for text files the report also gives the line the row starts on. Without
  an id column an item's id is its row number, so an id always points back
  into the file.
* Labels that all look like integers (``0``/``1`` in a CSV) become integers.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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
_OPENERS = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}
_SHOWN = 10
_NUL = "\udc00"  # stands in for NUL while parsing; surrogateescape never produces it
_BAD_CHARS = re.compile("[\udc00-\udcff]")
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_BLANK_LABEL = "blank label (a simulated oracle needs the truth; --oracle file labels such rows)"


@dataclass
class RowReport:
    """What became of every data row of one file: loaded, or skipped with a reason."""

    source: str
    read: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.read - len(self.skipped)

    def skip(self, row: int, line: int | None, reason: str) -> None:
        entry: dict[str, Any] = {"row": row, "reason": reason}
        if line is not None:
            entry["line"] = line
        self.skipped.append(entry)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowReport:
        return cls(data["source"], data["read"], list(data["skipped"]), list(data["notes"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "loaded": self.loaded,
            "skipped": self.skipped,
            "notes": self.notes,
        }

    def summary(self) -> str:
        """One line a person can act on: counts, and which rows were skipped why."""
        text = f"{self.source}: {self.read:,} rows read, {self.loaded:,} loaded"
        if self.skipped:
            by_reason: dict[str, list[int]] = defaultdict(list)
            for entry in self.skipped:
                by_reason[entry["reason"]].append(entry.get("line", entry["row"]))
            where = "line" if "line" in self.skipped[0] else "row"
            parts = [
                f"{reason} ({where}{'s' if len(numbers) > 1 else ''} {_listed(numbers)})"
                for reason, numbers in by_reason.items()
            ]
            text += f"; {len(self.skipped):,} skipped: " + "; ".join(parts)
        return text + "".join(f"\n  note: {n}" for n in self.notes)


@dataclass
class Table:
    """Rows of one file: values are strings (CSV/TSV) or JSON/Parquet values; ``None`` = empty."""

    columns: list[str]
    rows: list[list[Any]]
    numbers: list[int]  # row number of each kept row (1 = first data row)
    lines: list[int] | None  # the line each kept row starts on (text formats)
    report: RowReport
    format: str

    def index(self, name: str) -> int:
        """Position of column ``name``; the error lists the columns the file has."""
        try:
            return self.columns.index(str(name))
        except ValueError:
            hint = (
                " (the file has no header line: name columns by position, 1, 2, ...)"
                if self.columns and self.columns[0] == "1"
                else ""
            )
            raise DataError(
                f"{self.report.source} has no column {str(name)!r}; "
                f"its columns are {self.columns}{hint}"
            ) from None

    def column(self, name: str) -> list[Any]:
        i = self.index(name)
        return [row[i] for row in self.rows]

    def drop(self, keep: np.ndarray) -> None:
        """Keep only the rows where ``keep`` is true (the others were reported as skipped)."""
        self.rows = [row for row, k in zip(self.rows, keep, strict=True) if k]
        self.numbers = [n for n, k in zip(self.numbers, keep, strict=True) if k]
        if self.lines is not None:
            self.lines = [n for n, k in zip(self.lines, keep, strict=True) if k]

    def line(self, position: int) -> int | None:
        return None if self.lines is None else self.lines[position]


def parse_separator(sep: str | None) -> str | None:
    """``\\t``, ``tab`` or a single character, as typed on a command line."""
    if sep is None:
        return None
    sep = {"\\t": "\t", "tab": "\t", "\\s": " ", "space": " "}.get(sep, sep)
    if len(sep) != 1:
        raise ConfigError(f"--sep must be one character (or \\t for tab), got {sep!r}")
    return sep


def _format_of(path: Path, fmt: str | None, report: RowReport, head: bytes) -> str:
    formats = sorted(set(FORMATS.values()))
    if fmt is not None:
        if fmt not in formats:
            raise ConfigError(f"unknown format {fmt!r}: use --format with one of {formats}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and (suffixes[-1] in _OPENERS or suffixes[-1] == ".zip"):
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    if suffixes and suffixes[-1] in (".xlsx", ".xls", ".json", ".feather", ".zst"):
        raise ConfigError(
            f"cannot read {path.name}: save it as CSV, TSV, JSON Lines or Parquet "
            f"(or, if it is one of those, say which with --format, one of {formats})"
        )
    first = head.lstrip().split(b"\n", 1)[0]
    guess = "parquet" if head.startswith(b"PAR1") else (
        "jsonl" if first.startswith(b"{") else ("tsv" if b"\t" in first else "csv")
    )  # fmt: skip
    report.notes.append(
        f"read as {guess}: the name has no known extension and that is what the first line "
        f"looks like (choose with --format, one of {formats})"
    )
    return guess


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    try:
        if suffix in _OPENERS:
            return _OPENERS[suffix](data)
        if suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                if len(names) != 1:
                    raise DataError(f"{path} must hold exactly one file, holds {len(names)}")
                return archive.read(names[0])
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot decompress {path}: {exc}") from None
    return data


def read_table(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,  # noqa: A002 - the CLI flag's name
    sep: str | None = None,
    header: bool = True,
    encoding: str = "utf-8",
) -> Table:
    """Every row of a CSV/TSV/JSONL/Parquet file (compressed text files too), with a report.

    Rows that cannot be parsed (undecodable bytes, NUL bytes, a wrong number
    of fields, bad JSON) are already skipped and reported in ``table.report``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file")
    report = RowReport(path.name)
    data = _read_bytes(path)
    fmt = _format_of(path, format, report, data[:4096])
    if fmt == "parquet":
        return _read_parquet(path, report)
    try:
        "".encode(encoding)
    except LookupError:
        raise ConfigError(
            f"unknown encoding {encoding!r} (--encoding): try utf-8 or latin-1"
        ) from None
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    text = data.decode(codec, errors="surrogateescape").replace("\x00", _NUL)
    if fmt == "jsonl":
        return _read_jsonl(text, report, encoding)
    delimiter = parse_separator(sep) or ("\t" if fmt == "tsv" else ",")
    quoting = csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL
    return _read_delimited(text, report, fmt, delimiter, quoting, header, encoding)


def _bad_text(value: str, encoding: str) -> str | None:
    """The reason a decoded value cannot be used, or None."""
    match = _BAD_CHARS.search(value)
    if match is None:
        return None
    if match.group() == _NUL:
        return "NUL byte"
    return f"bytes that are not valid {encoding} (choose the file's encoding with --encoding)"


def _read_delimited(
    text: str, report: RowReport, fmt: str, delimiter: str, quoting: int, header: bool,
    encoding: str,
) -> Table:  # fmt: skip
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    columns: list[str] | None = None
    rows, numbers, lines = [], [], []
    previous_end = 0
    wrapped = 0
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line is not a row
        if columns is None and header:
            bad = _bad_text(delimiter.join(record), encoding)
            if bad:
                raise DataError(f"{report.source}: the header line holds {bad}")
            columns = [name.strip() for name in record]
            continue
        if columns is None:
            columns = [str(i) for i in range(1, len(record) + 1)]
        report.read += 1
        number = report.read
        bad = _bad_text("".join(record), encoding)
        if bad:
            report.skip(number, start, bad)
        elif len(record) != len(columns):
            hint = " (a tab inside a text?)" if delimiter == "\t" else ""
            report.skip(
                number, start, f"{len(record)} fields where the header has {len(columns)}{hint}"
            )
        else:
            values = [value if value.strip() else None for value in record]
            wrapped += sum(1 for v in values if v and len(v) > 1 and v[0] == v[-1] == '"')
            rows.append(values)
            numbers.append(number)
            lines.append(start)
    if columns is None:
        raise DataError(f"{report.source} is empty")
    if wrapped and quoting == csv.QUOTE_NONE:
        report.notes.append(
            f"{wrapped:,} values are wrapped in double quotes and were kept as they are; if the "
            "file quotes its fields, read it as CSV: --format csv --sep '\\t'"
        )
    return Table(columns, rows, numbers, lines, report, fmt)


def _read_jsonl(text: str, report: RowReport, encoding: str) -> Table:
    columns: dict[str, None] = {}
    records, numbers, lines = [], [], []
    # Lines end at \n only: str.splitlines() also breaks at \x85 or \u2028, which are legal
    # inside a JSON string (IMDB reviews hold them), and would cut valid rows in two.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        report.read += 1
        bad = _bad_text(line, encoding)
        if bad:
            report.skip(report.read, line_number, bad)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.skip(report.read, line_number, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            report.skip(report.read, line_number, "not a JSON object")
            continue
        columns.update(dict.fromkeys(map(str, record)))
        records.append(record)
        numbers.append(report.read)
        lines.append(line_number)
    names = list(columns)
    rows = [[_blank_to_none(r.get(name)) for name in names] for r in records]
    return Table(names, rows, numbers, lines, report, "jsonl")


def _read_parquet(path: Path, report: RowReport) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError("reading Parquet needs pyarrow: pip install 'activelearn[data]'") from exc
    try:
        columns = pq.read_table(path).to_pydict()
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path} as Parquet: {exc}") from None
    names = [str(name) for name in columns]
    n = len(next(iter(columns.values()))) if columns else 0
    report.read = n
    rows, numbers = [], []
    values = list(columns.values())
    for i in range(n):
        row = [_blank_to_none(v[i]) for v in values]
        if any(isinstance(v, str) and "\x00" in v for v in row):
            report.skip(i + 1, None, "NUL byte")
            continue
        rows.append(row)
        numbers.append(i + 1)
    return Table(names, rows, numbers, None, report, "parquet")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


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
) -> Dataset:
    """A :class:`Dataset` from a table file; ``dataset.report`` says what became of each row.

    Items are the ``text_column`` (texts) or numeric ``feature_columns``
    (default: every column but the label and id). Rows without a label are
    kept unlabeled (they are what people label) unless ``require_labels``,
    which skips and reports them (a simulated oracle needs the truth).
    ``classes`` declares the allowed labels, matched by their text (``"1"``
    matches ``1``); without it they are the sorted labels present.
    """
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
        X_rows = _numeric_rows(table, features, keep)
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
    X = [str(X_column[i]) for i in positions] if text_column is not None else X_rows[keep]
    return Dataset(X, labels, ids, np.asarray(classes), report=table.report)


def _numeric_rows(table: Table, columns: list[str], keep: np.ndarray) -> np.ndarray:
    """Float32 features; a row with a blank or non-numeric value is skipped and reported."""
    indices = [table.index(c) for c in columns]
    out = np.zeros((len(table.rows), len(columns)), dtype=np.float32)
    textual = defaultdict(int)
    for i, row in enumerate(table.rows):
        for k, (j, column) in enumerate(zip(indices, columns, strict=True)):
            value = row[j]
            try:
                out[i, k] = float(value)
            except (TypeError, ValueError):
                if value is not None:
                    textual[column] += 1
                reason = (
                    f"blank value in {column!r}" if value is None else f"non-numeric {column!r}"
                )
                table.report.skip(table.numbers[i], table.line(i), reason)
                keep[i] = False
                break
    mostly_text = [c for c, n in textual.items() if n > len(table.rows) / 2]
    if mostly_text:
        raise DataError(
            f"{table.report.source}: column {mostly_text[0]!r} holds text, not numbers: name it "
            f"as the text column (--text-column {mostly_text[0]}) and choose text features "
            "(--features tfidf or minilm), or name the numeric columns (--feature-columns a,b)"
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
            rows = _listed([table.numbers[i] for i in outside])
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
            f"{table.report.source}: id column {column!r} is empty in rows {_listed(blank)}"
        )
    seen: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(values):
        seen[str(v)].append(table.numbers[i])
    repeated = sorted(n for rows in seen.values() if len(rows) > 1 for n in rows)
    if repeated:
        raise DataError(
            f"{table.report.source}: ids in column {column!r} repeat in rows {_listed(repeated)}: "
            "make them unique"
        )
    return np.asarray([str(v) for v in values])


def _listed(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:_SHOWN]))
    return f"{shown} and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else shown
