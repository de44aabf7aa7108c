"""Where a request's time goes inside the server: imported by the server process of
``bench_latency.py --trace FILE`` before it serves.

It wraps the app (ASGI: from the request's arrival in the event loop to its
last byte), the store's write transactions (waiting for the write lock or
the writer, the work, the commit) and the two calls of "next item" and
"submit", and appends one JSON line per request to ``FILE``. Only a
measuring aid: nothing in the package imports it.

Why not just py-spy: a sampling profile shows where the CPU goes, not what
a slow request was waiting for; the tail is mostly waiting (a lock, a
thread, the GIL, the disk), so each request carries its own stopwatch.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event

import activelearn.server.run as run
from activelearn.store import database

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "trace", default=None
)
_lines: list[str] = []
_lock = threading.Lock()


def install(path: str) -> None:
    """Patch the app factory and the store's transactions; flush lines to ``path`` every 2 s."""
    original_create = run.create_app

    def create_app(store: Any, project_id: int, **kwargs: Any) -> Any:
        _trace_store(store)
        stores.append(store)
        return _Traced(original_create(store, project_id, **kwargs))

    run.create_app = create_app
    stores: list[Any] = []

    def flush() -> None:
        while True:
            time.sleep(2)
            with _lock:
                lines, _lines[:] = list(_lines), []
            group = getattr(stores[0], "group", None) if stores else None
            if group is not None:  # group commit: COMMITs so far and the writes they covered
                lines.append(
                    json.dumps(
                        {
                            "path": "group",
                            "t0": time.time(),
                            "commits": group.commits,
                            "writes": group.writes,
                        }
                    )
                    + "\n"
                )
            if lines:
                with open(path, "a") as out:
                    out.write("".join(lines))

    threading.Thread(target=flush, daemon=True).start()


class _Traced:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record: dict[str, Any] = {"path": scope["path"], "t0": time.time()}
        token = _current.set(record)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            record["server_ms"] = (time.perf_counter() - start) * 1000
            _current.reset(token)
            with _lock:
                _lines.append(json.dumps(record) + "\n")


def _add(key: str, value: float) -> None:
    record = _current.get()
    if record is not None:
        record[key] = record.get(key, 0.0) + value


def _timed(method: Any, name: str) -> Any:
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            _add(f"{name}_ms", (time.perf_counter() - start) * 1000)

    return timed


def _trace_store(store: Any) -> None:
    """Time the store's write transactions and the two request calls."""
    cls = type(store)
    original_write = database.StoreBase.write

    @contextlib.contextmanager
    def write(self: Any, *, durable: bool = True, **options: Any) -> Iterator[Any]:
        entered = time.perf_counter()
        _add("writes", 1)
        with original_write(self, durable=durable, **options) as session:
            began = time.perf_counter()
            _add("write_wait_ms", (began - entered) * 1000)
            yield session
            done = time.perf_counter()
        finished = time.perf_counter()
        _add("write_work_ms", (done - began) * 1000)
        _add("commit_ms", (finished - done) * 1000)
        if _current.get() is None:  # the trainer's writes (ranks, versions): what requests wait on
            background = {"path": threading.current_thread().name, "t0": time.time(),
                          "durable": durable, "write_wait_ms": (began - entered) * 1000,
                          "write_work_ms": (done - began) * 1000,
                          "commit_ms": (finished - done) * 1000}  # fmt: skip
            with _lock:
                _lines.append(json.dumps(background) + "\n")

    cls.write = write
    for name in ("next_item", "submit", "authenticate"):
        setattr(cls, name, _timed(getattr(cls, name), name))

    for name, engine in (("write", store.engine), ("read", store.read_engine)):

        @event.listens_for(engine, "commit")
        def _commit(_conn: Any, _name: str = name) -> None:
            _add(f"{_name}_commits", 1)
