"""Oracles answer label requests: ground truth in simulation, people through files.

An oracle gets the queried items' ids and raw content (text, image path) and
returns one label per item, or ``None`` for an item not answered yet. The
loop records every answer it gets before doing anything else, and stops with
:class:`LabelsPending` while answers are missing, so nothing is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from activelearn.data.pool import Pool
from activelearn.errors import DataError
from activelearn.store.spreadsheet import inert, literal


class Oracle(Protocol):
    def label(self, ids: np.ndarray, raw: Sequence[Any]) -> list[Any]: ...


class SimulatedOracle:
    """Answers from the pool's hidden labels: how strategies are compared before paying people."""

    def __init__(self, pool: Pool) -> None:
        if pool.hidden_labels is None:
            raise DataError(
                "a simulated oracle needs a pool with hidden labels; "
                "for unlabeled data use a FileOracle or the labeling server"
            )
        self.pool = pool

    def label(self, ids: np.ndarray, raw: Sequence[Any]) -> list[Any]:
        return self.pool.hidden_labels[self.pool.positions(ids)].tolist()


class FileOracle:
    """Hands a batch to people as a CSV or JSONL file and reads their answers back.

    The first call for a batch writes ``<directory>/batch_<n>.<fmt>`` with the
    columns ``id``, ``text`` (a table's own columns for its rows) and an empty
    ``label``; people fill in ``label`` (partially is fine) and the run is
    resumed. Answers are matched by id, so rows may be reordered or removed.
    People open the CSV in spreadsheets, so a cell a spreadsheet would run as
    a formula is written with a leading ``'`` (:mod:`activelearn.store.spreadsheet`)
    and read back without it.
    """

    hint = "fill in the `label` column of {path} and run again with --resume"

    def __init__(self, directory: str | Path, fmt: str = "csv") -> None:
        if fmt not in ("csv", "jsonl"):
            raise DataError(f"file oracle format must be 'csv' or 'jsonl', not {fmt!r}")
        self.directory = Path(directory)
        self.fmt = fmt
        self.pending_path: Path | None = None
        self.last_path: Path | None = None  # the batch file answers were last read from

    def _path(self, ids: np.ndarray) -> Path:
        # One file per batch, named by its first id so a resumed run finds it again.
        return self.directory / f"batch_{_safe(ids[0])}.{self.fmt}"

    def label(self, ids: np.ndarray, raw: Sequence[Any]) -> list[Any]:
        path = self._path(ids)
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            export_batch(path, ids, raw)
            self.pending_path = path
            return [None] * len(ids)
        self.last_path = path
        answers = read_answers(path)
        labels = [answers.get(str(key)) for key in ids]
        self.pending_path = path if any(label is None for label in labels) else None
        return labels

    def pending_hint(self) -> str:
        return self.hint.format(path=self.pending_path)


def export_batch(path: Path, ids: Sequence[Any], raw: Sequence[Any]) -> None:
    """Write a batch for labeling: ``id``, the item and an empty ``label`` per item.

    A text (or image path) is one ``text`` column; a table's row (a dict) is its
    columns, as the file named them."""
    rows = [
        {"id": str(key), **_cells(item), "label": ""} for key, item in zip(ids, raw, strict=True)
    ]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        if path.suffix == ".csv":
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["id", "label"])
            writer.writeheader()
            writer.writerows({key: inert(value) for key, value in row.items()} for row in rows)
        else:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
    tmp.replace(path)


def _cells(item: Any) -> dict[str, Any]:
    """An item's columns in a batch file: a table row's own (a feature column named ``id``
    or ``label`` is renamed, or it would overwrite the batch's), else one ``text``."""
    if not isinstance(item, dict):
        return {"text": str(item)}
    return {(f"{k} (column)" if k in ("id", "label") else k): v for k, v in item.items()}


def read_answers(path: Path) -> dict[str, Any]:
    """Labels by id from a labeled batch file; blank labels count as unanswered."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix == ".csv":
            rows = [{k: literal(v) for k, v in row.items()} for row in csv.DictReader(handle)]
        else:
            rows = [json.loads(line) for line in handle if line.strip()]
    if rows and ("id" not in rows[0] or "label" not in rows[0]):
        raise DataError(f"{path} needs the columns `id` and `label`; found {sorted(rows[0])}")
    answers = {}
    for row in rows:
        label = row.get("label")
        if isinstance(label, str):
            label = label.strip()
        if label is not None and label != "":
            answers[str(row["id"])] = label
    return answers


def _safe(value: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(value))
