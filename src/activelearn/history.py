"""The run's history: one record per round, saved as CSV and JSON."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Columns of the CSV, in order; nested values (class histograms, per-epoch
# training curves) live in the JSON file only.
COLUMNS = [
    "round", "n_labeled", "n_queried", "accuracy", "precision", "recall", "f1", "macro_f1",
    "fp", "fn", "loss", "val_accuracy", "val_f1", "val_loss",
    "query_seconds", "label_seconds", "fit_seconds", "eval_seconds",
]  # fmt: skip


class History:
    """Round records in order; a thin list with table export."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = list(records or [])

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.records[index]

    def column(self, name: str) -> list[Any]:
        return [record.get(name) for record in self.records]

    def to_frame(self):
        """The history as a pandas DataFrame (needs pandas: ``pip install 'activelearn[plot]'``)."""
        import pandas as pd

        return pd.DataFrame(self.records)

    def table(self, columns: list[str] | None = None) -> str:
        """A fixed-width text table for terminals."""
        columns = columns or ["round", "n_labeled", "accuracy", "f1", "fp", "fn", "loss"]
        rows = [[_fmt(r.get(c)) for c in columns] for r in self.records]
        widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
        return "\n".join(lines)

    def save(self, directory: str | Path) -> None:
        """Write ``history.csv`` and ``history.json`` atomically (a crash leaves the old files)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(directory / "history.json", json.dumps(self.records, indent=1, default=_json))
        tmp = directory / "history.csv.tmp"
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.records)
        os.replace(tmp, directory / "history.csv")

    @classmethod
    def load(cls, directory: str | Path) -> History:
        path = Path(directory) / "history.json"
        return cls(json.loads(path.read_text()) if path.exists() else [])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _json(value: Any) -> Any:
    """numpy scalars and arrays to plain JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in the history")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
