"""Export a project's labels to CSV, JSON Lines, Parquet or Label Studio's JSON.

Columns: ``id``, ``text``, ``image``, ``label``, ``annotator``, ``time``
(ISO 8601, UTC), ``model_version`` (the model whose prediction the person
saw), ``split`` (``pool`` or ``heldout``), ``flagged``, ``note``, ``meta``
(JSON text), ``review`` (``single``, ``pending``, ``agreed``, ``conflict``,
``settled``, ``corrected``) and ``answers`` (JSON text: every annotator's raw
answer). ``label`` is the settled label of an overlap item, empty while its
two answers conflict. ``id`` and ``label`` are the columns the loop's
:class:`~activelearn.oracles.FileOracle` reads, so an export can answer a
file-oracle batch directly.

CSV is what people open in spreadsheets, so a cell a spreadsheet would run
as a formula is written with a leading ``'``
(:mod:`activelearn.store.spreadsheet`); JSON Lines and Parquet keep every
value as it is, so machine round trips should use them.

``label-studio`` writes Label Studio tasks with one annotation per raw answer
(see :mod:`.labelstudio`); ``.json`` files get it by default.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from activelearn.errors import ConfigError
from activelearn.store.labelstudio import to_tasks
from activelearn.store.spreadsheet import inert
from activelearn.store.store import Store

COLUMNS = [
    "id", "text", "image", "label", "annotator", "time", "model_version", "split", "flagged",
    "note", "meta", "review", "answers",
]  # fmt: skip
FORMATS = ("csv", "jsonl", "parquet", "label-studio")
EXTENSIONS = {"json": "label-studio"}  # extensions that name a format other than their own
SUFFIXES = {"label-studio": "json"}  # the file extension of each format (default: its name)


def export_labels(store: Store, project_id: int, path: str | Path, fmt: str | None = None) -> int:
    """Write the project's live labels and flags to ``path``; returns the number of rows.

    The format comes from ``fmt`` or the file extension. The file is written
    next to ``path`` first and moved into place, so a reader never sees half of it.
    """
    path = Path(path)
    fmt = fmt or EXTENSIONS.get(path.suffix.lstrip(".").lower(), path.suffix.lstrip(".").lower())
    if fmt not in FORMATS:
        raise ConfigError(f"cannot export to {fmt!r}: use one of {', '.join(FORMATS)}")
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "label-studio":
        tasks = to_tasks(store.export_rows(project_id))
        tmp.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return len(tasks)
    rows = [_flat(row) for row in store.export_rows(project_id)]
    if fmt == "csv":
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({key: inert(value) for key, value in row.items()} for row in rows)
    elif fmt == "jsonl":
        with tmp.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        _write_parquet(tmp, rows)
    os.replace(tmp, path)
    return len(rows)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["time"] = dt.datetime.fromtimestamp(row["time"], dt.timezone.utc).isoformat()
    out["meta"] = None if row["meta"] is None else json.dumps(row["meta"], ensure_ascii=False)
    out["answers"] = json.dumps(row["answers"], ensure_ascii=False)
    return out


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    """Parquet with ``model_version`` a nullable integer, also once read back by pandas.

    Written from a pandas frame so that the file records pandas' ``Int64``
    type: from plain Arrow ints with nulls ``pandas.read_parquet`` would
    make floats (``1.0``, ``NaN``).
    """
    try:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(
            "Parquet export needs pandas and pyarrow: pip install 'activelearn[data]'"
        ) from exc
    schema = pa.schema(
        [(name, pa.int64() if name == "model_version" else pa.bool_() if name == "flagged"
          else pa.string()) for name in COLUMNS]
    )  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS).astype({"model_version": "Int64"})
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)
