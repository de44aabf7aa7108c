"""Reading table files into rows: CSV, TSV, JSON Lines and Parquet, with a row report.

:func:`activelearn.data.tabular.load_table` builds datasets from these rows.
The rules:

* TSV is tab-separated text: a double quote is a character of the text (a
  message may hold a lone ``"``), never the start of a quoted field. A file
  that quotes its fields is CSV with another separator: ``--format csv --sep
  '\\t'``. Reading a TSV with CSV quoting silently merged messages in a trial.
* Every data row is either loaded or reported with its row number and the
  reason: blank text, blank label (when labels are required), bytes the
  encoding cannot decode, a NUL byte, a wrong number of fields, bad JSON.
  Nothing vanishes without a count.
* Rows are numbered from 1 for the first data row (the header is not a row);
  for text files the report also gives the line the row starts on.
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
_FIELD_COUNT = " fields where "  # in the reason a row of the wrong width is skipped for
_NUL = "\udc00"  # stands in for NUL while parsing; surrogateescape never produces it
_BAD_CHARS = re.compile("[\udc00-\udcff]")


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

    @property
    def misread(self) -> int:
        """Rows skipped for their number of fields: more of them than rows loaded means the
        separator, format or header flags do not fit the file."""
        return sum(_FIELD_COUNT in entry["reason"] for entry in self.skipped)

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
                f"{reason} ({where}{'s' if len(numbers) > 1 else ''} {listed(numbers)})"
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
            hint = ""
            if self.columns and self.columns[0] == "1":
                hint = " (the file has no header line: name columns by position, 1, 2, ...)"
            elif len(self.columns) == 1:  # one column: another separator than the one read
                seps = [s for s in (";", "\t", "|", ",") if s in self.columns[0]]
                if seps:
                    shown = "\\t" if seps[0] == "\t" else seps[0]
                    hint = f" (one column: the file may use another separator, try --sep '{shown}')"
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
            width = "the header has" if header else "the first row has"
            report.skip(number, start, f"{len(record)}{_FIELD_COUNT}{width} {len(columns)}{hint}")
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


def listed(numbers: Sequence[int]) -> str:
    """The first numbers of a list, and how many more (for messages)."""
    shown = ", ".join(map(str, numbers[:_SHOWN]))
    return f"{shown} and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else shown
