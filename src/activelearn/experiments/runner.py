"""Running a grid: cache, order, progress, and an audit trail.

Every finished cell is written to ``<output>/cells/<key>.json`` (atomically)
the moment its result arrives, keyed by the hash of the cell's spec. A
rerun after an interruption loads those and runs only what is missing or
failed, so no finished cell runs twice. ``runs.jsonl`` records every cell
handed to an executor and every result, across sessions.

When the config has a ``[target]`` (stop at a fraction of the full-data
metric), the full-data models run first and their metrics go to the cells
that need them; otherwise everything runs in one batch.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from activelearn.experiments.cell import environment
from activelearn.experiments.config import Cell, ExperimentConfig
from activelearn.experiments.executors import Executor


@dataclass(frozen=True)
class GridOutcome:
    """How a run of the grid went: cells in total, found cached, run now, failed."""

    total: int
    cached: int
    ran: int
    failed: int
    output: Path


class ResultCache:
    """Cell results as JSON files named by the cell key; written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The finished result for ``key``; ``None`` when missing or failed (to be rerun)."""
        path = self.path(key)
        if not path.exists():
            return None
        result = json.loads(path.read_text())
        return result if result.get("status") == "ok" else None

    def put(self, result: dict[str, Any]) -> None:
        _atomic_write(self.path(result["key"]), json.dumps(result, indent=1, default=_plain))

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.directory.glob("*.json"))]


def run_grid(
    config: ExperimentConfig,
    output: str | Path,
    executor: Executor,
    *,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> GridOutcome:
    """Run every cell of ``config`` not already finished in ``output``."""
    output = Path(output)
    cache = ResultCache(output / "cells")
    _write_manifest(config, output)
    full, al = config.full_cells(), config.al_cells()
    cached = sum(cache.get(c.key) is not None for c in full + al)
    counts = {"ran": 0, "failed": 0}
    session = {"started": time.time(), **executor.describe()}
    bar = tqdm(
        total=len(full) + len(al),
        initial=cached,
        desc=config.name,
        unit="cell",
        disable=not progress,
    )
    audit = output / "runs.jsonl"

    def run(cells: list[Cell], context: Callable[[Cell], dict[str, Any]]) -> None:
        todo = [c for c in cells if cache.get(c.key) is None]
        tasks = [{**c.to_dict(), "context": {"threads": 1, **context(c)}} for c in todo]
        if not tasks:
            return
        _append(
            audit, [{"event": "submitted", "key": t["key"], "time": time.time()} for t in tasks]
        )
        for result in executor.run(tasks):
            cache.put(result)
            ok = result.get("status") == "ok"
            _append(audit, [{"event": "finished" if ok else "failed", "key": result["key"],
                             "time": time.time(), "error": result.get("error")}])  # fmt: skip
            counts["ran"] += 1
            counts["failed"] += not ok
            bar.update(1)
            bar.set_postfix(failed=counts["failed"])
            if on_result is not None:
                on_result(result)

    try:
        if config.target is None:
            run(full + al, lambda cell: {})
        else:
            run(full, lambda cell: {})
            full_by_seed = {_full_id(c.spec): cache.get(c.key) for c in full}
            ready = [c for c in al if full_by_seed.get(_full_id(c.spec)) is not None]
            run(ready, lambda cell: {"full": full_by_seed[_full_id(cell.spec)]})
            for cell in (c for c in al if full_by_seed.get(_full_id(c.spec)) is None):
                message = "its full-data model failed, so its target is unknown"
                cache.put({**cell.to_dict(), "status": "error", "error": message})
                _append(audit, [{"event": "failed", "key": cell.key, "time": time.time(),
                                 "error": message}])  # fmt: skip
                counts["failed"] += 1
                bar.update(1)
    finally:
        bar.close()
        session.update(finished=time.time(), **counts)
        _append(output / "sessions.jsonl", [session])
    return GridOutcome(len(full) + len(al), cached, counts["ran"], counts["failed"], output)


def _full_id(spec: dict[str, Any]) -> str:
    """What identifies the full-data model an active-learning cell is compared with."""
    keys = ("dataset", "learner", "seed", "validation_size", "test_size", "split_seed")
    return json.dumps({k: spec[k] for k in keys}, sort_keys=True)


def _write_manifest(config: ExperimentConfig, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": config.name,
        "config": config.raw,
        "metric": config.metric,
        "seeds": config.seeds,
        "split": config.split,
        "loop": config.loop,
        "target": config.target,
        "cells": [c.to_dict() for c in config.cells()],
        "environment": environment(),
        "written": time.time(),
    }
    _atomic_write(output / "experiment.json", json.dumps(manifest, indent=1, default=_plain))


def load_results(output: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest and the results of its cells (missing cells are left out)."""
    output = Path(output)
    manifest = json.loads((output / "experiment.json").read_text())
    cache = ResultCache(output / "cells")
    results = []
    for cell in manifest["cells"]:
        path = cache.path(cell["key"])
        if path.exists():
            results.append(json.loads(path.read_text()))
    return manifest, results


def _append(path: Path, entries: list[dict[str, Any]]) -> None:
    with path.open("a") as handle:
        handle.writelines(json.dumps(e, default=_plain) + "\n" for e in entries)
        handle.flush()
        os.fsync(handle.fileno())


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")
