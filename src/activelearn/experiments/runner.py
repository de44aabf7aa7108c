"""Running a grid: cache, order, progress, and an audit trail.

Every finished cell is written to ``<output>/cells/<key>.json`` (atomically)
the moment its result arrives, keyed by the hash of the cell's spec. A
rerun after an interruption loads those and runs only what is missing or
failed, so no finished cell runs twice. ``runs.jsonl`` records every cell
handed to an executor and every result, across sessions.

Each active-learning cell also gets a run directory (``run_dir_of``) for the
loop's label log, so a cell interrupted mid-run resumes at its last round,
and a cell whose labels are with people (the file oracle) comes back
*pending* and continues when run again.

When the config has a ``[target]`` (stop at a fraction of the full-data
metric), the full-data models run first and their metrics go to the cells
that need them; otherwise everything runs in one batch.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from activelearn.experiments.cell import environment
from activelearn.experiments.config import Cell, ExperimentConfig
from activelearn.experiments.executors import Executor


@dataclass(frozen=True)
class GridOutcome:
    """How a run of the grid went: cells in total, found cached, run now, failed, and the
    cells waiting for people's labels (with what to do)."""

    total: int
    cached: int
    ran: int
    failed: int
    output: Path
    pending: list[str] = field(default_factory=list)


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
    run_dir_of: Callable[[Cell], Path] | None = None,
    threads: int | str | None = None,
) -> GridOutcome:
    """Run every cell of ``config`` not already finished in ``output``.

    ``run_dir_of(cell)`` places each active-learning cell's label log
    (default ``<output>/runs/<key>``). ``threads`` are each cell's BLAS/torch
    threads (default: 1 when cells run side by side, else the loop's ``auto``).
    """
    output = Path(output)
    cache = ResultCache(output / "cells")
    _write_manifest(config, output)
    full, al = config.full_cells(), config.al_cells()
    cached = sum(cache.get(c.key) is not None for c in full + al)
    counts = {"ran": 0, "failed": 0}
    pending: list[str] = []
    session = {"started": time.time(), **executor.describe()}
    bar = tqdm(
        total=len(full) + len(al),
        initial=cached,
        desc=config.name,
        unit="cell",
        disable=None if progress else True,  # None: off when stderr is not a terminal
    )
    audit = output / "runs.jsonl"
    place = run_dir_of or (lambda cell: output / "runs" / cell.key)
    status_line: dict[str, Any] = {"failed": 0}
    if threads is None:  # cells side by side get one thread each; a lone cell lets the loop pick
        threads = 1 if executor.workers > 1 else "auto"

    def run(cells: list[Cell], context: Callable[[Cell], dict[str, Any]]) -> None:
        todo = [c for c in cells if cache.get(c.key) is None]
        tasks = []
        for c in todo:
            extra = {"run_dir": str(place(c))} if c.kind == "al" else {}
            tasks.append({**c.to_dict(), "context": {"threads": threads, **extra, **context(c)}})
        if not tasks:
            return
        _append(
            audit, [{"event": "submitted", "key": t["key"], "time": time.time()} for t in tasks]
        )
        with _round_progress(bar, executor, progress, status_line) as queue:
            for task in tasks:
                task["context"]["progress"] = queue
            for result in executor.run(tasks):
                cache.put(result)
                status = result.get("status")
                _append(audit, [{"event": {"ok": "finished"}.get(status, status),
                                 "key": result["key"], "time": time.time(),
                                 "error": result.get("error")}])  # fmt: skip
                counts["ran"] += 1
                if status == "pending":
                    pending.append(f"{_describe(result)}: {result['error']}")
                else:
                    counts["failed"] += status != "ok"
                bar.update(1)
                status_line["failed"] = counts["failed"]
                _show(bar, status_line)
                if progress and bar.disable:  # no terminal (a log file): one line per cell
                    what = _describe(result) if result.get("kind") == "al" else "full data"
                    print(f"[{cached + counts['ran']}/{bar.total} cells] {what}: {status}",
                          file=sys.stderr, flush=True)  # fmt: skip
                if on_result is not None:
                    on_result(result)

    try:
        if config.target is None or "fraction_of_full" not in config.target:
            run(full + al, lambda cell: {})  # no target, or an absolute one (`--target 0.9`)
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
        session.update(finished=time.time(), pending=len(pending), **counts)
        _append(output / "sessions.jsonl", [session])
    return GridOutcome(
        len(full) + len(al), cached, counts["ran"], counts["failed"], output, pending
    )


def _describe(result: dict[str, Any]) -> str:
    labels = result.get("labels", {})
    return f"{labels.get('strategy', result['key'])} seed {result['spec'].get('seed')}"


def _show(bar: Any, status: dict[str, Any]) -> None:
    parts = [f"failed={status['failed']}"]
    if "rounds" in status:
        parts.append(f"rounds={status['rounds']}")
    if status.get("accuracy") is not None:
        parts.append(f"last accuracy {status['accuracy']:.3f}")
    bar.set_postfix_str(", ".join(parts))


@contextlib.contextmanager
def _round_progress(
    bar: Any, executor: Executor, enabled: bool, status: dict[str, Any]
) -> Iterator[Any]:
    """A queue the cells post their finished rounds to, shown on the bar as they arrive.

    Only where cells run in local processes (a Ray worker cannot reach this queue).
    """
    if not enabled or not getattr(executor, "streams_progress", False):
        yield None
        return
    manager = multiprocessing.Manager()
    queue = manager.Queue()
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            try:
                message = queue.get(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty, or the manager going away
                continue
            status["rounds"] = status.get("rounds", 0) + 1
            status["accuracy"] = message.get("accuracy")
            _show(bar, status)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        yield queue
    finally:
        stop.set()
        thread.join(timeout=2)
        manager.shutdown()


def _full_id(spec: dict[str, Any]) -> str:
    """What identifies the full-data model an active-learning cell is compared with."""
    keys = ("dataset", "features", "learner", "seed", "validation_size", "test_size", "split_seed")
    return json.dumps({k: spec.get(k) for k in keys}, sort_keys=True)


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
