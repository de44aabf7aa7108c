"""Where cells run: a local process pool (default) or Ray, behind one small interface.

An executor takes task dicts (see :func:`activelearn.experiments.cell.execute`)
and yields result dicts as cells finish, in completion order. It does not
touch the disk: the runner caches results, so a Ray cluster needs no shared
file system (only the datasets must be readable where the cells run).
"""

from __future__ import annotations

import os
import signal
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from activelearn.errors import ConfigError
from activelearn.experiments.cell import execute


class Executor(ABC):
    """Runs cells; ``run`` yields one result per task, failures included."""

    name: str = "executor"
    workers: int = 1

    @abstractmethod
    def run(self, tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yield each task's result as soon as it finishes."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing between runs
        """Release what the executor holds (processes, a cluster connection)."""

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers}

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A pool of worker processes on this machine, one cell per process at a time.

    Each cell pins BLAS to one thread, so ``workers`` cells use ``workers``
    cores without oversubscribing them. A worker that dies (out of memory,
    a segfault in native code) fails its cell; the pool is rebuilt for the rest.
    """

    name = "local"
    streams_progress = True  # cells can post their rounds to a queue of this machine

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")

    def run(self, tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        crashes = {task["key"]: 0 for task in tasks}
        remaining = list(tasks)
        while remaining:
            retry = []
            pool = ProcessPoolExecutor(max_workers=min(self.workers, len(remaining)))
            try:
                futures = {pool.submit(execute, task): task for task in remaining}
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        # Every cell in the pool sees this; only a cell caught twice is failed.
                        crashes[task["key"]] += 1
                        if crashes[task["key"]] < 2:
                            retry.append(task)
                        else:
                            yield _failed(task, "the worker process died (out of memory?)")
            finally:
                _stop(pool)
            remaining = retry


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down now: queued cells are cancelled, running ones terminated.

    Without this an interrupted runner (Ctrl-C, an exception in the caller)
    would leave workers finishing cells nobody records.
    """
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        process.join(timeout=5)


class RayExecutor(Executor):
    """Cells as Ray tasks: on a running cluster (``address``) or a local instance started here.

    The activelearn package is shipped to the workers (``runtime_env``
    ``py_modules``), so cluster nodes need its dependencies but not the
    package itself. Datasets are read by the workers: give paths that exist
    on every node.
    """

    name = "ray"

    def __init__(
        self, address: str | None = None, workers: int | None = None, *, ship_package: bool = True
    ) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "the Ray executor needs ray: pip install 'activelearn[ray]'"
            ) from None
        self._ray = ray
        self.address = address
        self._started = False
        if not ray.is_initialized():
            import activelearn

            runtime_env = (
                {"py_modules": [str(Path(activelearn.__file__).parent)]} if ship_package else None
            )
            # Without an address: a local instance bound to the loopback interface only.
            local = {} if address else {"num_cpus": workers, "_node_ip_address": "127.0.0.1"}
            ray.init(
                address=address or "local",
                include_dashboard=False,
                log_to_driver=False,
                runtime_env=runtime_env,
                **local,
            )
            self._started = True
        self.workers = workers or int(ray.cluster_resources().get("CPU", 1))

    def run(self, tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        ray = self._ray
        remote = ray.remote(num_cpus=1, max_retries=0)(execute)
        pending = {remote.remote(task): task for task in tasks}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        yield _failed(task, f"Ray could not run the cell: {exc}")
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "address": self.address or "local"}

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_executor(name: str, *, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor the CLI's ``--executor`` names."""
    if name == "local":
        if address:
            raise ConfigError("--address is for the Ray executor: add --executor ray")
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(address, workers)
    raise ConfigError(f"unknown executor {name!r}; available: local, ray")


def _failed(task: dict[str, Any], message: str) -> dict[str, Any]:
    return {
        "key": task["key"],
        "kind": task["kind"],
        "spec": task["spec"],
        "labels": task.get("labels", {}),
        "status": "error",
        "error": message,
    }
